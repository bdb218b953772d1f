/**
 * Stripe amounts are in the currency's minor unit; Klaviyo wants major units. Stripe's own lists of
 * zero-decimal and three-decimal currencies (docs.stripe.com/currencies) decide the divisor.
 */
const ZERO_DECIMAL = new Set([
  "bif",
  "clp",
  "djf",
  "gnf",
  "jpy",
  "kmf",
  "krw",
  "mga",
  "pyg",
  "rwf",
  "ugx",
  "vnd",
  "vuv",
  "xaf",
  "xof",
  "xpf",
]);
const THREE_DECIMAL = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);

export function decimalsOf(currency: string): number {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

export function toMajorUnits(amount: number, currency: string): number {
  const d = decimalsOf(currency);
  return Number((amount / 10 ** d).toFixed(d));
}
