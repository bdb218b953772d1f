/**
 * Applying one verified event: find its preorder, then decide and write the ledger entry and the preorder
 * update in one Firestore transaction (read both, decide, write both). Firestore's transactions make a
 * concurrent delivery of the same event, or of two events of one preorder, retry against the other's result.
 */
import type Stripe from "stripe";
import { COLLECTIONS, db, isAlreadyExists, now } from "../shared/firestore";
import { stripeClient } from "../shared/stripe-client";
import { decide, foreignPreorderId, type Outcome } from "./decide";
import { toPreorderChange, type PreorderChange } from "./events";

export interface Applied {
  outcome: Outcome;
  preorderId: string | null;
  reason?: string;
}

const DOC_ID = /^[A-Za-z0-9_-]{1,160}$/;

/** The preorder an event belongs to; null when it is none of ours. */
async function resolvePreorderId(change: PreorderChange): Promise<string | null> {
  if (change.preorderId) return DOC_ID.test(change.preorderId) ? change.preorderId : null;
  if (change.foreign) return foreignPreorderId(change.foreign.sessionId);
  if (!change.paymentIntentId) return null;
  const known = await db().collection(COLLECTIONS.paymentIntents).doc(change.paymentIntentId).get();
  if (known.exists) return known.get("preorderId") as string;
  if (change.eventType === "charge.refunded") {
    // A refund that overtook every event naming its PaymentIntent: the PaymentIntent's metadata knows.
    const pi = await (await stripeClient()).paymentIntents.retrieve(change.paymentIntentId).catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return null; // not a PaymentIntent of this account's preorders
      throw err;
    });
    const id = pi?.metadata?.preorder_id;
    return id && DOC_ID.test(id) ? id : null;
  }
  return null;
}

export async function applyEvent(event: Stripe.Event): Promise<Applied> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOnce(event);
    } catch (err) {
      // A concurrent delivery created the ledger entry (or the preorder) first: run again, and the next
      // read sees it. Anything else (or a third clash) is transient for Stripe: 500, retry later.
      if (!isAlreadyExists(err) || attempt >= 3) throw err;
    }
  }
}

async function applyOnce(event: Stripe.Event): Promise<Applied> {
  const ledgerRef = db().collection(COLLECTIONS.stripeEvents).doc(event.id);
  const at = now();
  const entry = { type: event.type, created: event.created, livemode: event.livemode === true, receivedAt: at };
  const mapping = toPreorderChange(event);
  const preorderId = mapping.kind === "change" ? await resolvePreorderId(mapping.change) : null;

  if (mapping.kind === "ignored" || !preorderId) {
    const reason = mapping.kind === "ignored" ? mapping.reason : "no preorder for this event";
    try {
      await ledgerRef.create({ ...entry, preorderId: null, outcome: "ignored", reason });
      return { outcome: "ignored", preorderId: null, reason };
    } catch (err) {
      if (isAlreadyExists(err)) return { outcome: "duplicate", preorderId: null };
      throw err;
    }
  }

  const change = mapping.change;
  const preorderRef = db().collection(COLLECTIONS.preorders).doc(preorderId);
  return db().runTransaction(async (tx) => {
    const [ledger, preorder] = await tx.getAll(ledgerRef, preorderRef);
    if (ledger!.exists) return { outcome: "duplicate" as const, preorderId };
    const decision = decide(preorder!.exists ? (preorder!.data() as Parameters<typeof decide>[0]) : null, change);
    tx.create(ledgerRef, { ...entry, preorderId, outcome: decision.outcome, ...(decision.reason && { reason: decision.reason }) });
    const pi = decision.create?.stripe.paymentIntentId ?? (decision.update?.["stripe.paymentIntentId"] as string | undefined);
    if (pi) tx.set(db().collection(COLLECTIONS.paymentIntents).doc(pi), { preorderId, createdAt: at });
    if (decision.create) {
      tx.create(preorderRef, { ...decision.create, createdAt: at, updatedAt: at });
      tx.create(db().collection(COLLECTIONS.preorderNumbers).doc(decision.create.preorderNumber), { preorderId, createdAt: at });
    } else if (decision.update) {
      tx.update(preorderRef, { ...decision.update, updatedAt: at });
    }
    return { outcome: decision.outcome, preorderId, ...(decision.reason && { reason: decision.reason }) };
  });
}
