import type { ShopperPreorder } from "../../src/klaviyo/profile";

/** One of a shopper's preorders as klaviyo/profile.ts reads it: an unpaid khaki preorder, changed by `over`. */
export const shopperPreorder = (over: Partial<ShopperPreorder>): ShopperPreorder => ({
  preorderId: "p1",
  preorderNumber: "ROL-00000001",
  email: "a@example.com",
  color: "khaki",
  locale: "en",
  status: "created",
  stripe: { sessionId: "cs_1" },
  createdAtMs: 1_000,
  ...over,
});
