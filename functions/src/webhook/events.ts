/**
 * Stripe event → the change it proves about a preorder. Pure: every handled event type is mapped here,
 * so "what happens when a payment fails" is `payment_intent.payment_failed` below.
 */
import type Stripe from "stripe";
import type { PreorderStatus } from "../preorder/status";
import { LOCALES, type CustomerDetails, type Locale, normalizeEmail } from "../preorder/types";

/** Facts are immutable attributes of the payment: they fill gaps whatever order events arrive in. */
export interface Facts {
  paymentIntentId?: string;
  customerId?: string;
  customer?: CustomerDetails;
  /** The charge's cumulative `amount_refunded`: the largest seen wins, so partial refunds are order-safe. */
  amountRefunded?: number;
}

/** A dispute as a charge.dispute.* event shows it; `created` is the dispute's own (the same in every event). */
export interface DisputeFact {
  id: string;
  status: string;
  reason: string;
  created: number;
}

/** A paid session that no preorder knows (made in the Dashboard or by a Payment Link). */
export interface ForeignSession {
  sessionId: string;
  /** The Payment Link the session came from, if any: one way to tell a sale of the offer. */
  paymentLink: string | null;
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
  /**
   * The Checkout Session this event proves to belong to: the session of a session event, or the one Stripe
   * names for the PaymentIntent (set by apply.ts after a lookup). It must be the preorder's own session.
   */
  sessionId: string | null;
  /** What the object charged (PaymentIntents, charges): must equal the preorder's when nothing else ties it. */
  amount: number | null;
  currency: string | null;
  status: PreorderStatus;
  facts: Facts;
  errorReason: string | null;
  foreign: ForeignSession | null;
  dispute: DisputeFact | null;
}

export type Mapping = { kind: "change"; change: PreorderChange } | { kind: "ignored"; reason: string };

const id = (ref: string | { id: string } | null | undefined): string | undefined =>
  typeof ref === "string" ? ref : (ref?.id ?? undefined);

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

type Shipping = { name?: string | null; address?: Partial<Record<string, string | null>> | null } | null | undefined;

/**
 * The shipping details in every API version an endpoint may be pinned to: `collected_information.
 * shipping_details` (2025-03-31.basil and later), `shipping_details` (2025-02-24.acacia and earlier), `shipping`
 * (before 2020's shipping_details). An endpoint not pinned sends the account's default version.
 */
export function shippingOf(session: Stripe.Checkout.Session): Shipping {
  const legacy = session as unknown as { shipping_details?: Shipping; shipping?: Shipping };
  return (session.collected_information?.shipping_details as Shipping) ?? legacy.shipping_details ?? legacy.shipping ?? null;
}

function customerDetails(session: Stripe.Checkout.Session): CustomerDetails | undefined {
  const details = session.customer_details;
  const shipping = shippingOf(session);
  if (!details && !shipping) return undefined;
  return {
    name: details?.name ?? shipping?.name ?? null,
    phone: details?.phone ?? null,
    shipping: shipping ? { name: shipping.name ?? null, address: shipping.address ? address(shipping.address) : null } : null,
  };
}

/** The six address fields, whatever else a version carries, so every version stores the same document. */
function address(a: Partial<Record<string, string | null>>): NonNullable<NonNullable<CustomerDetails["shipping"]>["address"]> {
  const f = (k: string) => a[k] ?? null;
  return { city: f("city"), country: f("country"), line1: f("line1"), line2: f("line2"), postal_code: f("postal_code"), state: f("state") };
}

function sessionFacts(session: Stripe.Checkout.Session): Facts {
  const facts: Facts = {};
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
    paymentLink: id(session.payment_link) ?? null,
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
    sessionId: session.id,
    amount: null,
    currency: null,
    facts: sessionFacts(session),
    errorReason: null,
    foreign: null,
    dispute: null,
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
    sessionId: null,
    amount: pi.amount,
    currency: pi.currency.toLowerCase(),
    facts,
    foreign: null,
    dispute: null,
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
      sessionId: null,
      amount: charge.amount,
      currency: charge.currency.toLowerCase(),
      status: full ? "refunded" : "succeeded",
      facts,
      errorReason: null,
      foreign: null,
      dispute: null,
    },
  };
}

/**
 * charge.dispute.*: a dispute proves a paid charge (so `succeeded`) and carries the dispute's state, which
 * decide.ts turns into a hold. The dispute's amount may be partial, so it is not compared with the order's.
 */
function fromDispute(event: Stripe.Event, dispute: Stripe.Dispute): Mapping {
  const pi = id(dispute.payment_intent) ?? null;
  const charge = id(dispute.charge);
  if (!pi && !charge) return { kind: "ignored", reason: "dispute names no charge" };
  const facts: Facts = {};
  if (pi) facts.paymentIntentId = pi;
  return {
    kind: "change",
    change: {
      eventId: event.id,
      eventType: event.type,
      created: event.created,
      preorderId: str(dispute.metadata?.preorder_id),
      paymentIntentId: pi,
      sessionId: null,
      amount: null,
      currency: null,
      status: "succeeded",
      facts,
      errorReason: null,
      foreign: null,
      dispute: { id: dispute.id, status: String(dispute.status), reason: String(dispute.reason ?? "general"), created: dispute.created },
    },
  };
}

/** The charge a dispute names, for the adapter to find its PaymentIntent when the event does not carry it. */
export const disputedCharge = (event: Stripe.Event): string | null =>
  event.type.startsWith("charge.dispute.") ? (id((event.data.object as Stripe.Dispute).charge) ?? null) : null;

/** Every event type the webhook acts on: the endpoint's subscription (README) and reconcile's `types[]`. */
export const HANDLED_EVENT_TYPES = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.async_payment_failed",
  "checkout.session.expired",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.updated",
  "charge.dispute.closed",
] as const;

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
    case "charge.dispute.created":
    case "charge.dispute.updated":
    case "charge.dispute.closed":
      return object.object === "dispute" ? fromDispute(event, object as Stripe.Dispute) : { kind: "ignored", reason: "not a dispute" };
    default:
      return { kind: "ignored", reason: `unhandled type ${event.type}` };
  }
}
