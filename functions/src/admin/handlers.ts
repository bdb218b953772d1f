/**
 * The console's functions. Each checks the `admin` claim on the server before it reads anything; inputs
 * are validated (bad input → invalid-argument naming the field, nothing read or changed); every action is
 * written to `admin_audit` with who, what, when and the result.
 */
import { once } from "node:events";
import type { Request } from "firebase-functions/v2/https";
import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";
import type { Response } from "express";
import { logger } from "firebase-functions/logger";
import { consoleWebConfig } from "../config";
import { COLLECTIONS, db, now } from "../shared/firestore";
import { stripeClient } from "../shared/stripe-client";
import { adminOf, adminOfRequest, type Admin } from "./auth";
import { addToSummary, ordersCsv, summaryCsv, type ShippableDoc, type Summary } from "./csv";
import { daysBetween, funnelOf, shardIds, type CounterDoc } from "./funnel";
import { listOrders, orderStory, queryOf } from "./orders";
import { ListInputError, listPlan, pageOf, parseListInput } from "./query";

const DOC_ID = /^[A-Za-z0-9_-]{1,160}$/;

const invalid = (err: unknown): never => {
  if (err instanceof ListInputError) throw new HttpsError("invalid-argument", err.message, { field: err.field });
  if (err instanceof RangeError) throw new HttpsError("invalid-argument", err.message);
  throw err;
};

function preorderIdOf(data: unknown): string {
  const id = (data as { preorderId?: unknown } | null)?.preorderId;
  if (typeof id !== "string" || !DOC_ID.test(id))
    throw new HttpsError("invalid-argument", "preorderId is missing or malformed", { field: "preorderId" });
  return id;
}

export async function audit(who: Admin, action: string, preorderId: string | null, result: Record<string, unknown>): Promise<void> {
  await db().collection(COLLECTIONS.adminAudit).add({ who, action, preorderId, at: now(), result });
}

export async function adminOrders(request: CallableRequest) {
  adminOf(request.auth);
  let input;
  try {
    input = parseListInput(request.data);
    return await listOrders(input, stripeClient);
  } catch (err) {
    return invalid(err);
  }
}

export async function adminOrder(request: CallableRequest) {
  adminOf(request.auth);
  const story = await orderStory(preorderIdOf(request.data));
  if (!story) throw new HttpsError("not-found", "No such preorder");
  return story;
}

export async function adminFunnel(request: CallableRequest) {
  adminOf(request.auth);
  const data = (request.data ?? {}) as { from?: unknown; to?: unknown };
  const today = new Date().toISOString().slice(0, 10);
  const to = typeof data.to === "string" && data.to ? data.to : today;
  const from =
    typeof data.from === "string" && data.from
      ? data.from
      : new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  let ids: string[];
  try {
    ids = shardIds(daysBetween(from, to));
  } catch (err) {
    return invalid(err);
  }
  const col = db().collection(COLLECTIONS.funnelCounters);
  const shards: Partial<CounterDoc>[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const snaps = await db().getAll(...ids.slice(i, i + 500).map((id) => col.doc(id)));
    for (const s of snaps) if (s.exists) shards.push(s.data() as CounterDoc);
  }
  return funnelOf(from, to, shards);
}

/**
 * Refund through Stripe with an idempotency key per preorder (a double click or a retry makes one refund).
 * The status changes when the webhook applies `charge.refunded`, as for any refund.
 */
export async function adminRefund(request: CallableRequest) {
  const who = adminOf(request.auth);
  const preorderId = preorderIdOf(request.data);
  const doc = await db().collection(COLLECTIONS.preorders).doc(preorderId).get();
  if (!doc.exists) throw new HttpsError("not-found", "No such preorder");
  const status = doc.get("status") as string;
  const pi = doc.get("stripe.paymentIntentId") as string | null;
  if (status !== "succeeded" || !pi) {
    await audit(who, "refund", preorderId, { ok: false, error: `not refundable: status ${status}` });
    throw new HttpsError("failed-precondition", `Only a paid order can be refunded (this one is ${status})`);
  }
  try {
    const stripe = await stripeClient();
    const refund = await stripe.refunds.create(
      { payment_intent: pi, reason: "requested_by_customer", metadata: { preorder_id: preorderId, admin_uid: who.uid } },
      { idempotencyKey: `refund-${preorderId}` },
    );
    await audit(who, "refund", preorderId, { ok: true, refundId: refund.id, status: refund.status, amount: refund.amount });
    logger.info("console refund", { preorderId, admin: who.uid, refundId: refund.id });
    return { refundId: refund.id, status: refund.status, amount: refund.amount };
  } catch (err) {
    const message = (err as { message?: string }).message ?? String(err);
    await audit(who, "refund", preorderId, { ok: false, error: message });
    throw new HttpsError("aborted", `Stripe refused the refund: ${message}`);
  }
}

