/**
 * Applying one verified event: find its preorder (asking Stripe only on rare paths), then decide and write
 * the ledger entry and the preorder update in one Firestore transaction (read both, decide, write both).
 * Firestore's transactions make a concurrent delivery of the same event, or of two events of one preorder,
 * retry against the other's result. The one path by which a Stripe event changes Firestore (the webhook and
 * reconcile both call applyEvent); it throws on anything transient so that the caller retries.
 */
import type Stripe from "stripe";
import { logger } from "firebase-functions/logger";
import { foreignOfferConfig } from "../config";
import { COLLECTIONS, db, isAlreadyExists, now } from "../shared/firestore";
import { stripeClient } from "../shared/stripe-client";
import { decide, foreignPreorderId, needsLineItems, notTheOffer, type Outcome, type Stored } from "./decide";
import { disputedCharge, toPreorderChange, type PreorderChange } from "./events";

export interface Applied {
  outcome: Outcome;
  preorderId: string | null;
  reason?: string;
}

/**
 * Not final: the event cannot be placed yet (its session's preorder does not exist yet) or a lookup failed.
 * Nothing is written; the webhook answers 500 so Stripe redelivers, reconcile keeps its cursor.
 */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransientError";
  }
}

const DOC_ID = /^[A-Za-z0-9_-]{1,160}$/;

/** Where an event goes: a preorder, or nowhere (with the reason, ledgered `ignored`). */
type Placement = { preorderId: string; change: PreorderChange; mustExist: boolean } | { preorderId: null; reason: string };

const nowhere = (reason: string): Placement => ({ preorderId: null, reason });

/** A session no preorder knows becomes one only when it sells the offer (line items fetched only if needed). */
async function offerReason(session: { sessionId: string; paymentLink: string | null }): Promise<string | null> {
  const offer = foreignOfferConfig();
  let priceIds: string[] | null = null;
  if (needsLineItems(session, offer)) {
    const items = await (await stripeClient()).checkout.sessions.listLineItems(session.sessionId, { limit: 100 });
    priceIds = items.data.map((i) => i.price?.id).filter((p): p is string => !!p);
  }
  return notTheOffer(session, offer, priceIds);
}

const idOf = (ref: string | { id: string } | null | undefined): string | null => (typeof ref === "string" ? ref : (ref?.id ?? null));

/** The PaymentIntent's Checkout Session, through Stripe: the one place that knows it before our events do. */
async function placeByStripe(change: PreorderChange, pi: string): Promise<Placement> {
  const sessions = await (await stripeClient()).checkout.sessions.list({ payment_intent: pi, limit: 1 });
  const session = sessions.data[0];
  if (!session) return nowhere(`payment intent ${pi} belongs to no Checkout Session`);
  const claimed = session.metadata?.preorder_id || session.client_reference_id;
  if (claimed) {
    return DOC_ID.test(claimed)
      ? { preorderId: claimed, change: { ...change, sessionId: session.id }, mustExist: false }
      : nowhere("no preorder for this event");
  }
  const why = await offerReason({ sessionId: session.id, paymentLink: idOf(session.payment_link) });
  if (why) return nowhere(why);
  // A sale of the offer made outside the callable: its preorder appears with its session event. Until then
  // this event is not final (500, Stripe redelivers), so a refund that comes first is never lost.
  return { preorderId: foreignPreorderId(session.id), change: { ...change, sessionId: session.id }, mustExist: true };
}

async function place(event: Stripe.Event, change: PreorderChange): Promise<Placement> {
  if (change.preorderId)
    return DOC_ID.test(change.preorderId)
      ? { preorderId: change.preorderId, change, mustExist: false }
      : nowhere("no preorder for this event");
  if (change.foreign) {
    const why = await offerReason(change.foreign);
    return why ? nowhere(why) : { preorderId: foreignPreorderId(change.foreign.sessionId), change, mustExist: false };
  }
  let pi = change.paymentIntentId;
  const chargeId = pi ? null : disputedCharge(event);
  if (chargeId) {
    // older API versions' disputes may carry only the charge
    const charge = await (await stripeClient()).charges.retrieve(chargeId).catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return null;
      throw err;
    });
    pi = idOf(charge?.payment_intent);
    if (pi) change = { ...change, paymentIntentId: pi, facts: { ...change.facts, paymentIntentId: pi } };
  }
  if (!pi) return nowhere("no preorder for this event");
  const known = await db().collection(COLLECTIONS.paymentIntents).doc(pi).get();
  if (known.exists) return { preorderId: known.get("preorderId") as string, change, mustExist: false };
  return placeByStripe(change, pi);
}

let versionWarned = false;

/** Once per instance: an endpoint on another API version sends other shapes (events.ts reads them all). */
async function warnApiVersion(event: Stripe.Event): Promise<void> {
  if (versionWarned || !event.api_version) return;
  const { default: StripeSdk } = await import("stripe");
  if (event.api_version === StripeSdk.API_VERSION) return;
  versionWarned = true;
  logger.warn("stripe event api_version differs from the SDK's; pin the webhook endpoint to the SDK's version (README)", {
    eventId: event.id,
    eventApiVersion: event.api_version,
    sdkApiVersion: StripeSdk.API_VERSION,
  });
}

export async function applyEvent(event: Stripe.Event): Promise<Applied> {
  await warnApiVersion(event);
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
  const placed = mapping.kind === "change" ? await place(event, mapping.change) : nowhere(mapping.reason);

  if (placed.preorderId === null) {
    try {
      await ledgerRef.create({ ...entry, preorderId: null, outcome: "ignored", reason: placed.reason });
      return { outcome: "ignored", preorderId: null, reason: placed.reason };
    } catch (err) {
      if (isAlreadyExists(err)) return { outcome: "duplicate", preorderId: null };
      throw err;
    }
  }

  const { preorderId, change, mustExist } = placed;
  const preorderRef = db().collection(COLLECTIONS.preorders).doc(preorderId);
  const result = await db().runTransaction(async (tx) => {
    const [ledger, preorder] = await tx.getAll(ledgerRef, preorderRef);
    if (ledger!.exists) return { outcome: "duplicate" as const, preorderId };
    if (mustExist && !preorder!.exists) throw new TransientError(`the preorder ${preorderId} of this payment does not exist yet`);
    const stored = preorder!.exists ? (preorder!.data() as Stored) : null;
    const decision = decide(stored, change);
    tx.create(ledgerRef, { ...entry, preorderId, outcome: decision.outcome, ...(decision.reason && { reason: decision.reason }) });
    if (decision.outcome === "mismatch") {
      // A payment that is not this preorder's: change nothing but leave operations a visible trace.
      tx.create(db().collection(COLLECTIONS.anomalies).doc(), {
        preorderId,
        eventId: event.id,
        eventType: event.type,
        reason: decision.reason,
        createdAt: at,
      });
      if (stored?.flagged !== true) tx.update(preorderRef, { flagged: true, updatedAt: at });
      return { outcome: decision.outcome, preorderId, reason: decision.reason };
    }
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
  if (result.outcome === "mismatch") {
    logger.error("stripe event claims a preorder it does not belong to: nothing changed, anomaly recorded", {
      eventId: event.id,
      type: event.type,
      preorderId,
      reason: result.reason,
    });
  }
  return result;
}
