/**
 * Preorders that can't still be open: a preorder still `created` after its Checkout Session must have
 * expired (created + 24 h, Checkout's default lifetime, plus a margin) lost its events for good — older
 * than the 30 days the Events API keeps, or never sent. Ask Stripe for the session and apply what it says
 * (paid → succeeded, expired → expired) through the webhook's own decision (`toPreorderChange` on the
 * session, then `decide`), in one transaction, like an event. Nothing is invented: a session still open or
 * still settling is left alone, and the preorder's `lastEventId` says `sweep:<session id>`.
 *
 * The callable does not store the session's `expires_at`, so the age comes from `createdAt`; the query
 * uses the composite index (status, createdAt) in firestore.indexes.json.
 */
import type Stripe from "stripe";
import type { Preorder } from "../preorder/types";
import { COLLECTIONS, db, firestoreModule, now } from "../shared/firestore";
import { decide } from "../webhook/decide";
import { toPreorderChange, type Mapping } from "../webhook/events";

/** Checkout Sessions expire 24 h after creation unless told otherwise (the callable does not). */
export const SESSION_LIFETIME_SECONDS = 24 * 3600;
/** Stripe expires a session shortly after expires_at; give it an hour before asking. */
export const SWEEP_MARGIN_SECONDS = 3600;

export type Verdict =
  { kind: "apply"; type: "checkout.session.completed" | "checkout.session.expired" } | { kind: "leave"; reason: string };

/** What a retrieved session says about its preorder. Pure. */
export function verdictOf(session: Pick<Stripe.Checkout.Session, "status" | "payment_status" | "expires_at">, nowSec: number): Verdict {
  if (session.status === "expired") return { kind: "apply", type: "checkout.session.expired" };
  if (session.status === "complete") {
    return session.payment_status === "paid" || session.payment_status === "no_payment_required"
      ? { kind: "apply", type: "checkout.session.completed" }
      : { kind: "leave", reason: "payment still settling" };
  }
  return { kind: "leave", reason: session.expires_at > nowSec ? "session still open" : "session open past expires_at" };
}

/** The change the session proves, through the webhook's mapping; the sweep's marker stands in for an event id. */
export function sweepMapping(session: Stripe.Checkout.Session, type: string, nowSec: number): Mapping {
  return toPreorderChange({ id: `sweep:${session.id}`, type, created: nowSec, data: { object: session } } as unknown as Stripe.Event);
}

export interface SweepSummary {
  examined: number;
  applied: number;
  unchanged: number;
  left: number;
  errors: number;
  /** preorder ids whose status the sweep changed */
  changed: string[];
}

export interface SweepDeps {
  retrieveSession(id: string): Promise<Stripe.Checkout.Session>;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export async function sweepExpired(deps: SweepDeps, { limit = 100, minRequestIntervalMs = 100 } = {}): Promise<SweepSummary> {
  const out: SweepSummary = { examined: 0, applied: 0, unchanged: 0, left: 0, errors: 0, changed: [] };
  const cutoff = firestoreModule().Timestamp.fromMillis(deps.nowMs() - (SESSION_LIFETIME_SECONDS + SWEEP_MARGIN_SECONDS) * 1000);
  const stuck = await db()
    .collection(COLLECTIONS.preorders)
    .where("status", "==", "created")
    .where("createdAt", "<", cutoff)
    .orderBy("createdAt")
    .limit(limit)
    .get();
  for (const doc of stuck.docs) {
    out.examined++;
    const sessionId = (doc.get("stripe") as Preorder["stripe"] | undefined)?.sessionId;
    if (!sessionId) {
      out.left++;
      continue;
    }
    try {
      if (out.examined > 1) await deps.sleep(minRequestIntervalMs);
      const session = await deps.retrieveSession(sessionId);
      const nowSec = Math.floor(deps.nowMs() / 1000);
      const verdict = verdictOf(session, nowSec);
      if (verdict.kind === "leave") {
        out.left++;
        continue;
      }
      const mapping = sweepMapping(session, verdict.type, nowSec);
      if (mapping.kind !== "change") {
        out.left++;
        continue;
      }
      const changed = await db().runTransaction(async (tx) => {
        const snap = await tx.get(doc.ref);
        if (!snap.exists) return false;
        const decision = decide(snap.data() as Parameters<typeof decide>[0], mapping.change);
        if (!decision.update) return false;
        const at = now();
        tx.update(doc.ref, { ...decision.update, updatedAt: at });
        const pi = decision.update["stripe.paymentIntentId"] as string | undefined;
        if (pi) tx.set(db().collection(COLLECTIONS.paymentIntents).doc(pi), { preorderId: doc.id, createdAt: at });
        return "status" in decision.update;
      });
      if (changed) {
        out.applied++;
        out.changed.push(doc.id);
      } else out.unchanged++;
    } catch {
      // a session Stripe cannot find, or a transient failure: the next run asks again
      out.errors++;
    }
  }
  return out;
}
