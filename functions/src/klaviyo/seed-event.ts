/** A status transition → the seed's event (Track-API shape), pure. Statuses without a seed event give null. */
import type { PreorderStatus } from "../preorder/status";
import type { Preorder } from "../preorder/types";
import { toMajorUnits } from "./money";
import type { RolittKlaviyoEvent } from "./types";

export const EVENT_NAMES = {
  created: "Rolitt Preorder Started",
  succeeded: "Rolitt Preorder Success",
  failed: "Rolitt Preorder Failed",
} as const;

export type NotifiedStatus = keyof typeof EVENT_NAMES;
export const isNotified = (s: PreorderStatus): s is NotifiedStatus => s in EVENT_NAMES;

export type PreorderView = Pick<
  Preorder,
  "preorderId" | "preorderNumber" | "email" | "color" | "locale" | "amount" | "currency" | "stripe" | "errorReason"
>;

export function seedEventFor(p: PreorderView, status: NotifiedStatus, time: Date): RolittKlaviyoEvent {
  const common = { color: p.color, preorder_id: p.preorderId, preorder_number: p.preorderNumber, locale: p.locale };
  const customer_properties = { $email: p.email };
  const seconds = Math.floor(time.getTime() / 1000);
  switch (status) {
    case "created":
      return { event: EVENT_NAMES.created, customer_properties, properties: { ...common, source: "Stripe Checkout" }, time: seconds };
    case "succeeded":
      return {
        event: EVENT_NAMES.succeeded,
        customer_properties,
        properties: {
          ...common,
          amount: toMajorUnits(p.amount, p.currency),
          currency: p.currency,
          ...(p.stripe.sessionId && { session_id: p.stripe.sessionId }),
          ...(p.stripe.paymentIntentId && { payment_intent_id: p.stripe.paymentIntentId }),
          source: "Stripe Webhook",
        },
        time: seconds,
      };
    case "failed":
      return {
        event: EVENT_NAMES.failed,
        customer_properties,
        properties: { ...common, error_reason: p.errorReason ?? "Payment failed", source: "Stripe Webhook" },
        time: seconds,
      };
  }
}
