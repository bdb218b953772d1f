/**
 * The operations console in a real headless Chromium, served by the Hosting emulator, signing in against the
 * Auth emulator, its data from the admin-only functions in the Functions emulator (through the Hosting
 * rewrites), a payment and a refund through the local Stripe server and its signed webhooks, the funnel
 * counted by the trigger relay. Screenshots at 1280 px go to test-artifacts/screenshots/admin-*.png.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import type { Browser, Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) process.stderr.write(`SKIPPED console browser test: no Chromium at ${CHROMIUM}\n`);
const describeBrowser = HAVE_CHROMIUM ? describe : describe.skip;
jest.setTimeout(180_000); // each admin function's first call starts its worker in the Functions emulator

const PROJECT = "demo-rolitt-admin";
const db = getFirestore(initializeApp({ projectId: PROJECT }, PROJECT));
const SHOTS = join(__dirname, "..", "..", "test-artifacts", "screenshots");
/* eslint-disable @typescript-eslint/no-require-imports */
const { startStack } = require("../../devtools/stack") as { startStack: (o: object) => Promise<any> };
const { emulatorIdToken } = require("../../devtools/admin") as {
  emulatorIdToken: (origin: string, email: string, password: string) => Promise<string>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const ADMIN = { email: "ops@rolitt.test", password: "ops-password-1" };
const SHOPPER = { email: "curious@example.com", password: "shopper-password-1" };
const DAY = "2026-11-10";

let stack: any;
let browser: Browser;
let paid: { preorderId: string; preorderNumber: string; sessionId: string };

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An ID token from the Auth emulator (what the page sends), for calling the functions directly. */
const idToken = (user: { email: string; password: string }): Promise<string> => emulatorIdToken(stack.urls.auth, user.email, user.password);

const callable = (name: string, data: unknown, token?: string) =>
  fetch(`${stack.urls.site}/api/admin/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ data }),
  });

/** The seeded set: known statuses, colours, campaigns, holds and flags, all started on DAY. */
const customer = (name: string, country: string, phone: string | null = null) => ({
  name,
  phone,
  shipping: { name, address: { line1: "1 Queen's Road", line2: null, city: "Hong Kong", state: null, postal_code: "000", country } },
});
const SEED: Array<Record<string, unknown>> = [
  {
    status: "succeeded",
    color: "black",
    locale: "en",
    attribution: { utm_campaign: "launch", utm_source: "meta" },
    customer: customer("陈大文", "HK", "+852 5555 0101"),
  },
  {
    status: "succeeded",
    color: "white",
    locale: "zh-HK",
    attribution: { utm_campaign: "launch", utm_source: "google" },
    customer: customer('=HYPERLINK("http://evil.example")', "US"),
  },
  {
    status: "succeeded",
    color: "black",
    locale: "en",
    attribution: { utm_campaign: "retarget" },
    hold: { reason: "dispute", since: Timestamp.now(), disputeId: "dp_seed" },
    customer: customer("On Hold", "GB"),
  },
  {
    status: "refunded",
    color: "khaki",
    locale: "en",
    attribution: { utm_campaign: "launch" },
    amountRefunded: 9900,
    customer: customer("Refunded", "HK"),
  },
  { status: "failed", color: "khaki", locale: "zh-CN", attribution: null, errorReason: "card_declined" },
  { status: "expired", color: "black", locale: "en", attribution: { utm_campaign: "retarget" } },
  { status: "created", color: "white", locale: "en", attribution: null, flagged: true },
  { status: "created", color: "black", locale: "zh-HK", attribution: { utm_campaign: "launch" } },
];
const seeded: Array<Record<string, any>> = [];

describeBrowser("operations console", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack({ projectId: PROJECT, dynamicPorts: true, firestoreHost: process.env.FIRESTORE_EMULATOR_HOST });
    await stack.createUser(ADMIN.email, ADMIN.password, { admin: true });
    await stack.createUser(SHOPPER.email, SHOPPER.password, {});
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    });

    // the seeded set, each created as the callable would, at distinct minutes of DAY
    for (const [i, over] of SEED.entries()) {
      const id = `seed${String(i).padStart(16, "0")}`;
      const at = Timestamp.fromDate(new Date(Date.parse(`${DAY}T08:00:00Z`) + i * 60_000));
      const doc = {
        preorderId: id,
        preorderNumber: `ROL-${70000000 + i}`,
        email: `seed${i}@example.com`,
        color: "khaki",
        locale: "en",
        status: "created",
        amount: 9900,
        currency: "usd",
        stripe: { customerId: null, sessionId: null, paymentIntentId: null },
        customer: null,
        errorReason: null,
        amountRefunded: 0,
        lastEventCreated: null,
        lastEventId: null,
        origin: "callable",
        hold: null,
        flagged: false,
        dispute: null,
        createdAt: at,
        updatedAt: at,
        ...over,
      };
      await db.collection("preorders").doc(id).set(doc);
      await db.collection("preorder_numbers").doc(doc.preorderNumber).set({ preorderId: id });
      seeded.push(doc);
    }

    // one preorder made and paid the real way: callable → local Stripe checkout → signed webhooks
    const res = await fetch(stack.urls.callable, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { email: "real.buyer@example.com", color: "white", locale: "en" } }),
    });
    paid = ((await res.json()) as any).result;
    await stack.stripe.act("pay", paid.sessionId);
    await until(async () => (await db.collection("preorders").doc(paid.preorderId).get()).get("status") === "succeeded", "the payment");
    await stack.relay.settled();
  }, 480_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 30_000);

  async function open(path = "/admin"): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(90_000); // a loaded shared machine: first calls start function workers
    const page = await context.newPage();
    page.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`${stack.urls.site}${path}`, { waitUntil: "networkidle" });
    return page;
  }
  async function signIn(page: Page, user: { email: string; password: string }) {
    await page.locator("#si-email").fill(user.email);
    await page.locator("#si-password").fill(user.password);
    await page.locator("#emulator-signin button[type=submit]").click();
  }
  const rowsOf = (page: Page) => page.locator("#order-table tbody tr td:first-child").allTextContents();
  /** The list has finished loading and shows n rows. */
  const waitRows = (page: Page, n: number) =>
    page.waitForFunction(
      (k) =>
        document.querySelector("#order-table")?.getAttribute("aria-busy") === "false" &&
        document.querySelectorAll("#order-table tbody tr").length === k,
      n,
      { timeout: 60_000 },
    );

  it("a signed-out visitor sees only the sign-in, and every function refuses them", async () => {
    const page = await open();
    await page.locator("#signin").waitFor({ state: "visible" });
    expect(await page.locator("#nav").isVisible()).toBe(false);
    expect(await page.locator("#orders").isVisible()).toBe(false);
    expect(await page.locator("#order-table tbody tr").count()).toBe(0);
    for (const name of ["orders", "order", "funnel", "refund"]) {
      const r = await callable(name, { preorderId: paid.preorderId });
      expect([name, r.status]).toEqual([name, 401]);
    }
    expect((await fetch(`${stack.urls.site}/api/admin/export?kind=orders`)).status).toBe(401);
    const csp = (await fetch(`${stack.urls.site}/admin`)).headers.get("content-security-policy")!;
    expect(csp).toContain(
      `connect-src 'self' ${stack.urls.auth} https://identitytoolkit.googleapis.com https://securetoken.googleapis.com`,
    );
    expect(csp).toContain("script-src 'self' https://apis.google.com;");
    // the shop's page keeps its own CSP: nothing of the console's sign-in hosts
    const landingCsp = (await fetch(`${stack.urls.site}/`)).headers.get("content-security-policy")!;
    expect(landingCsp).toMatch(/connect-src 'self'[ ;]/);
    for (const host of ["identitytoolkit.googleapis.com", "securetoken.googleapis.com", "apis.google.com"])
      expect(landingCsp).not.toContain(host);
    await page.context().close();
  });

  it("a signed-in account without the admin claim sees nothing, and the functions refuse it", async () => {
    const page = await open();
    await signIn(page, SHOPPER);
    await page.locator("#denied").waitFor({ state: "visible" });
    expect(await page.locator("#orders").isVisible()).toBe(false);
    expect(await page.locator("#nav").isVisible()).toBe(false);
    const token = await idToken(SHOPPER);
    for (const name of ["orders", "order", "funnel", "refund"]) {
      const r = await callable(name, { preorderId: paid.preorderId }, token);
      expect([name, r.status, ((await r.json()) as any).error.status]).toEqual([name, 403, "PERMISSION_DENIED"]);
    }
    expect((await fetch(`${stack.urls.site}/api/admin/export?kind=orders`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      403,
    );
    expect((await db.collection("preorders").doc(paid.preorderId).get()).get("status")).toBe("succeeded");
    await page.context().close();
  });

  it("an admin sees the order paid through Stripe on top of the list, and its timeline", async () => {
    const page = await open();
    await signIn(page, ADMIN);
    await page.locator("#orders").waitFor({ state: "visible" });
    await waitRows(page, SEED.length + 1);
    const first = page.locator("#order-table tbody tr").first();
    expect(await first.locator("td").allTextContents()).toEqual([
      paid.preorderNumber,
      "real.buyer@example.com",
      "white",
      "succeeded",
      "$99.00",
      expect.stringMatching(/UTC$/),
      "",
    ]);
    await page.screenshot({ path: join(SHOTS, "admin-list.png"), fullPage: true });

    await first.locator("a").click();
    await page.locator("#timeline").waitFor();
    expect(await page.locator("#order h1").textContent()).toContain(paid.preorderNumber);
    const events = await page.locator("#timeline tbody tr").allTextContents();
    expect(events[0]).toContain("preorder created");
    expect(events.some((e) => e.includes("checkout.session.completed") && e.includes("applied"))).toBe(true);
    const ledger = await db.collection("stripe_events").where("preorderId", "==", paid.preorderId).get();
    expect(await page.locator("#timeline tbody tr[data-event]").count()).toBe(ledger.size);
    await until(
      async () => (await db.collection("klaviyo_deliveries").doc(`${paid.preorderId}_succeeded`).get()).exists,
      "the Klaviyo delivery",
    );
    await page.reload({ waitUntil: "networkidle" });
    await page.locator("#deliveries").waitFor();
    expect(await page.locator("#deliveries tbody").textContent()).toContain("succeeded");
    await page.screenshot({ path: join(SHOTS, "admin-order.png"), fullPage: true });
    await page.context().close();
  });

  it("filters and searches", async () => {
    const page = await open();
    await signIn(page, ADMIN);
    await waitRows(page, SEED.length + 1);
    const apply = async (set: () => Promise<unknown>, n: number) => {
      await set();
      await page.locator("#filters button[type=submit]").click();
      await waitRows(page, n);
      return (await rowsOf(page)).sort();
    };
    const num = (i: number) => seeded[i]!.preorderNumber as string;
    expect(await apply(() => page.locator("#filters").getByLabel("Status").selectOption("succeeded"), 4)).toEqual(
      [num(0), num(1), num(2), paid.preorderNumber].sort(),
    );
    expect(await apply(() => page.locator("#filters").getByLabel("Colour").selectOption("black"), 2)).toEqual([num(0), num(2)].sort());
    expect(await apply(() => page.locator("#filters").getByLabel("on hold").check(), 1)).toEqual([num(2)]);
    await page.locator("#filters").getByLabel("on hold").uncheck();
    await page.locator("#filters").getByLabel("Status").selectOption("");
    await page.locator("#filters").getByLabel("Colour").selectOption("");
    expect(await apply(() => page.locator("#filters").getByLabel("flagged").check(), 1)).toEqual([num(6)]);
    await page.locator("#filters").getByLabel("flagged").uncheck();
    expect(await apply(() => page.locator("#filters").getByLabel("Locale").selectOption("zh-HK"), 2)).toEqual([num(1), num(7)].sort());
    await page.locator("#filters").getByLabel("Locale").selectOption("");
    expect(
      await apply(
        () =>
          page
            .locator("#filters")
            .getByLabel("From")
            .fill(DAY)
            .then(() => page.locator("#filters").getByLabel("To").fill(DAY)),
        SEED.length,
      ),
    ).toHaveLength(SEED.length);
    await page.locator("#filters").getByLabel("From").fill("");
    await page.locator("#filters").getByLabel("To").fill("");
    expect(await apply(() => page.locator("#filters").getByLabel("Search").fill(num(3).toLowerCase()), 1)).toEqual([num(3)]);
    expect(await apply(() => page.locator("#filters").getByLabel("Search").fill("SEED4@example.com"), 1)).toEqual([num(4)]);
    expect(await apply(() => page.locator("#filters").getByLabel("Search").fill(paid.sessionId), 1)).toEqual([paid.preorderNumber]);
    const pi = (await db.collection("preorders").doc(paid.preorderId).get()).get("stripe.paymentIntentId");
    expect(await apply(() => page.locator("#filters").getByLabel("Search").fill(pi), 1)).toEqual([paid.preorderNumber]);
    await page.locator("#filters").getByLabel("Search").fill("not a thing");
    await page.locator("#filters button[type=submit]").click();
    await page.waitForFunction(() => /Search by email/.test(document.querySelector("#list-error")?.textContent ?? ""));
    await page.context().close();
  });

  it("exports the orders to ship as UTF-8 CSV with a BOM, formulas neutralised, and the factory summary", async () => {
    const page = await open();
    await signIn(page, ADMIN);
    await waitRows(page, SEED.length + 1);
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export").click()]);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").split("\r\n").filter(Boolean);
    expect(lines[0]).toBe("preorder_number,name,email,phone,color,address_line1,address_line2,city,state,postal_code,country,ordered_at");
    const body = lines.slice(1);
    expect(body).toContainEqual(
      `${seeded[0]!.preorderNumber},陈大文,seed0@example.com,'+852 5555 0101,black,1 Queen's Road,,Hong Kong,,000,HK,${DAY}T08:00:00.000Z`,
    );
    expect(body).toContainEqual(
      expect.stringMatching(new RegExp(`^${seeded[1]!.preorderNumber},"'=HYPERLINK\\(""http://evil.example""\\)",seed1@example.com,`)),
    );
    expect(body.some((l) => l.startsWith(`${paid.preorderNumber},`))).toBe(true);
    // exactly the paid orders without a hold: not the held one, not the refunded one, not the unpaid ones
    const all = (await db.collection("preorders").get()).docs.map((d) => d.data());
    expect(body).toHaveLength(all.filter((d) => d.status === "succeeded" && !d.hold).length);
    expect(body.some((l) => l.startsWith(`${seeded[2]!.preorderNumber},`) || l.startsWith(`${seeded[3]!.preorderNumber},`))).toBe(false);

    const summary = await fetch(`${stack.urls.site}/api/admin/export?kind=summary`, {
      headers: { authorization: `Bearer ${await idToken(ADMIN)}` },
    });
    const text = Buffer.from(await summary.arrayBuffer())
      .subarray(3)
      .toString("utf8");
    expect(text).toContain("black,HK,1\r\n");
    expect(text).toContain("white,US,1\r\n");
    expect(text).not.toContain(",GB,"); // the held order
    expect(text).toContain(`ALL,ALL,${body.length}\r\n`);
    const audit = (await db.collection("admin_audit").get()).docs.map((d) => d.data());
    expect(audit.filter((a) => a.action === "export:orders")).toEqual([
      expect.objectContaining({ result: { ok: true, rows: body.length } }),
    ]);
    await page.context().close();
  });

  it("shows the funnel of the seeded set: overall, by colour and by campaign", async () => {
    const page = await open("/admin#/funnel");
    await signIn(page, ADMIN);
    await page.locator("#funnel").waitFor({ state: "visible" });
    await page.getByLabel("From").last().fill(DAY);
    await page.getByLabel("To").last().fill(DAY);
    await page.locator("#funnel-range button").click();
    await page.waitForFunction((d) => document.querySelector("#funnel-body")?.textContent?.includes(`${d} to ${d}`), DAY, {
      timeout: 90_000,
    });
    const metric = (sel: string, m: string) => page.locator(`${sel} [data-metric=${m}]`).first().textContent();
    expect(await Promise.all(["started", "paid", "failed", "expired", "refunded"].map((m) => metric("#overall", m)))).toEqual([
      "8",
      "4",
      "1",
      "1",
      "1",
    ]);
    const row = async (table: string, key: string) =>
      Promise.all(["started", "paid"].map((m) => page.locator(`#${table} tr[data-key="${key}"] [data-metric=${m}]`).textContent()));
    expect(await row("by-campaign", "launch")).toEqual(["4", "3"]);
    expect(await row("by-campaign", "retarget")).toEqual(["2", "1"]);
    expect(await row("by-campaign", "(none)")).toEqual(["2", "0"]);
    expect(await row("by-color", "black")).toEqual(["4", "2"]);
    expect(await row("by-source", "meta")).toEqual(["1", "1"]);
    expect(await page.locator("#funnel-body svg.chart rect.paid").count()).toBeGreaterThan(4);
    await page.screenshot({ path: join(SHOTS, "admin-funnel.png"), fullPage: true });
    await page.context().close();
  });

  it("refunds from the console after a confirmation; the webhook makes the order refunded; the action is audited", async () => {
    const page = await open(`/admin#/order/${paid.preorderId}`);
    await signIn(page, ADMIN);
    await page.locator("#refund").waitFor();
    await page.locator("#refund").click();
    await page.locator("#confirm").waitFor({ state: "visible" });
    expect(await page.locator("#confirm-text").textContent()).toContain(paid.preorderNumber);
    await page.locator("#confirm button[value=cancel]").click(); // first: change of mind, nothing happens
    expect(stack.stripe.requests.filter((r: any) => r.path === "/v1/refunds")).toHaveLength(0);
    await page.locator("#refund").click();
    await page.locator("#confirm-ok").click();
    await page.locator("#action-result").waitFor();
    await until(async () => (await db.collection("preorders").doc(paid.preorderId).get()).get("status") === "refunded", "refunded");
    await page.waitForFunction(() => document.querySelector("#order h1 .badge")?.textContent === "refunded", undefined, {
      timeout: 20_000,
    });
    const refunds = stack.stripe.requests.filter((r: any) => r.path === "/v1/refunds");
    expect(refunds.map((r: any) => r.idempotencyKey)).toEqual([`refund-${paid.preorderId}`]);
    expect(await page.locator("#timeline").textContent()).toContain("charge.refunded");
    expect(await page.locator("#audit tbody").textContent()).toMatch(/o\*\*\*@rolitt\.test.*refund.*ok re_/);
    expect(await page.locator("#refund").count()).toBe(0);
    await page.context().close();
  });
});
