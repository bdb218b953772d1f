/**
 * The live offer, as Checkout will charge it: the configured colours with their words, and the price and
 * currency taken from the Stripe Price when one is configured (else PREORDER_AMOUNT/CURRENCY). Pure.
 */
import type { OfferConfig } from "../config";
import { decimalsOf } from "../klaviyo/money";
import { LOCALES } from "../preorder/types";
import { colorContent, OFFER_CONTENT, type ColorContent, type OfferContent } from "./content";

/** The part of a Stripe Price the offer needs. */
export interface PriceFacts {
  id: string;
  unit_amount: number | null;
  currency: string;
  active?: boolean;
}

export interface LiveOffer {
  /** Minor units of `currency`, as Checkout charges it. */
  amount: number;
  currency: string;
  /** Stripe's decimals for the currency (0 for jpy/krw…, 3 for kwd/bhd…, else 2). */
  decimals: number;
  priceSource: "stripe-price" | "config";
  colors: ColorContent[];
  product: OfferContent["product"];
  shipWindow: OfferContent["shipWindow"];
  images: string[];
  locales: readonly string[];
}

export class OfferError extends Error {}

export function liveOffer(
  config: Pick<OfferConfig, "colors" | "amount" | "currency" | "priceId">,
  price: PriceFacts | null,
  content: OfferContent = OFFER_CONTENT,
): LiveOffer {
  let amount = config.amount;
  let currency = config.currency;
  if (config.priceId) {
    // a Price without a fixed unit_amount (tiers, customer chooses) cannot be shown as one price
    if (!price || price.id !== config.priceId) throw new OfferError(`Stripe Price ${config.priceId} was not loaded`);
    if (price.unit_amount === null || !Number.isInteger(price.unit_amount))
      throw new OfferError(`Stripe Price ${price.id} has no fixed unit_amount`);
    amount = price.unit_amount;
    currency = price.currency;
  }
  currency = currency.toLowerCase();
  return {
    amount,
    currency,
    decimals: decimalsOf(currency),
    priceSource: config.priceId ? "stripe-price" : "config",
    colors: config.colors.map((id) => colorContent(id, content)),
    product: content.product,
    shipWindow: content.shipWindow,
    images: content.images,
    locales: LOCALES,
  };
}
