/**
 * A price in minor units → the shopper's text, with Stripe's decimals for the currency (Intl's own digits
 * differ for some currencies, so Stripe's lists decide). Pure; the landing page bundles this file.
 */
import { decimalsOf } from "../klaviyo/money";

export function formatMoney(amount: number, currency: string, locale: string): string {
  const decimals = decimalsOf(currency);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).format(amount / 10 ** decimals);
}
