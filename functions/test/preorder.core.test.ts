/** The pure preorder domain beside the status machine: numbers, emails in logs, the new document. */
import { newPreorder, type NewPreorder } from "../src/preorder/new-preorder";
import { drawPreorderNumber } from "../src/preorder/number";
import { maskEmail, normalizeEmail } from "../src/preorder/types";
import { fresh } from "./helpers/fresh";

describe("preorder numbers", () => {
  it("are ROL- and 8 digits without a leading zero, so they sort and read the same everywhere", () => {
    for (let i = 0; i < 2000; i++) expect(drawPreorderNumber()).toMatch(/^ROL-[1-9]\d{7}$/);
  });

  it("are drawn at random, not counted: 2,000 draws give (almost) 2,000 numbers, in no order", () => {
    const drawn = Array.from({ length: 2000 }, drawPreorderNumber);
    // 1 − P(no clash among 2,000 of 90 million) ≈ 2.2 %: allow a couple of clashes, never a counter
    expect(new Set(drawn).size).toBeGreaterThanOrEqual(1995);
    const digits = drawn.map((n) => Number(n.slice(4)));
    const ascending = digits.every((d, i) => i === 0 || d > digits[i - 1]);
    expect(ascending).toBe(false);
    // spread over the whole range, not a narrow band of it
    expect(Math.min(...digits)).toBeLessThan(20_000_000);
    expect(Math.max(...digits)).toBeGreaterThan(90_000_000);
  });
});

describe("emails", () => {
  it.each([
    ["  Jane.Doe@Example.COM ", "jane.doe@example.com"],
    ["\tUSER@EXAMPLE.COM\n", "user@example.com"],
    ["already@lower.case", "already@lower.case"],
  ])("normalizeEmail(%j) → %s", (raw, normal) => {
    expect(normalizeEmail(raw)).toBe(normal);
  });

  it.each([
    ["jane.doe@example.com", "j***@example.com"],
    ["a@example.com", "a***@example.com"], // one character before @: still masked, still names the domain
    ["ab@x.io", "a***@x.io"],
    ["odd@name@example.com", "o***@example.com"], // the last @ starts the domain
    ["@example.com", "***"], // nothing before @ to keep
    ["no-at-sign", "***"],
    ["", "***"],
  ])("maskEmail(%j) → %s", (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it("never lets the local part through", () => {
    for (const e of ["jane.doe@example.com", "x.y.z+tag@example.org", "ab@x.io"]) {
      const local = e.slice(1, e.lastIndexOf("@"));
      expect(maskEmail(e)).not.toContain(local);
    }
  });
});

describe("locales", () => {
  it("are the three the page offers and the seed's events carry", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LOCALES } = fresh(() => require("../src/preorder/types") as typeof import("../src/preorder/types"));
    expect(LOCALES).toEqual(["en", "zh-HK", "zh-CN"]);
  });
});

describe("newPreorder", () => {
  const init: NewPreorder = {
    preorderId: "p1",
    preorderNumber: "ROL-12345678",
    email: "jane@example.com",
    color: "khaki",
    locale: "zh-HK",
    amount: 9900,
    currency: "usd",
  };

  it("writes every field of the document, the unknowns as null, a fresh preorder as created by the callable", () => {
    expect(newPreorder(init)).toStrictEqual({
      preorderId: "p1",
      preorderNumber: "ROL-12345678",
      email: "jane@example.com",
      color: "khaki",
      locale: "zh-HK",
      status: "created",
      amount: 9900,
      currency: "usd",
      stripe: { customerId: null, sessionId: null, paymentIntentId: null },
      customer: null,
      errorReason: null,
      amountRefunded: 0,
      lastEventCreated: null,
      lastEventId: null,
      origin: "callable",
      hold: null,
      flagged: false,
      dispute: null,
    });
  });

  it("keeps the Stripe ids it is given and null for the rest", () => {
    expect(newPreorder({ ...init, stripe: { sessionId: "cs_1" } }).stripe).toStrictEqual({
      customerId: null,
      sessionId: "cs_1",
      paymentIntentId: null,
    });
    expect(newPreorder({ ...init, stripe: { customerId: "cus_1", paymentIntentId: "pi_1" } }).stripe).toStrictEqual({
      customerId: "cus_1",
      sessionId: null,
      paymentIntentId: "pi_1",
    });
  });

  it("records a session Stripe made elsewhere with the status it arrived in", () => {
    const p = newPreorder({ ...init, status: "succeeded", origin: "stripe", stripe: { sessionId: "cs_2" } });
    expect(p).toMatchObject({ status: "succeeded", origin: "stripe", stripe: { sessionId: "cs_2" } });
  });

  it("does not share or change the caller's objects", () => {
    const stripe = { sessionId: "cs_3" };
    const a = newPreorder({ ...init, stripe });
    a.stripe.customerId = "cus_x";
    expect(stripe).toStrictEqual({ sessionId: "cs_3" });
    expect(newPreorder({ ...init, stripe }).stripe.customerId).toBeNull();
  });
});
