/** The Checkout Session we ask Stripe for, as pure data (unit-tested without Stripe). */
import type Stripe from "stripe";
import type { OfferConfig } from "../config";
import { colorName, OFFER_CONTENT } from "../offer/content";
import type { Locale } from "../preorder/types";
import type { CheckoutInput } from "./input";

/** Our locales → Stripe Checkout's (Stripe has `zh` for Simplified and `zh-HK` for Hong Kong Traditional). */
export const STRIPE_LOCALE: Record<Locale, Stripe.Checkout.SessionCreateParams.Locale> = {
  en: "en",
  "zh-HK": "zh-HK",
  "zh-CN": "zh",
};

export interface SessionRequest {
  input: Pick<CheckoutInput, "email" | "color" | "locale">;
  preorderId: string;
  preorderNumber: string;
  customerId: string;
  offer: OfferConfig;
}

/** The line item, in the shopper's words from offer/content.json (a Price id brings its own product). */
export function lineItem(offer: OfferConfig, locale: Locale = "en", color?: string): Stripe.Checkout.SessionCreateParams.LineItem {
  if (offer.priceId) return { price: offer.priceId, quantity: 1 };
  const { product, shipWindow, images } = OFFER_CONTENT;
  const name = color ? `${product.name[locale]} · ${colorName(color, locale)}` : product.name[locale];
  return {
    quantity: 1,
    price_data: {
      currency: offer.currency,
      unit_amount: offer.amount,
      product_data: { name, description: `${product.description[locale]} ${shipWindow[locale]}`, ...(images.length && { images }) },
    },
  };
}

export function sessionParams(req: SessionRequest): Stripe.Checkout.SessionCreateParams {
  const { input, preorderId, preorderNumber, customerId, offer } = req;
  const metadata = {
    preorder_id: preorderId,
    preorder_number: preorderNumber,
    color: input.color,
    email: input.email,
    locale: input.locale,
  };
  const lang = input.locale === "en" ? "" : `&lang=${encodeURIComponent(input.locale)}`;
  return {
    mode: "payment",
    customer: customerId,
    client_reference_id: preorderId,
    line_items: [lineItem(offer, input.locale, input.color)],
    metadata,
    payment_intent_data: { metadata },
    locale: STRIPE_LOCALE[input.locale],
    // A physical pre-sale ships: collect where to. The address stays on the session (and the preorder,
    // through the webhook): anyone can type an email, so the payer never writes to the customer record
    // (no `customer_update`) and never sees or saves payment methods on it.
    shipping_address_collection: {
      allowed_countries: offer.shippingCountries as Stripe.Checkout.SessionCreateParams.ShippingAddressCollection.AllowedCountry[],
    },
    phone_number_collection: { enabled: true },
    saved_payment_method_options: { payment_method_save: "disabled", payment_method_remove: "disabled" },
    // the success page asks /api/order-status with both; the cancel page offers the same colour again
    success_url: `${offer.siteUrl}/success?session_id={CHECKOUT_SESSION_ID}&preorder_id=${encodeURIComponent(preorderId)}${lang}`,
    cancel_url: `${offer.siteUrl}/cancel?preorder_id=${encodeURIComponent(preorderId)}&color=${encodeURIComponent(input.color)}${lang}`,
  };
}

export const checkoutIdempotencyKey = (preorderId: string): string => `rolitt-checkout-${preorderId}`;
