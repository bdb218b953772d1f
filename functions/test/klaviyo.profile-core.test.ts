/**
 * klaviyo/profile.ts, the parts the mutation run found untested by the unit suites: reading a preorder
 * document into the profile's input (the trigger's path, otherwise reached only through Firestore), the
 * empty list, and the tie-break between preorders created in the same millisecond.
 */
import { profileImportBody, shopperPreorderOf, shopperProfile } from "../src/klaviyo/profile";
import { shopperPreorder } from "./helpers/shopper";

const P = shopperPreorder;

describe("shopperPreorderOf", () => {
  it("takes every field the profile needs from a stored document", () => {
    const doc = {
      preorderNumber: "ROL-12345678",
      email: "a@example.com",
      color: "pink",
      locale: "zh-HK",
      status: "failed",
      stripe: { sessionId: "cs_9", paymentIntentId: "pi_9" },
      createdAt: { toMillis: () => 42_000 },
      amount: 9900,
    };
    expect(shopperPreorderOf("p9", doc)).toEqual({
      preorderId: "p9",
      preorderNumber: "ROL-12345678",
      email: "a@example.com",
      color: "pink",
      locale: "zh-HK",
      status: "failed",
      stripe: { sessionId: "cs_9", paymentIntentId: "pi_9" },
      createdAtMs: 42_000,
    });
  });

  it("a sparse or older document gets safe defaults: empty strings, English, no Stripe refs, created at 0", () => {
    expect(shopperPreorderOf("p0", { status: "created" })).toEqual({
      preorderId: "p0",
      preorderNumber: "",
      email: "",
      color: "",
      locale: "en",
      status: "created",
      stripe: null,
      createdAtMs: 0,
    });
  });

  it("a createdAt that is not a Timestamp (no toMillis) counts as 0, not an error", () => {
    expect(shopperPreorderOf("p0", { status: "created", createdAt: { seconds: 5 } }).createdAtMs).toBe(0);
  });
});

describe("shopperProfile edges", () => {
  it("refuses an empty list: there is always the preorder being delivered", () => {
    expect(() => shopperProfile([])).toThrow("shopperProfile needs at least one preorder");
  });

  it("created in the same millisecond: the greater preorder id is the latest, whatever the input order", () => {
    const a = P({ preorderId: "a", preorderNumber: "ROL-A", color: "red" });
    const b = P({ preorderId: "b", preorderNumber: "ROL-B", color: "blue" });
    for (const list of [
      [a, b],
      [b, a],
    ]) {
      expect(shopperProfile(list).properties).toMatchObject({ preorder_number: "ROL-B", yoyo_color: "blue" });
    }
  });

  it("the newest createdAt wins over the preorder id", () => {
    const older = P({ preorderId: "z", preorderNumber: "ROL-Z", createdAtMs: 1_000 });
    const newer = P({ preorderId: "a", preorderNumber: "ROL-A", createdAtMs: 2_000 });
    expect(shopperProfile([older, newer]).properties.preorder_number).toBe("ROL-A");
    expect(shopperProfile([newer, older]).properties.preorder_number).toBe("ROL-A");
  });

  it("a latest preorder without a session id leaves stripe_order_id out", () => {
    expect(shopperProfile([P({ stripe: { sessionId: null } })]).properties).not.toHaveProperty("stripe_order_id");
    expect(shopperProfile([P({ stripe: null })]).properties).not.toHaveProperty("stripe_order_id");
  });
});

describe("profileImportBody", () => {
  it("carries the email, locale and every profile property", () => {
    const profile = shopperProfile([P({ status: "refunded", locale: "zh-CN" })]);
    expect(profileImportBody(profile)).toEqual({
      data: { type: "profile", attributes: { email: "a@example.com", locale: "zh-CN", properties: profile.properties } },
    });
  });
});
