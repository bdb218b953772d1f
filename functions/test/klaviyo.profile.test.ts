/** klaviyo/profile.ts: what the profile says about a shopper with one or several preorders (pure). */
import { profileImportBody, shopperProfile } from "../src/klaviyo/profile";
import { shopperPreorder } from "./helpers/shopper";
import { deliveriesFor } from "../src/klaviyo/handler";
import { profileImportProblems } from "../src/klaviyo/validate";

const P = shopperPreorder;

describe("shopperProfile", () => {
  it.each([
    ["created", false, "created"],
    ["failed", false, "failed"],
    ["succeeded", true, "succeeded"],
    ["expired", false, "expired"],
    ["refunded", false, "refunded"],
  ] as const)("one preorder %s → paid %p, status %p", (status, paid, shown) => {
    expect(shopperProfile([P({ status })]).properties).toEqual({
      preorder_paid: paid,
      preorder_status: shown,
      preorder_number: "ROL-00000001",
      yoyo_color: "khaki",
      stripe_order_id: "cs_1",
      preorder_count: 1,
      preorder_paid_count: paid ? 1 : 0,
    });
  });

  it("paid wins: an older paid preorder and a newer unpaid one → paid, with the newer one's number and colour", () => {
    const old = P({ preorderId: "a", status: "succeeded", createdAtMs: 1_000 });
    const fresh = P({
      preorderId: "b",
      status: "failed",
      preorderNumber: "ROL-00000002",
      color: "black",
      locale: "zh-HK",
      stripe: { sessionId: "cs_2" },
      createdAtMs: 2_000,
    });
    for (const list of [
      [old, fresh],
      [fresh, old],
    ]) {
      const prof = shopperProfile(list);
      expect(prof.locale).toBe("zh-HK");
      expect(prof.properties).toEqual({
        preorder_paid: true,
        preorder_status: "succeeded",
        preorder_number: "ROL-00000002",
        yoyo_color: "black",
        stripe_order_id: "cs_2",
        preorder_count: 2,
        preorder_paid_count: 1,
      });
    }
  });

  it("no paid preorder → the latest preorder's status; equal times fall back to the id", () => {
    const a = P({ preorderId: "a", status: "refunded", createdAtMs: 5 });
    const b = P({ preorderId: "b", status: "created", createdAtMs: 5, preorderNumber: "ROL-2" });
    expect(shopperProfile([a, b]).properties).toMatchObject({ preorder_status: "created", preorder_number: "ROL-2", preorder_paid: false });
    expect(shopperProfile([b, a]).properties).toMatchObject({ preorder_status: "created", preorder_number: "ROL-2" });
  });

  it("no session id → no stripe_order_id; no preorders → an error", () => {
    expect(shopperProfile([P({ stripe: null })]).properties).not.toHaveProperty("stripe_order_id");
    expect(() => shopperProfile([])).toThrow(/at least one/);
  });

  it("the profile update for statuses without an event validates against Klaviyo's create_or_update_profile schema", () => {
    const body = profileImportBody(shopperProfile([P({ status: "refunded" })]));
    expect(profileImportProblems(body)).toEqual([]);
    expect(profileImportProblems({ data: { type: "person", attributes: {} } }).map((p) => p.schema)).toEqual([
      "Klaviyo create_or_update_profile 2026-07-15",
    ]);
  });
});

describe("deliveriesFor (what a write asks for)", () => {
  const consent = { given: true, at: { toDate: () => new Date(0) }, locale: "en", textVersion: "v1" };
  it.each([
    ["a new preorder", undefined, { status: "created" }, ["created"]],
    ["a status change", { status: "created" }, { status: "succeeded" }, ["succeeded"]],
    ["paid, then refunded", { status: "succeeded" }, { status: "refunded" }, ["refunded"]],
    [
      "refunded before the payment was seen: Success is still owed",
      { status: "created" },
      { status: "refunded" },
      ["succeeded", "refunded"],
    ],
    ["failed, then refunded", { status: "failed" }, { status: "refunded" }, ["succeeded", "refunded"]],
    ["a Payment Link sale first seen refunded", undefined, { status: "refunded" }, ["succeeded", "refunded"]],
    ["no status change", { status: "created" }, { status: "created", x: 1 }, []],
    ["a deletion", { status: "created" }, undefined, []],
    ["an unknown status", { status: "created" }, { status: "paid" }, []],
    ["a new preorder with consent", undefined, { status: "created", marketingConsent: consent }, ["created", "subscribe"]],
    ["consent given later", { status: "created" }, { status: "created", marketingConsent: consent }, ["subscribe"]],
    [
      "consent kept, no status change",
      { status: "created", marketingConsent: consent },
      { status: "created", marketingConsent: consent },
      [],
    ],
    ["consent not given", undefined, { status: "created", marketingConsent: { given: false, at: null } }, ["created"]],
  ])("%s", (_n, before, after, keys) => {
    expect(deliveriesFor(before as never, after as never)).toEqual(keys);
  });
});
