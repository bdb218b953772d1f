/**
 * The landing page's part of issues #14, #11.3 and #12.4 in headless Chromium, against the local stack with
 * App Check enforced: the page registers App Check (a call without a token is refused, the page's calls go
 * through), the consent box (unticked by default, worded from consent.json) and the captured utm_* and
 * referrer reach the preorder, and a rate-limited call shows a polite wait in the shopper's language.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import type { Browser, Page } from "playwright-core";
import CONSENT from "../../functions/src/offer/consent.json";
// limit-message.js is a browser ES module without imports: evaluated as plain script for the pure checks
const retryMessage = new Function(
  `${readFileSync(join(__dirname, "..", "src", "limit-message.js"), "utf8").replace(/^export /gm, "")}; return retryMessage;`,
)() as (locale: string, seconds: number) => string;

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) process.stderr.write(`SKIPPED checkout guards browser test: no Chromium at ${CHROMIUM}\n`);
const describeBrowser = HAVE_CHROMIUM ? describe : describe.skip;

const PROJECT = "demo-rolitt-guards";
const db = getFirestore(initializeApp({ projectId: PROJECT }, PROJECT));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require("../../devtools/stack") as { startStack: (o: object) => Promise<any> };

let stack: any;
let browser: Browser;

describe("limit message (pure)", () => {
  it("says how long to wait in all three languages", () => {
    expect(retryMessage("en", 150)).toBe(
      "Lots of preorders are coming in right now. Please try again in 3 minutes. Nothing has been charged.",
    );
    expect(retryMessage("en", 1)).toContain("in 1 second.");
    expect(retryMessage("zh-HK", 40)).toContain("40 秒後再試");
    expect(retryMessage("zh-CN", 3600)).toContain("60 分钟后再试");
    expect(retryMessage("fr", 0)).toContain("in 1 second");
    expect(retryMessage("en", undefined as never)).toContain("in 1 minute");
  });
});

describeBrowser("landing page: App Check, consent, attribution, limits", () => {
  beforeAll(async () => {
    stack = await startStack({
      projectId: PROJECT,
      dynamicPorts: true,
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
      params: { ENFORCE_APP_CHECK: "true", RATE_LIMIT_PER_EMAIL_HOUR: "1" },
    });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 30_000);

  async function open(path: string, opts: { locale?: string; referer?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ locale: opts.locale ?? "en-US" });
    const page = await context.newPage();
    await page.goto(`${stack.urls.site}${path}`, { waitUntil: "networkidle", referer: opts.referer });
    return page;
  }
  const preorderOf = async (page: Page) => {
    await page.waitForURL(`${stack.urls.stripe}/c/pay/**`, { timeout: 20_000 });
    const id = stack.stripe.state.sessions.get(page.url().split("/").pop()).metadata.preorder_id;
    return (await db.collection("preorders").doc(id).get()).data()!;
  };

  it("a call without an App Check token is refused; the page's own call carries one and goes through", async () => {
    const res = await fetch(`${stack.urls.site}/api/create-checkout-session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { email: "direct@example.com", color: "khaki" } }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.status).toBe("UNAUTHENTICATED");

    const page = await open("/?utm_source=instagram&utm_medium=social&utm_campaign=launch&utm_content=reel-1", {
      referer: "https://blog.example.com/posts/rolitt?reset_token=secret#frag",
    });
    expect(await page.locator("#marketing-consent").isChecked()).toBe(false);
    await expect(page.locator("#consent-text").textContent()).resolves.toBe(CONSENT.text.en);
    await page.getByRole("textbox", { name: "Email" }).fill("guarded@example.com");
    await page.locator("#submit").click();
    const doc = await preorderOf(page);
    expect(doc.marketingConsent).toEqual({ given: false, at: null, locale: "en", textVersion: CONSENT.version });
    expect(doc.attribution).toEqual({
      utm_source: "instagram",
      utm_medium: "social",
      utm_campaign: "launch",
      utm_content: "reel-1",
      referrer: "https://blog.example.com/posts/rolitt",
    });
    await page.context().close();
  });

  it("ticking the box in Traditional Chinese records the consent with its wording's version", async () => {
    const page = await open("/", { locale: "zh-HK" });
    await expect(page.locator("#consent-text").textContent()).resolves.toBe(CONSENT.text["zh-HK"]);
    await page.locator("#marketing-consent").check();
    await page.getByLabel("電郵").fill("consent-hk@example.com");
    await page.locator("#submit").click();
    const doc = await preorderOf(page);
    expect(doc.marketingConsent).toMatchObject({ given: true, locale: "zh-HK", textVersion: CONSENT.version });
    expect(doc.attribution).toBeNull();
    await page.context().close();
  });

  it("over the limit: a polite wait in the shopper's language, the button usable again, nothing created", async () => {
    const first = await open("/?lang=zh-CN");
    await first.getByLabel("邮箱").fill("limited@example.com");
    await first.locator("#submit").click();
    await preorderOf(first);
    await first.context().close();

    const sessions = stack.stripe.state.sessions.size;
    const page = await open("/?lang=zh-CN");
    await page.getByLabel("黑色").check();
    await page.getByLabel("邮箱").fill("limited@example.com");
    await page.locator("#submit").click();
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("分钟后再试"), null, { timeout: 15_000 });
    expect(await page.locator("#status").textContent()).toMatch(/^现在预购的人很多，请在 \d+ 分钟后再试。/);
    expect(await page.locator("#submit").isEnabled()).toBe(true);
    expect(stack.stripe.state.sessions.size).toBe(sessions);
    await page.context().close();
  });
});
