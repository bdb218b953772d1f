/**
 * The shopper pages against a NON-default offer (a Stripe Price in KWD, a three-decimal currency, and the
 * colours mint, black, white), in headless Chromium through the Hosting emulator: the landing page shows the
 * live offer, success shows the real order, cancel offers the same colour, the lookup page, the local
 * checkout page, and screenshots of every page at 1280 and 375 px in the three languages.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHmac } from "node:crypto";
import { initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import type { Browser, Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) process.stderr.write(`SKIPPED shopper pages browser test: no Chromium at ${CHROMIUM}\n`);
const describeBrowser = HAVE_CHROMIUM ? describe : describe.skip;

const PROJECT = "demo-rolitt-pages";
const db = getFirestore(initializeApp({ projectId: PROJECT }, PROJECT));
const ARTIFACTS = join(__dirname, "..", "..", "test-artifacts");
const SHOTS = join(ARTIFACTS, "screenshots", "pages");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack, LOCAL_SECRETS } = require("../../devtools/stack") as { startStack: (o: object) => Promise<any>; LOCAL_SECRETS: any };

// a shared 2-core machine: cold emulated functions can take tens of seconds on first call
jest.setTimeout(150_000);

const PRICE = { id: "price_rolitt_kwd", unit_amount: 12500, currency: "kwd" };
const LOCALES = ["en", "zh-HK", "zh-CN"] as const;
let stack: any;
let browser: Browser;
const metrics: Record<string, number> = {};
/** A paid order and a processing one, made through the pages, reused by the screenshots. */
const orders: Record<string, { sessionId: string; preorderId: string; number: string }> = {};

