/**
 * The heart of exactly-once, order-safe updates, as a pure function: given the stored preorder (or none)
 * and the change an event proves, what to write and which outcome to record.
 *
 * - Status moves only along the lifecycle (preorder/status.ts); an event whose status is behind is stale.
 * - Facts (ids, customer details, refunded amount) fill gaps whatever the order: a late event may still
 *   bring the shipping address, never undo a status.
 * - Within one status, the newest event (by `created`, then id) wins the status's own data (error reason).
 * - An event must belong to the preorder it claims (its session, its PaymentIntent, or its amount): a
 *   foreign payment changes nothing and is a `mismatch`, which apply.ts records as an anomaly.
 * - A dispute's state is a fact ranked by how far it got (closed wins), and sets or clears the hold.
 * So the final document depends on the set of events, not on the order they arrive in.
 */
import { createHash } from "node:crypto";
import { newPreorder } from "../preorder/new-preorder";
import { canMove } from "../preorder/status";
import type { DisputeState, Hold, Preorder } from "../preorder/types";
import type { DisputeFact, ForeignSession, PreorderChange } from "./events";

export type Outcome = "applied" | "duplicate" | "stale" | "ignored" | "mismatch";

/** What the decision writes: a new preorder, or a patch of an existing one (dotted keys allowed). */
export type Decision =
  | { outcome: "applied"; create: Omit<Preorder, "createdAt" | "updatedAt">; update?: undefined; reason?: undefined }
  | { outcome: "applied"; update: Record<string, unknown>; create?: undefined; reason?: undefined }
  | { outcome: "stale" | "ignored" | "mismatch"; reason: string; update?: undefined; create?: undefined };

/** What decide reads; fields added later (hold, flagged, dispute) may be missing on older documents. */
export type Stored = Pick<
  Preorder,
  "status" | "stripe" | "customer" | "errorReason" | "amountRefunded" | "lastEventCreated" | "lastEventId" | "amount" | "currency"
> &
  Partial<Pick<Preorder, "hold" | "flagged" | "dispute">>;

/** Which foreign sessions are sales of the offer: from a configured Payment Link, or carrying the Price. */
export interface OfferMatch {
  paymentLinks: readonly string[];
  priceId: string | null;
}

/**
 * Whether a session no preorder knows is a sale of the offer. `priceIds` are the session's line items'
 * Prices, looked up only when the Payment Link does not settle it (null: not looked up). Returns null when it
 * is, else the reason it is not.
 */
export function notTheOffer(
  session: Pick<ForeignSession, "paymentLink">,
  offer: OfferMatch,
  priceIds: readonly string[] | null,
): string | null {
  if (session.paymentLink && offer.paymentLinks.includes(session.paymentLink)) return null;
  if (offer.priceId && priceIds?.includes(offer.priceId)) return null;
  if (!offer.priceId && offer.paymentLinks.length === 0) return "not a sale of the offer: no Payment Link or Price is configured";
  return `not a sale of the offer (payment link ${session.paymentLink ?? "none"}, price ${priceIds?.join(",") || "none"})`;
}

/** Whether the adapter must fetch the session's line items to settle notTheOffer. */
export const needsLineItems = (session: Pick<ForeignSession, "paymentLink">, offer: OfferMatch): boolean =>
  !!offer.priceId && !(session.paymentLink && offer.paymentLinks.includes(session.paymentLink));

/**
 * Null when the event is the preorder's own payment, else why not. A session event must be the preorder's
 * stored session; any other event must name its PaymentIntent, or (while that is not yet known) charge
 * exactly its amount and currency.
 */
export function mismatch(stored: Stored, change: PreorderChange): string | null {
  const own = stored.stripe;
  if (change.sessionId) {
    return change.sessionId === own.sessionId ? null : `session ${change.sessionId} is not this preorder's (${own.sessionId ?? "none"})`;
  }
  if (change.paymentIntentId && own.paymentIntentId) {
    return change.paymentIntentId === own.paymentIntentId
      ? null
      : `payment intent ${change.paymentIntentId} is not this preorder's (${own.paymentIntentId})`;
  }
  if (change.amount === null || change.currency === null) return "nothing ties this event to the preorder's payment";
  if (change.amount !== stored.amount || change.currency !== stored.currency) {
    return `${change.amount} ${change.currency} is not this preorder's ${stored.amount} ${stored.currency}`;
  }
  return null;
}

/** How far a dispute got: a later stage never gives way to an earlier one; closed is final. */
const DISPUTE_STAGE: Record<string, number> = {
  warning_needs_response: 1,
  warning_under_review: 2,
  needs_response: 3,
  under_review: 4,
  warning_closed: 5,
  prevented: 5,
  won: 5,
  lost: 5,
};
const stage = (status: string): number => DISPUTE_STAGE[status] ?? 0;

