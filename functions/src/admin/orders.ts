/**
 * Firestore adapter for the order list, the search and an order's page. The query shapes come from
 * query.ts; this file runs them and turns documents into the rows the page draws (no Timestamps, no
 * fields the page does not show).
 */
import type { DocumentSnapshot, Query, Timestamp } from "firebase-admin/firestore";
import type Stripe from "stripe";
import { COLLECTIONS, db, firestoreModule } from "../shared/firestore";
import {
  classifySearch,
  HELD_MAX,
  heldWhere,
  listPlan,
  matches,
  pageOf,
  type Instant,
  type ListInput,
  type ListPlan,
  type Where,
} from "./query";

export interface OrderRow {
  preorderId: string;
  preorderNumber: string;
  email: string;
  color: string;
  locale: string;
  status: string;
  amount: number;
  currency: string;
  createdAt: string;
  hold: boolean;
  flagged: boolean;
}

const toInstant = (t: Timestamp): Instant => ({ seconds: t.seconds, nanos: t.nanoseconds });
const iso = (t: unknown): string | null =>
  t && typeof (t as Timestamp).toDate === "function" ? (t as Timestamp).toDate().toISOString() : null;

export function rowOf(d: DocumentSnapshot): OrderRow {
  const x = d.data()!;
  return {
    preorderId: d.id,
    preorderNumber: x.preorderNumber,
    email: x.email,
    color: x.color,
    locale: x.locale,
    status: x.status,
    amount: x.amount,
    currency: x.currency,
    createdAt: iso(x.createdAt) ?? "",
    hold: x.hold !== null && x.hold !== undefined,
    flagged: x.flagged === true,
  };
}

/** The plan as an Admin SDK query on `preorders`. */
export function queryOf(plan: Pick<ListPlan, "where" | "orderBy" | "limit">): Query {
  const { Timestamp } = firestoreModule();
  let q: Query = db().collection(COLLECTIONS.preorders);
  for (const w of plan.where as Where[]) {
    const v = w.field === "createdAt" ? new Timestamp((w.value as Instant).seconds, (w.value as Instant).nanos) : w.value;
    q = q.where(w.field, w.op, v);
  }
  return q.orderBy(plan.orderBy.field, plan.orderBy.direction).limit(plan.limit);
}

const createdMs = (d: DocumentSnapshot) => (d.get("createdAt") as Timestamp).toMillis();

export async function listOrders(input: ListInput, stripe: () => Promise<Stripe>): Promise<{ rows: OrderRow[]; next: string | null }> {
  if (input.q) {
    const found = await search(input.q, stripe);
    const rows = found
      .filter((d) => d.exists && matches(input, d.data()!, createdMs(d)))
      .sort((a, b) => createdMs(b) - createdMs(a))
      .map(rowOf);
    return { rows, next: null };
  }
  const plan = listPlan(input);
  if (input.hold) {
    const held = await db().collection(COLLECTIONS.preorders).where(heldWhere.field, heldWhere.op, null).limit(HELD_MAX).get();
    const after = (d: DocumentSnapshot) => {
      const at = plan.cursorAt;
      const t = d.get("createdAt") as Timestamp;
      return !at || t.seconds < at.seconds || (t.seconds === at.seconds && t.nanoseconds <= at.nanos);
    };
    const docs = held.docs
      .filter((d) => matches(input, d.data(), createdMs(d)) && after(d))
      .sort((a, b) => createdMs(b) - createdMs(a) || (b.id < a.id ? -1 : 1));
    const page = pageOf(
      docs.map((d) => ({ id: d.id, createdAt: toInstant(d.get("createdAt")), d })),
      plan,
    );
    return { rows: page.rows.map((r) => rowOf(r.d)), next: page.next };
  }
  const snap = await queryOf(plan).get();
  // a guard: what the query returned must match the filters
  const docs = snap.docs.filter((d) => matches(input, d.data(), createdMs(d)));
  const page = pageOf(
    docs.map((d) => ({ id: d.id, createdAt: toInstant(d.get("createdAt")), d })),
    plan,
  );
  return { rows: page.rows.map((r) => rowOf(r.d)), next: page.next };
}

const byId = async (id: string | null | undefined): Promise<DocumentSnapshot[]> =>
  id ? [await db().collection(COLLECTIONS.preorders).doc(id).get()] : [];

const pointer = async (collection: string, id: string): Promise<string | null> => {
  const d = await db().collection(collection).doc(id).get();
  return d.exists ? ((d.get("preorderId") as string | null) ?? null) : null;
};

/**
 * The preorders a search term names. Our own mappings first (number, PaymentIntent, ledger event); any
 * other Stripe object is asked from Stripe for the PaymentIntent, session metadata or customer email that
 * leads to the preorder (nested fields such as `stripe.sessionId` are not queryable on the test server,
 * and Stripe knows every object of the account).
 */
