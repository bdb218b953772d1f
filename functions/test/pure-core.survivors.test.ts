/**
 * Cases the first mutation run (docs/mutation.md) showed no unit test pinned: optional fields of a new
 * preorder, the status guard, email normalisation, the failed event's default reason, attribution values that
 * are not strings. Each would let a plausible slip through the unit suites.
 */
import { attributionProperties } from "../src/klaviyo/events-api";
import { seedEventFor } from "../src/klaviyo/seed-event";
import { newPreorder } from "../src/preorder/new-preorder";
import { isStatus } from "../src/preorder/status";
import { fresh } from "./helpers/fresh";

const INIT = {
  preorderId: "p1",
  preorderNumber: "ROL-12345678",
  email: "a@example.com",
  color: "khaki",
  locale: "en" as const,
  amount: 9900,
  currency: "usd",
};

describe("newPreorder: optional fields", () => {
  it("without consent or attribution, the document has neither key", () => {
    const p = newPreorder(INIT);
    expect(p).not.toHaveProperty("marketingConsent");
    expect(p).not.toHaveProperty("attribution");
  });

  it("keeps the consent given and the attribution, including an explicit null attribution", () => {
    const marketingConsent = { given: true, at: 5, locale: "en" as const, textVersion: "v1" };
    const p = newPreorder({ ...INIT, marketingConsent, attribution: { utm_source: "ig" } });
    expect(p.marketingConsent).toEqual(marketingConsent);
    expect(p.attribution).toEqual({ utm_source: "ig" });
    expect(newPreorder({ ...INIT, attribution: null })).toHaveProperty("attribution", null);
  });
});

describe("isStatus", () => {
  it.each([["created"], ["refunded"]])("%s is a status", (s) => expect(isStatus(s)).toBe(true));
  it.each([[null], [3], [["created"]], [{ toString: () => "created" }], ["Created"]])("%p is not", (v) => expect(isStatus(v)).toBe(false));
});

describe("normalizeEmail", () => {
  it("trims and lower-cases, so one shopper is one email", () => {
    // loaded inside the test: the function is a module-level arrow, so its mutant is chosen at load time
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { normalizeEmail } = fresh(() => require("../src/preorder/types") as typeof import("../src/preorder/types"));
    expect(normalizeEmail("  A.B@Example.COM ")).toBe("a.b@example.com");
  });
});

describe("seedEventFor failed", () => {
  it("a failed preorder with no stored reason says 'Payment failed'", () => {
    const p = { ...INIT, stripe: { customerId: null, sessionId: null, paymentIntentId: null }, errorReason: null };
    expect(seedEventFor(p, "failed", new Date(0)).properties).toMatchObject({ error_reason: "Payment failed" });
  });
});

describe("attributionProperties", () => {
  it("drops values that are not strings, and a non-object", () => {
    expect(attributionProperties({ utm_source: 5, utm_medium: ["x"], utm_campaign: "launch" })).toEqual({ utm_campaign: "launch" });
    expect(attributionProperties("utm_source=ig")).toEqual({});
  });
});
