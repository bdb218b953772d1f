/**
 * What anyone holding a valid session id, order number + email, or signed link may see of an order: its
 * number, state, colour, ship window and refund state. Never the email, name, phone, address or Stripe ids.
 * Pure.
 */
import type { ColorContent, Localized } from "../offer/content";
import { colorContent, OFFER_CONTENT } from "../offer/content";
import type { Preorder } from "../preorder/types";

/** The shopper's words for a state: `processing` = not (yet) confirmed paid, e.g. a delayed bank debit. */
export type PublicStatus = "paid" | "processing" | "failed" | "expired" | "refunded";
export type RefundState = "none" | "partial" | "full";

export interface PublicOrder {
  preorderNumber: string;
  status: PublicStatus;
  color: ColorContent;
  shipWindow: Localized;
  refund: RefundState;
}

const STATUS: Record<Preorder["status"], PublicStatus> = {
  created: "processing",
  succeeded: "paid",
  failed: "failed",
  expired: "expired",
  refunded: "refunded",
};

export function publicOrder(p: Pick<Preorder, "preorderNumber" | "status" | "color" | "amount" | "amountRefunded">): PublicOrder {
  const refunded = p.amountRefunded ?? 0;
  const refund: RefundState =
    p.status === "refunded" || (refunded > 0 && refunded >= p.amount) ? "full" : refunded > 0 ? "partial" : "none";
  return {
    preorderNumber: p.preorderNumber,
    status: refund === "full" ? "refunded" : STATUS[p.status],
    color: colorContent(p.color),
    shipWindow: OFFER_CONTENT.shipWindow,
    refund,
  };
}