const DELIVERY_KEY = /^(created|failed|succeeded|expired|refunded|subscribe)$/;

/**
 * Re-send one Klaviyo delivery that did not go out (state `failed` or `retrying` for a retryable reason),
 * through the klaviyo module's exactly-once path (`redeliver`: lease + unique_id). Audited either way.
 */
export async function adminResend(request: CallableRequest) {
  const who = adminOf(request.auth);
  const preorderId = preorderIdOf(request.data);
  const key = (request.data as { key?: unknown }).key;
  if (typeof key !== "string" || !DELIVERY_KEY.test(key))
    throw new HttpsError("invalid-argument", 'key must be a status or "subscribe"', { field: "key" });
  const record = await db().collection(COLLECTIONS.klaviyoDeliveries).doc(`${preorderId}_${key}`).get();
  if (!record.exists) throw new HttpsError("not-found", "No such Klaviyo delivery");
  const state = record.get("state") as string;
  if (state === "sent" || state === "invalid" || record.get("retryable") === false) {
    await audit(who, "resend", preorderId, { ok: false, key, error: `not re-sendable: ${state}` });
    throw new HttpsError(
      "failed-precondition",
      `This delivery cannot be re-sent (it is ${state}${state === "failed" ? ", refused by Klaviyo" : ""})`,
    );
  }
  try {
    // loaded here: the Klaviyo sending path (validators, client) is only for this action
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { redeliver } = require("../klaviyo/redrive") as typeof import("../klaviyo/redrive");
    const r = await redeliver(preorderId, key);
    await audit(who, "resend", preorderId, { ok: r.sent, key, state: r.state });
    return r;
  } catch (err) {
    const message = (err as { message?: string }).message ?? String(err);
    await audit(who, "resend", preorderId, { ok: false, key, error: message });
    throw new HttpsError("unavailable", `Klaviyo re-send failed: ${message}`);
  }
}

/** Public: what the page needs to sign in (no personal data). */
export function adminConfig(_req: Request, res: Response): void {
  res.set("Cache-Control", "no-store").json(consoleWebConfig());
}

/** The preorders that may ship, oldest first, read page by page (the source of the CSV stream). */
async function* shippableDocs(pageSize = 1000): AsyncGenerator<ShippableDoc> {
  let cursor: string | undefined;
  for (;;) {
    const plan = listPlan({ status: "succeeded", cursor, pageSize }, "asc");
    const snap = await queryOf(plan).select("preorderNumber", "email", "color", "status", "hold", "customer", "createdAt").get();
    const page = pageOf(
      snap.docs.map((d) => ({ id: d.id, createdAt: { seconds: d.get("createdAt").seconds, nanos: d.get("createdAt").nanoseconds }, d })),
      plan,
    );
    for (const { d } of page.rows) yield { ...(d.data() as ShippableDoc), preorderId: d.id, createdAt: d.get("createdAt").toDate() };
    if (!page.next) return;
    cursor = page.next;
  }
}

/**
 * GET /api/admin/export?kind=orders|summary with `Authorization: Bearer <ID token>`: the fulfilment CSV,
 * streamed (written as it is read, respecting back-pressure), or the per-colour/country quantities.
 */
export async function adminExport(req: Request, res: Response): Promise<void> {
  if (req.method !== "GET") {
    res.status(405).set("Allow", "GET").send("GET only");
    return;
  }
  const who = await adminOfRequest(req.get("authorization"));
  if ("status" in who) {
    res.status(who.status).json({ error: who.message });
    return;
  }
  const kind = req.query.kind === "summary" ? "summary" : req.query.kind === "orders" || req.query.kind === undefined ? "orders" : null;
  if (!kind) {
    res.status(400).json({ error: "kind must be orders or summary" });
    return;
  }
  const day = new Date().toISOString().slice(0, 10);
  res.status(200).set({
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="rolitt-${kind === "orders" ? "to-ship" : "summary"}-${day}.csv"`,
    "Cache-Control": "no-store",
  });
  let rows = 0;
  try {
    if (kind === "summary") {
      const summary: Summary = new Map();
      for await (const d of shippableDocs()) addToSummary(summary, d);
      res.end(summaryCsv(summary));
    } else {
      let buffered = "";
      for await (const chunk of ordersCsv(shippableDocs())) {
        rows++;
        buffered += chunk;
        if (buffered.length < 64 * 1024) continue;
        if (!res.write(buffered)) await once(res, "drain");
        buffered = "";
      }
      res.end(buffered);
      rows--; // the header
    }
    await audit(who, `export:${kind}`, null, kind === "orders" ? { ok: true, rows } : { ok: true });
  } catch (err) {
    logger.error("export failed", { error: String(err) });
    await audit(who, `export:${kind}`, null, { ok: false, error: String(err) }).catch(() => undefined);
    res.destroy(err as Error); // the download fails visibly rather than ending short
  }
}
