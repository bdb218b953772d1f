import { sessionParams } from "../src/checkout/session-params";
import type { OfferConfig } from "../src/config";
import { OFFER_CONTENT } from "../src/offer/content";

const offer: OfferConfig = {
  colors: ["khaki", "black", "white"],
  priceId: null,
  amount: 9900,
  currency: "usd",
  productName: "Rolitt preorder",
  siteUrl: "https://rolitt.example",
  shippingCountries: ["US", "HK"],
};

const base = {
  input: { email: "ada@example.com", color: "black", locale: "zh-CN" as const },
  preorderId: "p1",
  preorderNumber: "ROL-12345678",
  customerId: "cus_1",
  offer,
};

describe("session params", () => {
  it("builds a payment session for the preorder", () => {
    const p = sessionParams(base);
    const metadata = { preorder_id: "p1", preorder_number: "ROL-12345678", color: "black", email: "ada@example.com", locale: "zh-CN" };
    expect(p).toMatchObject({
      mode: "payment",
      customer: "cus_1",
      client_reference_id: "p1",
      metadata,
      payment_intent_data: { metadata },
      locale: "zh",
      line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount: 9900, product_data: { name: "Rolitt · 黑色" } } }],
      shipping_address_collection: { allowed_countries: ["US", "HK"] },
    });
    expect(p.success_url).toBe("https://rolitt.example/success?session_id={CHECKOUT_SESSION_ID}&preorder_id=p1&lang=zh-CN");
    expect(p.cancel_url).toBe("https://rolitt.example/cancel?preorder_id=p1&color=black&lang=zh-CN");
  });

  it("an English session's pages carry no lang (the page's default); other locales carry theirs", () => {
    const en = sessionParams({ ...base, input: { ...base.input, locale: "en" } });
    expect(en.success_url).toBe("https://rolitt.example/success?session_id={CHECKOUT_SESSION_ID}&preorder_id=p1");
    expect(en.cancel_url).toBe("https://rolitt.example/cancel?preorder_id=p1&color=black");
    expect(sessionParams({ ...base, input: { ...base.input, locale: "zh-HK" } }).success_url).toMatch(/&lang=zh-HK$/);
  });

  it("the product shows the offer's images when it has some, and sends no empty list when it has none", () => {
    const imagesOf = () => (sessionParams(base).line_items![0]!.price_data!.product_data as { images?: string[] }).images;
    const saved = [...OFFER_CONTENT.images];
    try {
      OFFER_CONTENT.images.splice(0, Infinity); // today's content.json has none
      expect(imagesOf()).toBeUndefined();
      OFFER_CONTENT.images.push("https://rolitt.example/rolitt-black.jpg"); // once the shop adds one
      expect(imagesOf()).toEqual(["https://rolitt.example/rolitt-black.jpg"]);
    } finally {
      OFFER_CONTENT.images.splice(0, Infinity, ...saved);
    }
  });

  it("uses a configured Price id instead of an amount", () => {
    expect(sessionParams({ ...base, offer: { ...offer, priceId: "price_123" } }).line_items).toEqual([{ price: "price_123", quantity: 1 }]);
  });

  it("maps each locale to Stripe's", () => {
    const locale = (l: "en" | "zh-HK" | "zh-CN") => sessionParams({ ...base, input: { ...base.input, locale: l } }).locale;
    expect([locale("en"), locale("zh-HK"), locale("zh-CN")]).toEqual(["en", "zh-HK", "zh"]);
  });
});
