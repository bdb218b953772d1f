import type { PreorderStatus } from "./status";

export const LOCALES = ["en", "zh-HK", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];

export interface ShippingDetails {
  name: string | null;
  address: {
    line1: string | null;
    line2: string | null;
    city: string | null;
    state: string | null;
    postal_code: string | null;
    country: string | null;
  } | null;
}

/** What fulfilment needs, from the paid session's customer_details / collected_information. */
export interface CustomerDetails {
  name: string | null;
  phone: string | null;
  shipping: ShippingDetails | null;
}

/** The marketing-email consent as the shopper gave it on the page (`at` null when not given). */
export interface MarketingConsent<Time = unknown> {
  given: boolean;
  at: Time | null;
  locale: Locale;
  /** `version` of functions/src/offer/consent.json, the wording the shopper saw. */
  textVersion: string;
}

/** The keys of `Attribution`, the only ones kept from the page and passed on to Klaviyo. */
export const ATTRIBUTION_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "referrer"] as const;

/** Where the shopper came from: the landing URL's utm_* and the referring page (origin + path only). */
export interface Attribution {
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_content?: string;
  referrer?: string;
}

export interface StripeRefs {
  customerId: string | null;
  sessionId: string | null;
  paymentIntentId: string | null;
}

/** An order on hold must not ship (fulfilment excludes it). Owner: the webhook (disputes). */
export interface Hold<Time = unknown> {
  reason: "dispute" | string;
  since: Time;
  disputeId?: string;
}

/** The charge's dispute as last known; `outcome` once Stripe closed it. */
export interface DisputeState {
  id: string;
  status: string;
  reason: string;
  outcome?: "won" | "lost";
}

/** `preorders/{preorderId}` as stored (timestamps are Firestore Timestamps in the database). */
export interface Preorder<Time = unknown> {
  preorderId: string;
  preorderNumber: string;
  email: string;
  color: string;
  locale: Locale;
  status: PreorderStatus;
  amount: number;
  currency: string;
  stripe: StripeRefs;
  customer: CustomerDetails | null;
  errorReason: string | null;
  amountRefunded: number;
  /** `created` (seconds) of the newest Stripe event applied; orders same-status updates. */
  lastEventCreated: number | null;
  lastEventId: string | null;
  /** Where the preorder came from: our callable, or a session Stripe made elsewhere (Dashboard, Payment Link). */
  origin: "callable" | "stripe";
  /** null, or why the order must not ship (a dispute). */
  hold: Hold<Time> | null;
  /** true once an `anomalies` record names this preorder (a foreign payment claimed it). */
  flagged: boolean;
  dispute: DisputeState | null;
  /** Written by the callable; absent on preorders made elsewhere (Dashboard sessions) and older ones. */
  marketingConsent?: MarketingConsent<Time>;
  attribution?: Attribution | null;
  createdAt: Time;
  updatedAt: Time;
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** Logs never carry a whole email: `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}