/** A total order on dispute states, so the state kept is the greatest of the set, whatever the order. */
function disputeBeats(next: DisputeState, current: DisputeState | null | undefined): boolean {
  if (!current) return true;
  const a = [stage(next.status), next.id, next.status, next.reason];
  const b = [stage(current.status), current.id, current.status, current.reason];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

export function disputeState(d: DisputeFact): DisputeState {
  const outcome = d.status === "won" || d.status === "lost" ? d.status : undefined;
  return { id: d.id, status: d.status, reason: d.reason, ...(outcome && { outcome }) };
}

/** A dispute holds the order until it closes in our favour; a lost dispute keeps it (the money is gone). */
export function holdFor(d: DisputeFact): Hold<Date> | null {
  if (stage(d.status) === 5 && d.status !== "lost") return null;
  return { reason: "dispute", since: new Date(d.created * 1000), disputeId: d.id };
}

const isNewer = (c: PreorderChange, s: Stored): boolean =>
  s.lastEventCreated === null || c.created > s.lastEventCreated || (c.created === s.lastEventCreated && c.eventId > (s.lastEventId ?? ""));

/** A Dashboard/Payment Link session gets a preorder number derived from its id: ROL- and 10 digits. */
export function foreignPreorderNumber(sessionId: string): string {
  const n = BigInt(`0x${createHash("sha256").update(sessionId).digest("hex").slice(0, 15)}`) % 9_000_000_000n;
  return `ROL-${(n + 1_000_000_000n).toString()}`;
}

export const foreignPreorderId = (sessionId: string): string => `stripe-${sessionId}`;

export function decide(stored: Stored | null, change: PreorderChange): Decision {
  if (!stored) {
    if (change.foreign && change.status === "succeeded") {
      const f = change.foreign;
      return {
        outcome: "applied",
        create: {
          ...newPreorder({
            preorderId: foreignPreorderId(f.sessionId),
            preorderNumber: foreignPreorderNumber(f.sessionId),
            email: f.email,
            color: f.color,
            locale: f.locale,
            status: "succeeded",
            amount: f.amount,
            currency: f.currency,
            stripe: {
              customerId: change.facts.customerId ?? null,
              sessionId: f.sessionId,
              paymentIntentId: change.facts.paymentIntentId ?? null,
            },
            origin: "stripe",
          }),
          customer: change.facts.customer ?? null,
          lastEventCreated: change.created,
          lastEventId: change.eventId,
        },
      };
    }
    return { outcome: "ignored", reason: "no preorder for this event" };
  }
  const why = mismatch(stored, change);
  if (why) return { outcome: "mismatch", reason: why };

  const update: Record<string, unknown> = {};
  const { facts } = change;
  // (the session id is never filled in: a session event must already match it, see mismatch())
  if (facts.paymentIntentId && !stored.stripe.paymentIntentId) update["stripe.paymentIntentId"] = facts.paymentIntentId;
  if (facts.customerId && !stored.stripe.customerId) update["stripe.customerId"] = facts.customerId;
  if (facts.customer && !stored.customer) update.customer = facts.customer;
  if (facts.amountRefunded !== undefined && facts.amountRefunded > stored.amountRefunded) update.amountRefunded = facts.amountRefunded;
  if (change.dispute) {
    const next = disputeState(change.dispute);
    if (disputeBeats(next, stored.dispute)) {
      update.dispute = next;
      // another reason for a hold (set by operations) is not the webhook's to clear
      if (!stored.hold || stored.hold.reason === "dispute") {
        const hold = holdFor(change.dispute);
        if (hold || stored.hold) update.hold = hold;
      }
    }
  }

  let statusNote = "";
  if (change.status !== stored.status) {
    if (canMove(stored.status, change.status)) {
      update.status = change.status;
      update.errorReason = change.status === "failed" ? change.errorReason : null;
      update.lastEventCreated = change.created;
      update.lastEventId = change.eventId;
    } else {
      statusNote = `${stored.status} cannot become ${change.status}`;
    }
  } else if (isNewer(change, stored)) {
    if (change.status === "failed" && change.errorReason !== stored.errorReason) update.errorReason = change.errorReason;
    update.lastEventCreated = change.created;
    update.lastEventId = change.eventId;
  } else {
    statusNote = `an event newer than this one already set ${stored.status}`;
  }

  if (Object.keys(update).length === 0) return { outcome: "stale", reason: statusNote || "nothing new" };
  return { outcome: "applied", update };
}