/** Starts each emulated function once (an invalid callable request creates nothing), so tests time pages, not cold starts. */
async function warmUp(site: string): Promise<void> {
  await Promise.all([
    fetch(`${site}/api/offer`).then((r) => r.arrayBuffer()),
    fetch(`${site}/api/order-status?session_id=cs_test_warmupwarmup`).then((r) => r.arrayBuffer()),
    fetch(`${site}/api/create-checkout-session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { email: "not-an-email", color: "black", locale: "en" } }),
    }).then((r) => r.arrayBuffer()),
  ]);
}

describeBrowser("shopper pages on a non-default offer", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack({
      projectId: PROJECT,
      dynamicPorts: true,
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
      prices: [PRICE],
      // the Price wins over amount/currency, which are set to something else on purpose
      params: { PREORDER_COLORS: "mint,black,white", STRIPE_PRICE_ID: PRICE.id, PREORDER_AMOUNT: "4200", PREORDER_CURRENCY: "eur" },
    });
    await warmUp(stack.urls.site);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    writeFileSync(join(ARTIFACTS, "pages-metrics.json"), JSON.stringify(metrics, null, 2));
  }, 30_000);

  async function open(path: string, opts: { width?: number; locale?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 900 }, locale: opts.locale ?? "en-US" });
    const page = await context.newPage();
    await page.goto(`${stack.urls.site}${path}`, { waitUntil: "networkidle" });
    return page;
  }
  const ready = (page: Page, attr = "offer") =>
    page.waitForFunction((a) => document.body.dataset[a] !== undefined, attr, { timeout: 30_000 });
  // Intl puts a no-break space between currency and amount: compare with plain spaces
  const text = async (page: Page, sel: string) => ((await page.locator(sel).textContent()) ?? "").replace(/\s+/g, " ").trim();
  const preorderOf = async (sessionId: string) => {
    const id = stack.stripe.state.sessions.get(sessionId).metadata.preorder_id;
    return (await db.collection("preorders").doc(id).get()).data()!;
  };
  async function checkout(page: Page, colour: string, email: string): Promise<string> {
    await ready(page);
    await page.getByLabel(colour, { exact: true }).check();
    await page.locator("#email").fill(email);
    await page.locator("#submit").click();
    await page.waitForURL(`${stack.urls.stripe}/c/pay/**`, { timeout: 60_000 });
    return page.url().split("/").pop()!;
  }

  it("the landing page shows the offer Checkout will charge: the Price's amount in KWD (3 decimals), the configured colours", async () => {
    const api = await fetch(`${stack.urls.site}/api/offer`);
    expect(api.headers.get("cache-control")).toBe("public, max-age=60, s-maxage=300");
    const page = await open("/");
    await ready(page);
    expect(await text(page, "#price")).toBe("KWD 12.500");
    expect(await page.locator(".swatch").allTextContents()).toEqual(["Mint", "Black", "White"]);
    expect(await text(page, "#ship")).toBe("Ships from March 2027");
    expect(await page.title()).toBe("Rolitt — preorder");
    const zh = await open("/?lang=zh-CN", { width: 375 });
    await ready(zh);
    expect(await zh.locator(".swatch").allTextContents()).toEqual(["薄荷绿", "黑色", "白色"]);
    expect(await text(zh, "#price")).toMatch(/KWD\s?12\.500/);
    await zh.context().close();
    await page.context().close();
  });

  it("switching language keeps the chosen colour", async () => {
    const page = await open("/");
    await ready(page);
    await page.getByLabel("White", { exact: true }).check();
    await page.getByRole("link", { name: "繁體中文" }).click();
    await page.waitForURL(/lang=zh-HK/);
    await ready(page);
    expect(await page.getByLabel("白色", { exact: true }).isChecked()).toBe(true);
    await page.context().close();
  });

  it("the toy's face stays visible on the black and the white shell; the page has a favicon", async () => {
    const page = await open("/");
    await ready(page);
    const contrast = () =>
      page.evaluate(() => {
        const lum = (c: string) => {
          const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
            const x = Number(v) / 255;
            return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const ratio = (a: string, b: string) => {
          const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
          return (x + 0.05) / (y + 0.05);
        };
        const shell = getComputedStyle(document.querySelector(".toy .shell")!).fill;
        const mouth = getComputedStyle(document.querySelector(".toy .mouth")!).stroke;
        const eye = getComputedStyle(document.querySelector(".toy .eye")!);
        // an eye shows when its fill or its outline stands out from the shell
        return {
          mouth: ratio(mouth, shell),
          eye: Math.max(ratio(eye.fill, shell), parseFloat(eye.strokeWidth) > 0 ? ratio(eye.stroke, shell) : 1),
        };
      });
    for (const colour of ["Black", "White"]) {
      await page.getByLabel(colour, { exact: true }).check();
      await page.waitForTimeout(400); // the shell's fill transition (0.2 s) ends first
      const c = await contrast();
      expect(c.mouth).toBeGreaterThanOrEqual(3);
      expect(c.eye).toBeGreaterThanOrEqual(3);
    }
    expect(await page.locator('link[rel="icon"]').getAttribute("href")).toBe("/favicon.svg");
    const icon = await fetch(`${stack.urls.site}/favicon.svg`);
    expect([icon.status, icon.headers.get("content-type")]).toEqual([200, expect.stringContaining("image/svg")]);
    await page.context().close();
  });

  it("pay → the success page shows the preorder number, the colour and Paid; Back shows the paid checkout", async () => {
    const page = await open("/");
    const sessionId = await checkout(page, "Black", "payer@example.com");
    const session = stack.stripe.state.sessions.get(sessionId);
    expect([session.amount_total, session.currency]).toEqual([12500, "kwd"]);
    expect(await text(page, ".amount")).toBe("KWD 12.500");
    const doc = await preorderOf(sessionId);
    await page.locator("#pay").click();
    await page.waitForURL(`${stack.urls.site}/success?**`);
    await page.waitForFunction(() => document.body.dataset.order === "paid", null, { timeout: 30_000 });
    expect(await text(page, "#f-number")).toBe(doc.preorderNumber);
    expect(await text(page, "#f-colour")).toBe("Black");
    expect(await text(page, "#f-status")).toBe("Paid");
    expect(await text(page, "h1")).toBe("Thank you! Your preorder is confirmed.");
    expect(await page.content()).not.toContain("payer@example.com");
    orders.paid = { sessionId, preorderId: doc.preorderId, number: doc.preorderNumber };
    await page.goBack();
    await page.waitForSelector("#paid-state");
    expect(await text(page, "#paid-state")).toBe("Payment received. Thank you!");
    await page.context().close();
  });

  it("a delayed payment method: the success page says processing, polls, then shows paid", async () => {
    const page = await open("/?lang=zh-CN");
    const sessionId = await checkout(page, "薄荷绿", "bank@example.com");
    const doc = await preorderOf(sessionId);
    await stack.stripe.act("pay", sessionId, { async: true });
    await page.goto(stack.stripe.state.sessions.get(sessionId).success_url.replace("{CHECKOUT_SESSION_ID}", sessionId));
    await page.waitForFunction(() => document.body.dataset.order === "processing", null, { timeout: 30_000 });
    expect(await text(page, "#f-status")).toBe("处理中");
    expect(await text(page, "#f-colour")).toBe("薄荷绿");
    await stack.stripe.act("settle", sessionId, { outcome: "succeeded" });
    await page.waitForFunction(() => document.body.dataset.order === "paid", null, { timeout: 30_000 });
    expect(await text(page, "#f-status")).toBe("已付款");
    orders.processing = { sessionId, preorderId: doc.preorderId, number: doc.preorderNumber };
    await page.context().close();
  });

  it("a success URL with a session id that is no preorder's shows 'not found', not a made-up reference", async () => {
    const page = await open("/success?session_id=cs_test_abcdefghijklmnop");
    await page.waitForFunction(() => document.body.dataset.order === "not-found", null, { timeout: 30_000 });
    expect(await text(page, "h1")).toBe("We could not find this order");
    expect(await page.locator("#facts").isHidden()).toBe(true);
    await page.context().close();
  });

  it("cancel offers the same colour again", async () => {
    const page = await open("/?lang=zh-HK");
    await checkout(page, "白色", "cancel@example.com");
    await page.locator("#expire").click();
    await page.waitForURL(`${stack.urls.site}/cancel?**`);
    await page.waitForFunction(() => document.body.dataset.ready === "true");
    expect(await text(page, "#again")).toBe("以白色再試一次");
    await page.locator("#again").click();
    await ready(page);
    expect(await page.getByLabel("白色", { exact: true }).isChecked()).toBe(true);
    await page.context().close();
  });

  it("lookup: number + email shows status, colour, ship window and refund; a wrong email and an unknown number read the same", async () => {
    const { number, sessionId } = orders.paid;
    const page = await open("/order");
    const lookup = async (n: string, email: string) => {
      await page.locator("#number").fill(n);
      await page.locator("#email").fill(email);
      await page.locator("#submit").click();
    };
    await lookup(number, "someone-else@example.com");
    await page.waitForFunction(() => document.querySelector("#status")!.textContent !== "");
    const wrongEmail = await text(page, "#status");
    await page.locator("#status").evaluate((el) => (el.textContent = ""));
    await lookup("ROL-10000001", "payer@example.com");
    await page.waitForFunction(() => document.querySelector("#status")!.textContent !== "");
    expect(await text(page, "#status")).toBe(wrongEmail);
    expect(wrongEmail).toBe("No order matches these details.");

    await stack.stripe.act("refund", sessionId);
    await page.waitForTimeout(300);
    await lookup(number.toLowerCase(), " Payer@Example.com");
    await page.waitForFunction(() => document.body.dataset.order !== undefined, null, { timeout: 30_000 });
    expect(await text(page, "#f-number")).toBe(number);
    expect(await text(page, "#f-colour")).toBe("Black");
    expect(await text(page, "#f-ships")).toBe("Ships from March 2027");
    expect(await text(page, "#f-refund")).toBe("Refunded in full");
    expect(await text(page, "#f-status")).toBe("Refunded");
    await page.context().close();
  });

  it("lookup by the signed link a mail can carry; a forged link shows why and the form", async () => {
    const { preorderId, number } = orders.processing;
    const sig = createHmac("sha256", LOCAL_SECRETS.ORDER_LINK_SECRET).update(`order-link:v1:${preorderId}`).digest("base64url");
    const page = await open(`/order?id=${preorderId}&sig=${sig}&lang=zh-HK`);
    await page.waitForFunction(() => document.body.dataset.order === "paid", null, { timeout: 30_000 });
    expect(await text(page, "#f-number")).toBe(number);
    expect(await page.locator("#lookup").isHidden()).toBe(true);
    const forged = await open(`/order?id=${preorderId}&sig=${"A".repeat(43)}`);
    await forged.waitForFunction(() => document.body.dataset.ready === "true");
    expect(await text(forged, "#status")).toBe("This link is not valid any more. Enter your preorder number and email instead.");
    expect(await forged.locator("#lookup").isVisible()).toBe(true);
    await forged.context().close();
    await page.context().close();
  });

  it("the local checkout page fits 375 px and speaks the shopper's language", async () => {
    const page = await open("/?lang=zh-HK", { width: 375, locale: "zh-HK" });
    await checkout(page, "黑色", "small@example.com");
    expect(await page.locator("html").getAttribute("lang")).toBe("zh-HK");
    expect(await text(page, "#pay")).toBe("付款");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(SHOTS, "checkout-local-375-zh-HK.png"), fullPage: true });
    await page.context().close();
  });

  it("the landing page transfers under 80 KB", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    let bytes = 0;
    let decoded = 0;
    cdp.on("Network.loadingFinished", (e: { encodedDataLength: number }) => (bytes += e.encodedDataLength));
    cdp.on("Network.dataReceived", (e: { dataLength: number }) => (decoded += e.dataLength));
    await page.goto(`${stack.urls.site}/`, { waitUntil: "networkidle" });
    await ready(page);
    Object.assign(metrics, { landingTransferredBytes: bytes, landingDecodedBytes: decoded });
    process.stdout.write(`landing page: ${bytes} bytes transferred (${(bytes / 1024).toFixed(1)} KiB; ${decoded} bytes uncompressed)\n`);
    expect(bytes).toBeLessThan(80 * 1024);
    await context.close();
  });

  it("screenshots: landing, success, lookup and cancel at 1280 and 375 px in the three languages", async () => {
    const { sessionId, preorderId } = orders.processing;
    const sig = createHmac("sha256", LOCAL_SECRETS.ORDER_LINK_SECRET).update(`order-link:v1:${preorderId}`).digest("base64url");
    const pages: Record<string, [string, string]> = {
      landing: ["/?color=black", "offer"],
      success: [`/success?session_id=${sessionId}&preorder_id=${preorderId}`, "order"],
      lookup: [`/order?id=${preorderId}&sig=${sig}`, "order"],
      cancel: [`/cancel?preorder_id=${preorderId}&color=mint`, "ready"],
    };
    for (const width of [1280, 375])
      for (const locale of LOCALES)
        for (const [name, [path, attr]] of Object.entries(pages)) {
          const page = await open(`${path}&lang=${locale}`, { width, locale });
          await ready(page, attr);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
          await page.screenshot({ path: join(SHOTS, `${name}-${width}-${locale}.png`), fullPage: true });
          await page.context().close();
        }
  }, 480_000);
});
