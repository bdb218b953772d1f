/**
 * Stripe event → the change it proves about a preorder. Pure: every handled event type is mapped here,
 * so "what happens when a payment fails" is `payment_intent.payment_failed` below.
 */
import type Stripe from "stripe";
import type { PreorderStatus } from "../preorder/status";
import { LOCALES, type CustomerDetails, type Locale, normalizeEmail } from "../preorder/types";

/** Facts are immutable attributes of the payment: they fill gaps whatever order events arrive in. */
export interface Facts {
  sessionId?: string;
  paymentIntentId?: string;
  customerId?: string;
  customer?: CustomerDetails;
  amountRefunded?: number;
}

/** A paid session that no preorder knows (made in the Dashboard or by a Payment Link). */
export interface ForeignSession {
  sessionId: string;
  email: string;
  color: string;
  locale: Locale;
  amount: number;
  currency: string;
}

export interface PreorderChange {
  eventId: string;
  eventType: string;
  created: number;
  /** From metadata / client_reference_id; null when the object does not carry it. */
  preorderId: string | null;
  /** To find the preorder when the object does not name it (charges, foreign PaymentIntents). */
  paymentIntentId: string | null;
  status: PreorderStatus;
  facts: Facts;
  errorReason: string | null;
  foreign: ForeignSession | null;
}

export type Mapping = { kind: "change"; change: PreorderChange } | { kind: "ignored"; reason: string };

const id = (ref: string | { id: string } | null | undefined): string | undefined =>
  typeof ref === "string" ? ref : (ref?.id ?? undefined);

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

function customerDetails(session: Stripe.Checkout.Session): CustomerDetails | undefined {
  const details = session.customer_details;
  const shipping = session.collected_information?.shipping_details ?? null;
  if (!details && !shipping) return undefined;
  return {
    name: details?.name ?? shipping?.name ?? null,
    phone: details?.phone ?? null,
    shipping: shipping ? { name: shipping.name ?? null, address: shipping.address ? { ...shipping.address } : null } : null,
  };
}

function sessionFacts(session: Stripe.Checkout.Session): Facts {
  const facts: Facts = { sessionId: session.id };
  const pi = id(session.payment_intent);
  const customer = id(session.customer);
  const details = customerDetails(session);
  if (pi) facts.paymentIntentId = pi;
  if (customer) facts.customerId = customer;
  if (details) facts.customer = details;
  return facts;
}

function foreignSession(session: Stripe.Checkout.Session): ForeignSession | null {
  const email = str(session.customer_details?.email) ?? str(session.customer_email);
  if (!email || session.amount_total == null || !session.currency) return null;
  const locale = (LOCALES as readonly string[]).includes(String(session.metadata?.locale)) ? (session.metadata!.locale as Locale) : "en";
  return {
    sessionId: session.id,
    email: normalizeEmail(email),
    color: str(session.metadata?.color)?.slice(0, 32) ?? "unspecified",
    locale,
    amount: session.amount_total,
    currency: session.currency.toLowerCase(),
  };
}

function fromSession(event: Stripe.Event, session: Stripe.Checkout.Session): Mapping {
  if (session.mode !== "payment") return { kind: "ignored", reason: `session mode ${session.mode}` };
  const preorderId = str(session.metadata?.preorder_id) ?? str(session.client_reference_id);
  const base = {
    eventId: event.id,
    eventType: event.type,
    created: event.created,
    preorderId,
    paymentIntentId: id(session.payment_intent) ?? null,
    facts: sessionFacts(session),
    errorReason: null,
    foreign: null,
  };
  const paid = session.payment_status === "paid" || session.payment_status === "no_payment_required";
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      if (!paid) {
        // a delayed payment method: the shopper is done, the money is not; wait for async_payment_*
        if (!preorderId) return { kind: "ignored", reason: "unpaid session of no preorder" };
        return { kind: "change", change: { ...base, status: "created" } };
      }
      return { kind: "change", change: { ...base, status: "succeeded", foreign: preorderId ? null : foreignSession(session) } };
    case "checkout.session.async_payment_failed":
      return { kind: "change", change: { ...base, status: "failed", errorReason: "The delayed payment failed" } };
    case "checkout.session.expired":
      return { kind: "change", change: { ...base, status: "expired" } };
    default:
      return { kind: "ignored", reason: `unhandled type ${event.type}` };
  }
}

function fromPaymentIntent(event: Stripe.Event, pi: Stripe.PaymentIntent): Mapping {
  const facts: Facts = { paymentIntentId: pi.id };
  const customer = id(pi.customer);
  if (customer) facts.customerId = customer;
  const base = {
    eventId: event.id,
    eventType: event.type,
    created: event.created,
    preorderId: str(pi.metadata?.preorder_id),
    paymentIntentId: pi.id,
    facts,
    foreign: null,
  };
  if (event.type === "payment_intent.succeeded") return { kind: "change", change: { ...base, status: "succeeded", errorReason: null } };
  const error = pi.last_payment_error;
  const reason = str(error?.message) ?? str(error?.decline_code) ?? str(error?.code) ?? "Payment failed";
  return { kind: "change", change: { ...base, status: "failed", errorReason: reason.slice(0, 500) } };
}

function fromCharge(event: Stripe.Event, charge: Stripe.Charge): Mapping {
  const pi = id(charge.payment_intent) ?? null;
  const full = charge.refunded || charge.amount_refunded >= charge.amount;
  const facts: Facts = { amountRefunded: charge.amount_refunded };
  if (pi) facts.paymentIntentId = pi;
  return {
    kind: "change",
    change: {
      eventId: event.id,
      eventType: event.type,
      created: event.created,
      preorderId: str(charge.metadata?.preorder_id),
      paymentIntentId: pi,
      status: full ? "refunded" : "succeeded",
      facts,
      errorReason: null,
      foreign: null,
    },
  };
}

export function toPreorderChange(event: Stripe.Event): Mapping {
  const object = event.data.object as { object?: string };
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired":
      return object.object === "checkout.session"
        ? fromSession(event, object as Stripe.Checkout.Session)
        : { kind: "ignored", reason: "not a session" };
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed":
      return object.object === "payment_intent"
        ? fromPaymentIntent(event, object as Stripe.PaymentIntent)
        : { kind: "ignored", reason: "not a payment intent" };
    case "charge.refunded":
      return object.object === "charge" ? fromCharge(event, object as Stripe.Charge) : { kind: "ignored", reason: "not a charge" };
    default:
      return { kind: "ignored", reason: `unhandled type ${event.type}` };
  }
}
