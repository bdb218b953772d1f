/**
 * The landing page in a real headless Chromium (Debian's), served by the Hosting emulator, calling the
 * callable through the Hosting rewrite into the Functions emulator, which talks to the local Stripe server
 * and the Firestore server. Screenshots (desktop and 375 px) are saved to test-artifacts/screenshots.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import type { Browser, Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  process.stderr.write(`SKIPPED landing page browser test: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)\n`);
}
const describeBrowser = HAVE_CHROMIUM ? describe : describe.skip;

const PROJECT = "demo-rolitt-web";
const db = getFirestore(initializeApp({ projectId: PROJECT }, PROJECT));
const SHOTS = join(__dirname, "..", "..", "test-artifacts", "screenshots");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require("../../devtools/stack") as { startStack: (o: object) => Promise<any> };

// a shared 2-core machine: a cold emulated function can take tens of seconds on its first call
jest.setTimeout(150_000);

let stack: any;
let browser: Browser;
const transferred: Record<string, number> = {};

describeBrowser("landing page", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack({ projectId: PROJECT, dynamicPorts: true, firestoreHost: process.env.FIRESTORE_EMULATOR_HOST });
    // start each emulated function once (an invalid callable request creates nothing): cold starts are slow here
    await Promise.all(
      ["/api/offer", "/api/create-checkout-session"].map((p) =>
        fetch(
          `${stack.urls.site}${p}`,
          p.includes("checkout") ? { method: "POST", headers: { "content-type": "application/json" }, body: '{"data":{}}' } : {},
        ).then((r) => r.arrayBuffer()),
      ),
    );
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    writeFileSync(join(SHOTS, "..", "landing-metrics.json"), JSON.stringify({ transferredBytes: transferred }, null, 2));
  }, 30_000);

  async function open(path: string, opts: { width?: number; locale?: string; measure?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 900 }, locale: opts.locale ?? "en-US" });
    const page = await context.newPage();
    if (opts.measure) {
      let bytes = 0;
      page.on("response", async (r) => {
        if (!r.url().startsWith(stack.urls.site)) return;
        bytes += (await r.body().catch(() => Buffer.alloc(0))).length + 300; // + headers, roughly
      });
      page.on("load", () => setTimeout(() => (transferred[opts.measure!] = bytes), 500));
    }
    await page.goto(`${stack.urls.site}${path}`, { waitUntil: "networkidle" });
    // the landing page renders the live offer from /api/offer: wait for it (a cold function can be slow here)
    if (await page.locator("#swatches").count())
      await page.waitForFunction(() => document.body.dataset.offer !== undefined, null, { timeout: 30_000 });
    return page;
  }

  /** Wait until the element's text is `text` (playwright-core has no locator assertions). */
  const textOf = (page: Page, sel: string, text: string) =>
    page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [sel, text] as const, { timeout: 30_000 });

  const preorderOfSession = async (sessionId: string) => {
    const id = stack.stripe.state.sessions.get(sessionId).metadata.preorder_id;
    return (await db.collection("preorders").doc(id).get()).data()!;
  };

  it("pick a colour, type an email, press once → Stripe checkout, and the preorder holds them", async () => {
    const page = await open("/", { measure: "landing" });
    await page.screenshot({ path: join(SHOTS, "landing-desktop.png"), fullPage: true });
    await expect(page.locator("h1").textContent()).resolves.toContain("rolling companion");
    await page.getByLabel("Black").check();
    await page.getByLabel("Email").fill("  Shopper@Example.com ");
    await page.getByRole("button", { name: "Preorder now" }).click();
    await page.waitForURL(`${stack.urls.stripe}/c/pay/**`, { timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, "checkout-local-stripe.png") });
    const sessionId = page.url().split("/").pop()!;
    expect(await preorderOfSession(sessionId)).toMatchObject({
      color: "black",
      email: "shopper@example.com",
      locale: "en",
      status: "created",
    });

    // pay on the local checkout page → Stripe's redirect to our success page
    await page.locator("#pay").click();
    await page.waitForURL(`${stack.urls.site}/success?**`);
    // the success page confirms the real order: the preorder number Checkout and the emails use
    await page.waitForFunction(() => document.body.dataset.order === "paid", null, { timeout: 30_000 });
    await expect(page.locator("#f-number").textContent()).resolves.toBe((await preorderOfSession(sessionId)).preorderNumber);
    await expect(page.locator("#f-colour").textContent()).resolves.toBe("Black");
    await page.screenshot({ path: join(SHOTS, "success-desktop.png") });
    await page.context().close();
  });

  it("an invalid email shows the field's error and creates nothing", async () => {
    const sessions = stack.stripe.state.sessions.size;
    const before = (await db.collection("preorders").get()).size;
    const page = await open("/");
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByRole("button", { name: "Preorder now" }).click();
    await textOf(page, "#email-error", "Please enter a valid email address.");
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    await textOf(page, "#submit", "Preorder now");
    expect(await page.locator("#submit").isEnabled()).toBe(true);
    expect(page.url()).toBe(`${stack.urls.site}/`);
    expect(stack.stripe.state.sessions.size).toBe(sessions);
    expect((await db.collection("preorders").get()).size).toBe(before);
    await page.context().close();
  });

  it("a double click while the call is pending makes one preorder", async () => {
    stack.stripe.failNext({ count: 1, status: 200, path: "/v1/checkout/sessions", delayMs: 1500 });
    const sessions = stack.stripe.state.sessions.size;
    const page = await open("/");
    await page.getByLabel("Email").fill("double@example.com");
    const button = page.getByRole("button", { name: "Preorder now" });
    await button.click();
    await page.waitForFunction(() => (document.querySelector("#submit") as HTMLButtonElement).disabled);
    await page
      .locator("#submit")
      .click({ force: true })
      .catch(() => undefined);
    await page.waitForURL(`${stack.urls.stripe}/c/pay/**`, { timeout: 60_000 });
    expect(stack.stripe.state.sessions.size).toBe(sessions + 1);
    await page.context().close();
  });

  it("a zh-HK browser gets the Traditional Chinese page, sends zh-HK, and Stripe gets its locale", async () => {
    const page = await open("/", { locale: "zh-HK", width: 375, measure: "landing-375" });
    expect(await page.locator("html").getAttribute("lang")).toBe("zh-HK");
    await textOf(page, "#submit", "立即預購");
    await page.screenshot({ path: join(SHOTS, "landing-375-zh-HK.png"), fullPage: true });
    await page.getByLabel("白色").check();
    await page.getByLabel("電郵").fill("hk@example.com");
    await page.locator("#submit").click();
    await page.waitForURL(`${stack.urls.stripe}/c/pay/**`, { timeout: 60_000 });
    const sessionId = page.url().split("/").pop()!;
    expect(stack.stripe.state.sessions.get(sessionId).locale).toBe("zh-HK");
    expect(await preorderOfSession(sessionId)).toMatchObject({ locale: "zh-HK", color: "white" });
    await page.context().close();
  });

  it("the language switcher and the result pages work at 375 px", async () => {
    const page = await open("/?lang=zh-CN", { width: 375 });
    await textOf(page, "#submit", "立即预购");
    await page.getByRole("link", { name: "English" }).click();
    await textOf(page, "#submit", "Preorder now");
    for (const [path, name] of [
      ["/success?session_id=cs_test_abcdefghijklmnop", "success-375"],
      ["/cancel?lang=zh-HK", "cancel-375-zh-HK"],
      ["/cancel", "cancel-desktop"],
    ] as const) {
      await page.setViewportSize({ width: name.endsWith("desktop") ? 1280 : 375, height: 800 });
      await page.goto(`${stack.urls.site}${path}`, { waitUntil: "networkidle" });
      expect((await page.locator("h1").textContent())?.trim()).toBeTruthy();
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    }
    await page.context().close();
  });

  it("serves the security and cache headers", async () => {
    const html = await fetch(`${stack.urls.site}/`);
    expect(html.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(html.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await html.text();
    const asset = /src="(\/assets\/main-[^"]+)"/.exec(body)![1];
    expect((await fetch(`${stack.urls.site}${asset}`)).headers.get("cache-control")).toContain("immutable");
    expect(body).not.toMatch(/<script(?![^>]*src=)/); // no inline script
  });
});
