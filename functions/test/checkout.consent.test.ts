/**
 * Issue #11.3 (consent) and #12.4 (attribution), the callable's side: what the page sends is validated and
 * lands on the preorder in the contract's shape; the consent wording's version comes from the one file the
 * page's build reads too. Issue #16: two preorders never share a number.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { reservePreorderNumber } from "../src/checkout/handler";
import { InputError, parseCheckoutInput } from "../src/checkout/input";
import CONSENT from "../src/offer/consent.json";
import { db } from "../src/shared/firestore";
import { callCheckout as call, uniqueEmail as unique } from "./helpers/checkout";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";

let stripe: LocalStripe;
beforeAll(async () => {
  stripe = await startLocalStripe();
});
afterAll(() => stripe.close());

const doc = async (id: string) => (await db().collection("preorders").doc(id).get()).data()!;

describe("marketing consent on the preorder", () => {
  it("ticked → given, the time, the locale and the wording's version", async () => {
    const before = Date.now();
    const r = await call({ email: unique("yes"), color: "khaki", locale: "zh-HK", marketingConsent: true });
    const c = (await doc(r.preorderId)).marketingConsent;
    expect(c).toMatchObject({ given: true, locale: "zh-HK", textVersion: CONSENT.version });
    expect(c.at.toMillis()).toBeGreaterThanOrEqual(before - 1000);
  });

  it("unticked or absent → given false, at null (absent is what an older page sends)", async () => {
    for (const extra of [{ marketingConsent: false }, {}]) {
      const r = await call({ email: unique("no"), color: "white", ...extra });
      expect((await doc(r.preorderId)).marketingConsent).toEqual({ given: false, at: null, locale: "en", textVersion: CONSENT.version });
    }
  });

  it("the wording exists in all three languages and says what they will receive", () => {
    expect(Object.keys(CONSENT.text).sort()).toEqual(["en", "zh-CN", "zh-HK"]);
    expect(CONSENT.text.en).toMatch(/by e-mail: launch and shipping updates/);
    // the page's email field keeps its label to itself (getByLabel("Email"/"電郵"/"邮箱") finds one element)
    expect(CONSENT.text.en).not.toMatch(/email/i);
    expect(CONSENT.text["zh-HK"]).not.toContain("電郵");
    expect(CONSENT.text["zh-CN"]).not.toContain("邮箱");
    expect(CONSENT.version).toMatch(/\S/);
  });
});

describe("attribution on the preorder", () => {
  it("stores the utm_* and the referrer, absent keys omitted", async () => {
    const attribution = { utm_source: "instagram", utm_campaign: "launch-2026", referrer: "https://blog.example.com/posts/rolitt" };
    const r = await call({ email: unique("utm"), color: "black", attribution });
    expect((await doc(r.preorderId)).attribution).toEqual(attribution);
  });

  it("none → null", async () => {
    for (const extra of [{}, { attribution: {} }, { attribution: null }]) {
      const r = await call({ email: unique("noutm"), color: "black", ...extra });
      expect((await doc(r.preorderId)).attribution).toBeNull();
    }
  });

  const BAD: Array<[string, unknown]> = [
    ["an unknown key", { utm_term: "x" }],
    ["a 101-character utm", { utm_source: "x".repeat(101) }],
    ["an empty utm", { utm_medium: "" }],
    ["a control character", { utm_campaign: "a\u0000b" }],
    ["a newline", { utm_content: "a\nb" }],
    ["a number", { utm_source: 5 }],
    ["a referrer with a query string", { referrer: "https://x.example/p?token=secret" }],
    ["a referrer with a fragment", { referrer: "https://x.example/p#access_token=secret" }],
    ["a referrer that is not http(s)", { referrer: "javascript:alert(1)" }],
    ["a 501-character referrer", { referrer: `https://x.example/${"a".repeat(490)}` }],
    ["an array", ["utm_source"]],
  ];
  it.each(BAD)("refuses %s, naming attribution, before any work", (_label, attribution) => {
    let error: unknown;
    try {
      parseCheckoutInput({ email: "a@b.co", color: "khaki", attribution }, ["khaki"]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe("attribution");
  });

  it("refuses a consent that is not a boolean", async () => {
    const err = await call({ email: unique("c"), color: "khaki", marketingConsent: "yes" }).catch((e: HttpsError) => e);
    expect(err).toBeInstanceOf(HttpsError);
    expect((err as HttpsError).details).toEqual({ field: "marketingConsent" });
  });
});

describe("preorder numbers (#16)", () => {
  it("when the drawn number is already reserved, the second caller gets a different number", async () => {
    const taken = `ROL-${String(Date.now()).slice(-8)}`;
    const fresh = `ROL-${String(Date.now() + 1).slice(-8)}`;
    expect(await reservePreorderNumber("first", () => taken)).toBe(taken);
    const draws = [taken, fresh];
    const second = await reservePreorderNumber("second", () => draws.shift()!);
    expect(second).toBe(fresh);
    expect((await db().collection("preorder_numbers").doc(taken).get()).get("preorderId")).toBe("first");
    expect((await db().collection("preorder_numbers").doc(fresh).get()).get("preorderId")).toBe("second");
  });

  it("after 5 collisions in a row: unavailable, asking to retry, and nothing reserved", async () => {
    const taken = `ROL-${String(Date.now() + 7).slice(-8)}`;
    await reservePreorderNumber("owner", () => taken);
    let draws = 0;
    const err = await reservePreorderNumber("unlucky", () => (draws++, taken)).catch((e: HttpsError) => e);
    expect(draws).toBe(5);
    expect(err).toBeInstanceOf(HttpsError);
    expect((err as HttpsError).code).toBe("unavailable");
    expect((err as HttpsError).message).toMatch(/retry/);
    expect((await db().collection("preorder_numbers").doc(taken).get()).get("preorderId")).toBe("owner");
  });

  it("20 racers drawing the same numbers each end up with their own", async () => {
    const pool = Array.from({ length: 25 }, (_, i) => `ROL-9${String(Date.now() + i).slice(-7)}`);
    const got = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        reservePreorderNumber(`racer${i}`, () => pool[Math.floor(Math.random() * 25)]!).catch(() => null),
      ),
    );
    const won = got.filter((n): n is string => n !== null);
    expect(new Set(won).size).toBe(won.length);
    for (const [i, n] of got.entries())
      if (n) expect((await db().collection("preorder_numbers").doc(n).get()).get("preorderId")).toBe(`racer${i}`);
  });
});