async function search(q: string, stripe: () => Promise<Stripe>): Promise<DocumentSnapshot[]> {
  const term = classifySearch(q);
  const preorders = db().collection(COLLECTIONS.preorders);
  switch (term.kind) {
    case "number":
      return byId(await pointer(COLLECTIONS.preorderNumbers, term.value));
    case "preorderId":
      return byId(term.value);
    case "email":
      return (await preorders.where("email", "==", term.value).limit(100).get()).docs;
    case "stripe":
      break;
  }
  if (term.object === "payment_intent") {
    const known = await pointer(COLLECTIONS.paymentIntents, term.value);
    if (known) return byId(known);
  }
  if (term.object === "event") return byId(await pointer(COLLECTIONS.stripeEvents, term.value));
  const s = await stripe();
  const notFound = (err: { statusCode?: number }) => {
    if (err.statusCode === 404 || err.statusCode === 400) return null;
    throw err;
  };
  const viaPi = async (pi: string | Stripe.PaymentIntent | null | undefined) => {
    const id = typeof pi === "string" ? pi : pi?.id;
    if (!id) return [];
    const known = await pointer(COLLECTIONS.paymentIntents, id);
    if (known) return byId(known);
    const obj = await s.paymentIntents.retrieve(id).catch(notFound);
    return byId(obj?.metadata?.preorder_id);
  };
  switch (term.object) {
    case "session": {
      const cs = await s.checkout.sessions.retrieve(term.value).catch(notFound);
      if (!cs) return [];
      const id = cs.metadata?.preorder_id ?? cs.client_reference_id;
      return id ? byId(id) : viaPi(cs.payment_intent);
    }
    case "payment_intent":
      return viaPi(term.value);
    case "charge":
      return viaPi((await s.charges.retrieve(term.value).catch(notFound))?.payment_intent);
    case "refund":
      return viaPi((await s.refunds.retrieve(term.value).catch(notFound))?.payment_intent);
    case "dispute":
      return viaPi((await s.disputes.retrieve(term.value).catch(notFound))?.payment_intent);
    case "customer": {
      const c = await s.customers.retrieve(term.value).catch(notFound);
      const email = c && !("deleted" in c && c.deleted) ? (c as Stripe.Customer).email : null;
      return email ? (await preorders.where("email", "==", email.trim().toLowerCase()).limit(100).get()).docs : [];
    }
  }
  return [];
}

/** Everything the order page shows: the document, the ledger timeline, the Klaviyo deliveries, the audit. */
export async function orderStory(preorderId: string) {
  const d = await db().collection(COLLECTIONS.preorders).doc(preorderId).get();
  if (!d.exists) return null;
  const x = d.data()!;
  const [ledger, deliveries, audit] = await Promise.all([
    db().collection(COLLECTIONS.stripeEvents).where("preorderId", "==", preorderId).limit(200).get(),
    db().collection(COLLECTIONS.klaviyoDeliveries).where("preorderId", "==", preorderId).limit(50).get(),
    db().collection(COLLECTIONS.adminAudit).where("preorderId", "==", preorderId).limit(100).get(),
  ]);
  const consent = x.marketingConsent ?? null;
  return {
    ...rowOf(d),
    amountRefunded: x.amountRefunded ?? 0,
    errorReason: x.errorReason ?? null,
    origin: x.origin ?? "callable",
    updatedAt: iso(x.updatedAt),
    stripe: x.stripe ?? null,
    customer: x.customer ?? null,
    attribution: x.attribution ?? null,
    marketingConsent: consent ? { ...consent, at: iso(consent.at) } : null,
    holdDetail: x.hold ? { ...x.hold, since: iso(x.hold.since) } : null,
    dispute: x.dispute ?? null,
    timeline: ledger.docs
      .map((e) => ({
        eventId: e.id,
        type: e.get("type") as string,
        created: new Date((e.get("created") as number) * 1000).toISOString(),
        outcome: e.get("outcome") as string,
        reason: (e.get("reason") as string | undefined) ?? null,
        receivedAt: iso(e.get("receivedAt")),
      }))
      .sort((a, b) => a.created.localeCompare(b.created) || String(a.receivedAt).localeCompare(String(b.receivedAt))),
    deliveries: deliveries.docs
      .map((k) => ({
        key: k.id.slice(preorderId.length + 1),
        state: k.get("state") as string,
        attempts: (k.get("attempts") as number | undefined) ?? 0,
        lastError: (k.get("lastError") as string | null | undefined) ?? null,
        retryable: k.get("retryable") !== false,
        sentAt: iso(k.get("sentAt")),
        updatedAt: iso(k.get("updatedAt")),
      }))
      .sort((a, b) => String(a.updatedAt).localeCompare(String(b.updatedAt))),
    audit: audit.docs
      .map((a) => ({ action: a.get("action"), who: a.get("who"), at: iso(a.get("at")), result: a.get("result") }))
      .sort((a, b) => String(a.at).localeCompare(String(b.at))),
  };
}
