/** The offer's words, the live offer, prices in every currency's decimals, the public order view, signed links. */
import { colorContent, OFFER_CONTENT } from "../src/offer/content";
import { formatMoney } from "../src/offer/format";
import { liveOffer, OfferError } from "../src/offer/live";
import { orderLink, signedOrderLink, signOrderId, verifyOrderSignature } from "../src/order/link";
import { publicOrder } from "../src/order/public-view";
import { WindowLimiter } from "../src/order/rate-limit";
import { lineItem, sessionParams } from "../src/checkout/session-params";
import { LOCALES } from "../src/preorder/types";

const config = { colors: ["khaki", "black", "white"], priceId: null, amount: 9900, currency: "usd" };

describe("offer content", () => {
  it("has every word in the three languages", () => {
    const localized = [
      OFFER_CONTENT.product.name,
      OFFER_CONTENT.product.tagline,
      OFFER_CONTENT.product.description,
      OFFER_CONTENT.shipWindow,
      ...Object.values(OFFER_CONTENT.colors).map((c) => c.name),
    ];
    for (const words of localized) for (const l of LOCALES) expect(words[l]).toMatch(/\S/);
    for (const c of Object.values(OFFER_CONTENT.colors)) expect(c.swatch).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it("names a configured colour that has no words after its id", () => {
    expect(colorContent("sand")).toEqual({ id: "sand", swatch: "#9a9a9a", name: { en: "Sand", "zh-HK": "Sand", "zh-CN": "Sand" } });
  });
});

describe("live offer", () => {
  it("shows the configured colours, in order, with their words, and the configured price", () => {
    const o = liveOffer({ ...config, colors: ["mint", "black"], amount: 12345, currency: "HKD" }, null);
    expect(o.colors.map((c) => [c.id, c.name["zh-HK"]])).toEqual([
      ["mint", "薄荷綠"],
      ["black", "黑色"],
    ]);
    expect(o).toMatchObject({ amount: 12345, currency: "hkd", decimals: 2, priceSource: "config" });
  });

  it("takes price and currency from the Stripe Price when one is configured", () => {
    const o = liveOffer({ ...config, priceId: "price_1" }, { id: "price_1", unit_amount: 12500, currency: "kwd" });
    expect(o).toMatchObject({ amount: 12500, currency: "kwd", decimals: 3, priceSource: "stripe-price" });
  });

  it("refuses a Price it did not load or one without a fixed amount", () => {
    expect(() => liveOffer({ ...config, priceId: "price_1" }, null)).toThrow(new OfferError("Stripe Price price_1 was not loaded"));
    // another Price than the configured one (a stale cache, a wrong id) is not shown as the offer
    expect(() => liveOffer({ ...config, priceId: "price_1" }, { id: "price_2", unit_amount: 100, currency: "usd" })).toThrow(
      "Stripe Price price_1 was not loaded",
    );
    // Stripe's unit_amount is whole minor units; a fraction would be a price the page and Checkout disagree on
    expect(() => liveOffer({ ...config, priceId: "price_1" }, { id: "price_1", unit_amount: 99.5, currency: "usd" })).toThrow(
      /no fixed unit_amount/,
    );
    expect(() => liveOffer({ ...config, priceId: "price_1" }, { id: "price_1", unit_amount: null, currency: "usd" })).toThrow(
      /no fixed unit_amount/,
    );
  });
});

describe("prices in Stripe's decimals", () => {
  const ZERO = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
  const THREE = ["bhd", "jod", "kwd", "omr", "tnd"];
  const fractionDigits = (s: string): number => /[.,](\d+)\D*$/.exec(s.replace(/\s/g, ""))?.[1].length ?? 0;

  it.each(ZERO)("%s: the amount is whole units, never divided", (c) => {
    const text = formatMoney(12800, c, "en");
    expect(text.replace(/\D/g, "")).toBe("12800");
    expect(text).not.toMatch(/\.\d/);
  });
  it.each(THREE)("%s: three decimals", (c) => {
    const text = formatMoney(12500, c, "en");
    expect(fractionDigits(text)).toBe(3);
    expect(text.replace(/\D/g, "")).toBe("12500");
  });
  it("usd, hkd, cny in each locale", () => {
    expect(formatMoney(9900, "usd", "en")).toBe("$99.00");
    expect(formatMoney(9900, "hkd", "zh-HK")).toBe("HK$99.00");
    expect(formatMoney(9900, "cny", "zh-CN")).toBe("¥99.00");
    expect(formatMoney(12800, "jpy", "zh-CN")).toBe("JP¥12,800");
  });
});

describe("Checkout's line item reads the same words", () => {
  const offer = { ...config, productName: "x", siteUrl: "https://rolitt.example", shippingCountries: ["HK"] };
  it("names the product and colour in the shopper's language, with the ship window", () => {
    const item = lineItem(offer, "zh-HK", "white");
    expect(item.price_data?.product_data).toEqual({
      name: `${OFFER_CONTENT.product.name["zh-HK"]} · 白色`,
      description: `${OFFER_CONTENT.product.description["zh-HK"]} ${OFFER_CONTENT.shipWindow["zh-HK"]}`,
    });
  });
  it("success and cancel URLs carry what those pages need", () => {
    const p = sessionParams({
      input: { email: "a@example.com", color: "black", locale: "en" },
      preorderId: "p1",
      preorderNumber: "ROL-12345678",
      customerId: "cus_1",
      offer,
    });
    expect(p.success_url).toBe("https://rolitt.example/success?session_id={CHECKOUT_SESSION_ID}&preorder_id=p1");
    expect(p.cancel_url).toBe("https://rolitt.example/cancel?preorder_id=p1&color=black");
  });
});

describe("public order view", () => {
  const base = { preorderNumber: "ROL-12345678", color: "black", amount: 9900, amountRefunded: 0 };
  it("holds number, status, colour, ship window and refund state, nothing else", () => {
    const view = publicOrder({ ...base, status: "succeeded", email: "a@example.com", customer: { name: "Ada" } } as never);
    expect(Object.keys(view).sort()).toEqual(["color", "preorderNumber", "refund", "shipWindow", "status"]);
    expect(JSON.stringify(view)).not.toMatch(/example\.com|Ada/);
    expect(view).toMatchObject({ status: "paid", refund: "none", color: { id: "black", name: { en: "Black" } } });
  });
  it.each([
    ["created", 0, "processing", "none"],
    ["failed", 0, "failed", "none"],
    ["expired", 0, "expired", "none"],
    ["succeeded", 4000, "paid", "partial"],
    ["refunded", 9900, "refunded", "full"],
  ] as const)("%s (refunded %d) → %s, refund %s", (status, amountRefunded, want, refund) => {
    expect(publicOrder({ ...base, status, amountRefunded })).toMatchObject({ status: want, refund });
  });
});

describe("signed order links", () => {
  const secret = "s3cret";
  it("verifies its own signature and nothing else", () => {
    const sig = signOrderId("abc", secret);
    expect(verifyOrderSignature("abc", sig, secret)).toBe(true);
    expect(verifyOrderSignature("abd", sig, secret)).toBe(false);
    expect(verifyOrderSignature("abc", sig, "other")).toBe(false);
    expect(verifyOrderSignature("abc", `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`, secret)).toBe(false);
    expect(verifyOrderSignature("abc", sig, "")).toBe(false);
    expect(verifyOrderSignature("abc", "short", secret)).toBe(false);
  });
  it("builds the lookup page's URL", () => {
    const url = new URL(signedOrderLink({ preorderId: "abc", secret, siteUrl: "https://rolitt.example", locale: "zh-HK" }));
    expect(url.origin + url.pathname).toBe("https://rolitt.example/order");
    expect(Object.fromEntries(url.searchParams)).toEqual({ id: "abc", sig: signOrderId("abc", secret), lang: "zh-HK" });
  });
  it("an English link or one without a locale carries no lang (the page's default)", () => {
    for (const locale of ["en", undefined]) {
      const url = new URL(signedOrderLink({ preorderId: "abc", secret, siteUrl: "https://rolitt.example", locale }));
      expect([...url.searchParams.keys()]).toEqual(["id", "sig"]);
    }
  });
  it("refuses to sign without a secret, so no mail carries a link anyone could forge", () => {
    expect(() => signOrderId("abc", "")).toThrow("ORDER_LINK_SECRET is not configured");
  });
  it("a signature that is not a string is refused, not a crash", () => {
    expect(verifyOrderSignature("abc", 12345 as never, secret)).toBe(false);
    expect(verifyOrderSignature("abc", undefined as never, secret)).toBe(false);
  });
  it("the deployed link uses SITE_URL and ORDER_LINK_SECRET", () => {
    const saved = { site: process.env.SITE_URL, secret: process.env.ORDER_LINK_SECRET };
    process.env.SITE_URL = "https://shop.rolitt.example/";
    process.env.ORDER_LINK_SECRET = "deployed_secret";
    try {
      const url = new URL(orderLink("abc", "zh-CN"));
      expect(url.origin + url.pathname).toBe("https://shop.rolitt.example/order");
      expect(url.searchParams.get("sig")).toBe(signOrderId("abc", "deployed_secret"));
      expect(url.searchParams.get("lang")).toBe("zh-CN");
    } finally {
      for (const [k, v] of [
        ["SITE_URL", saved.site],
        ["ORDER_LINK_SECRET", saved.secret],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

describe("lookup rate limit", () => {
  it("lets `limit` requests through per window and key", () => {
    const l = new WindowLimiter(2, 1000);
    expect([l.take("a", 0), l.take("a", 1), l.take("a", 2), l.take("b", 2), l.take("a", 1000)]).toEqual([true, true, false, true, true]);
  });
});
