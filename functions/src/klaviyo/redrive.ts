/**
 * Re-drives for deliveries the platform's retries did not finish: one delivery on demand (the console's
 * "re-send"), or every stuck one at a bounded rate (the scheduled reconcile). Both go through the same
 * exactly-once path as the trigger (lease + unique_id), with the preorder's state read now.
 *
 * Stuck = `retryable: true` (left `retrying` after the platform gave up, or `failed` for a reason that may
 * have passed: 429/5xx, timeouts, network errors, a key or list id since configured) and untouched for
 * `olderThanMs`. `sent`, `invalid` and 4xx-`failed` records carry `retryable: false` and are never re-driven.
 * The query (retryable ==, updatedAt <, ordered by updatedAt) uses the composite index in firestore.indexes.json.
 */
import { logger } from "firebase-functions/logger";
import { COLLECTIONS, db, firestoreModule } from "../shared/firestore";
import { deliver, isDeliveryKey, type DeliverOptions } from "./delivery";

/** What one re-drive may spend on Klaviyo (the callers run in longer-lived functions than the trigger). */
const REDRIVE_BUDGET_MS = 30_000;

export async function redeliver(preorderId: string, key: string, opts: DeliverOptions = {}): Promise<{ state: string; sent: boolean }> {
  if (typeof preorderId !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(preorderId)) throw new Error("redeliver: invalid preorderId");
  if (!isDeliveryKey(key)) throw new Error(`redeliver: key must be a status or "subscribe", not ${JSON.stringify(key)}`);
  const r = await deliver({ preorderId, key, mode: "redrive", deadline: Date.now() + REDRIVE_BUDGET_MS }, opts);
  return { state: r.state, sent: r.sent };
}

export interface RedriveOptions {
  limit: number;
  perSecond: number;
  olderThanMs: number;
}

export interface RedriveSummary {
  examined: number;
  redriven: number;
  sent: number;
  stillFailing: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function redriveStuck(o: RedriveOptions, opts: DeliverOptions = {}): Promise<RedriveSummary> {
  if (!(Number.isInteger(o.limit) && o.limit > 0 && o.limit <= 1000)) throw new Error("redriveStuck: limit must be an integer 1..1000");
  if (!(o.perSecond > 0)) throw new Error("redriveStuck: perSecond must be > 0");
  if (!(o.olderThanMs >= 0)) throw new Error("redriveStuck: olderThanMs must be ≥ 0");
  const cutoff = firestoreModule().Timestamp.fromMillis(Date.now() - o.olderThanMs);
  const snap = await db()
    .collection(COLLECTIONS.klaviyoDeliveries)
    .where("retryable", "==", true)
    .where("updatedAt", "<", cutoff)
    .orderBy("updatedAt")
    .limit(o.limit)
    .get();
  const summary: RedriveSummary = { examined: snap.size, redriven: 0, sent: 0, stillFailing: 0 };
  const gap = 1000 / o.perSecond;
  let next = Date.now();
  for (const doc of snap.docs) {
    const { preorderId, key } = doc.data() as { preorderId?: string; key?: string; status?: string };
    const k = key ?? (doc.get("status") as string | undefined);
    if (!preorderId || !isDeliveryKey(k)) continue;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    next = Date.now() + gap;
    summary.redriven++;
    try {
      const r = await deliver({ preorderId, key: k, mode: "redrive", deadline: Date.now() + REDRIVE_BUDGET_MS }, opts);
      if (r.sent) summary.sent++;
      else if (r.state !== "sent") summary.stillFailing++;
    } catch (err) {
      summary.stillFailing++;
      logger.warn("klaviyo re-drive failed", { preorderId, key: k, error: String((err as Error).message ?? err) });
    }
  }
  logger.info("klaviyo re-drive", { ...summary });
  return summary;
}
