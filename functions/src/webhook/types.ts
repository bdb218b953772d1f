/**
 * The Stripe event types the webhook acts on: the list to subscribe the webhook endpoint to, and the
 * `types[]` the reconcile run asks Stripe's Events API for. Every type here is mapped in events.ts.
 */
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

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];
