/**
 * The heart of exactly-once, order-safe updates, as a pure function: given the stored preorder (or none)
 * and the change an event proves, what to write and which outcome to record.
 *
 * - Status moves only along the lifecycle (preorder/status.ts); an event whose status is behind is stale.
 * - Facts (ids, customer details, refunded amount) fill gaps whatever the order: a late event may still
 *   bring the shipping address, never undo a status.
 * - Within one status, the newest event (by `created`, then id) wins the status's own data (error reason).
 * So the final document depends on the set of events, not on the order they arrive in.
 */
import { createHash } from "node:crypto";
import { newPreorder } from "../preorder/new-preorder";
import { canMove } from "../preorder/status";
import type { Preorder } from "../preorder/types";
import type { PreorderChange } from "./events";

export type Outcome = "applied" | "duplicate" | "stale" | "ignored";

/** What the decision writes: a new preorder, or a patch of an existing one (dotted keys allowed). */
export type Decision =
  | { outcome: "applied"; create: Omit<Preorder, "createdAt" | "updatedAt">; update?: undefined; reason?: undefined }
  | { outcome: "applied"; update: Record<string, unknown>; create?: undefined; reason?: undefined }
  | { outcome: "stale" | "ignored"; reason: string; update?: undefined; create?: undefined };

type Stored = Pick<Preorder, "status" | "stripe" | "customer" | "errorReason" | "amountRefunded" | "lastEventCreated" | "lastEventId">;

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

  const update: Record<string, unknown> = {};
  const { facts } = change;
  if (facts.sessionId && !stored.stripe.sessionId) update["stripe.sessionId"] = facts.sessionId;
  if (facts.paymentIntentId && !stored.stripe.paymentIntentId) update["stripe.paymentIntentId"] = facts.paymentIntentId;
  if (facts.customerId && !stored.stripe.customerId) update["stripe.customerId"] = facts.customerId;
  if (facts.customer && !stored.customer) update.customer = facts.customer;
  if (facts.amountRefunded !== undefined && facts.amountRefunded > stored.amountRefunded) update.amountRefunded = facts.amountRefunded;

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
