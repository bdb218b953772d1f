/**
 * Stripe minor units → the major units Klaviyo gets, for every currency with a non-default exponent in
 * Stripe's lists (docs.stripe.com/currencies: "Zero-decimal currencies", "Three-decimal currencies",
 * "Special cases"). A wrong divisor is a 100× error in the marketing team's revenue figures.
 */
import { decimalsOf, toMajorUnits } from "../src/klaviyo/money";
import { fresh } from "./helpers/fresh";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = () => fresh(() => require("../src/klaviyo/money") as typeof import("../src/klaviyo/money"));

/** Stripe's zero-decimal list: the amount is the charge (500 JPY is `amount: 500`). */
const ZERO_DECIMAL = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];

/** Stripe's three-decimal list: 5.124 KWD is `amount: 5124` (Stripe asks for the last digit 0 in charges). */
const THREE_DECIMAL = ["bhd", "jod", "kwd", "omr", "tnd"];

/**
 * Stripe's special cases, decided here for charges (what a Checkout Session's amount_total means):
 * - isk: whole krónur only since 2023, but "ISK will remain a two-decimal currency in the Stripe API, and an ISK
 *   amount of 100 will continue to represent 1 króna" (Stripe support) → 2 decimals.
 * - huf, twd: zero-decimal for payouts only; charges are two-decimal amounts → 2 decimals.
 * - ugx: in the zero-decimal list for charges (its two-decimal rule is about payouts) → 0 decimals.
 */
const SPECIAL: Array<[string, number]> = [
  ["isk", 2],
  ["huf", 2],
  ["twd", 2],
  ["ugx", 0],
];

/** A sample of ordinary two-decimal currencies, the shop's own first among them. */
const TWO_DECIMAL = ["usd", "hkd", "cny", "eur", "gbp", "sgd", "aud", "cad", "chf", "inr", "idr", "mxn", "brl"];

describe("decimalsOf", () => {
  it.each(ZERO_DECIMAL)("%s has no minor unit", (c) => {
    expect(load().decimalsOf(c)).toBe(0);
  });

  it.each(THREE_DECIMAL)("%s has three decimals", (c) => {
    expect(load().decimalsOf(c)).toBe(3);
  });

  it.each(TWO_DECIMAL)("%s has two decimals", (c) => {
    expect(load().decimalsOf(c)).toBe(2);
  });

  it.each(SPECIAL)("special case %s has %i decimals in charges", (c, d) => {
    expect(load().decimalsOf(c)).toBe(d);
  });

  it("reads a currency in any case (Stripe sends lower case; ISO 4217 writes upper case)", () => {
    for (const c of [...ZERO_DECIMAL, ...THREE_DECIMAL]) {
      expect(decimalsOf(c.toUpperCase())).toBe(decimalsOf(c));
      expect(decimalsOf(c[0].toUpperCase() + c.slice(1))).toBe(decimalsOf(c));
    }
    expect(decimalsOf("USD")).toBe(2);
  });

  it("treats an unknown code as two-decimal, Stripe's default", () => {
    expect(decimalsOf("xyz")).toBe(2);
    expect(decimalsOf("")).toBe(2);
  });
});

describe("toMajorUnits", () => {
  it.each(ZERO_DECIMAL)("%s: the amount is already in major units", (c) => {
    expect(toMajorUnits(500, c)).toBe(500);
    expect(toMajorUnits(1, c)).toBe(1);
    expect(toMajorUnits(123456789, c)).toBe(123456789);
  });

  it.each(THREE_DECIMAL)("%s: thousandths", (c) => {
    expect(toMajorUnits(5120, c)).toBe(5.12);
    expect(toMajorUnits(5124, c)).toBe(5.124);
    expect(toMajorUnits(1, c)).toBe(0.001);
    expect(toMajorUnits(1000, c)).toBe(1);
  });

  it.each(TWO_DECIMAL)("%s: hundredths", (c) => {
    expect(toMajorUnits(9900, c)).toBe(99);
    expect(toMajorUnits(9950, c)).toBe(99.5);
    expect(toMajorUnits(1, c)).toBe(0.01);
  });

  it.each([
    [500, "isk", 5],
    [10045, "huf", 100.45],
    [150000, "twd", 1500],
    [5000, "ugx", 5000],
    [9900, "JPY", 9900],
    [5124, "KWD", 5.124],
    [9900, "USD", 99],
  ])("%i %s → %d", (amount, currency, major) => {
    expect(toMajorUnits(amount, currency)).toBe(major);
  });

  it("gives exact decimals where binary floating point would not (0.1 + 0.2 style drift)", () => {
    // 1.005 * 100 is 100.49999…; the other way round the division must still land on the written value
    expect(toMajorUnits(1005, "usd")).toBe(10.05);
    expect(toMajorUnits(3, "usd")).toBe(0.03);
    expect(toMajorUnits(7, "kwd")).toBe(0.007);
    expect(toMajorUnits(1234567, "usd")).toBe(12345.67);
    expect(toMajorUnits(99999999, "bhd")).toBe(99999.999);
  });

  it("keeps zero at zero and a refund's negative sign", () => {
    expect(toMajorUnits(0, "usd")).toBe(0);
    expect(toMajorUnits(0, "jpy")).toBe(0);
    expect(toMajorUnits(-9900, "usd")).toBe(-99);
  });
});
