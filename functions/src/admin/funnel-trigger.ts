/**
 * onPreorderCounted: a preorder's status change → the funnel counters, each metric exactly once per
 * preorder. One transaction reads the preorder's mark (`funnel_marks/{preorderId}`: the metrics already
 * counted) and one random counter shard of its creation day, and writes both; a redelivered or reordered
 * trigger finds the metric marked and counts nothing. No hot document: SHARDS shards per day.
 */
import type { DocumentSnapshot } from "firebase-admin/firestore";
import type { Change, FirestoreEvent } from "firebase-functions/v2/firestore";
import { isStatus } from "../preorder/status";
import { COLLECTIONS, db, now } from "../shared/firestore";
import { addTo, dimsOf, emptyCounter, metricsFor, SHARDS, type CounterDoc, type Metric } from "./funnel";

export type WrittenEvent = FirestoreEvent<Change<DocumentSnapshot> | undefined, Record<string, string>>;

export async function onPreorderCounted(event: WrittenEvent, pickShard = () => Math.floor(Math.random() * SHARDS)): Promise<void> {
  const before = event.data?.before?.data();
  const after = event.data?.after?.data();
  if (!after || before?.status === after.status || !isStatus(after.status)) return;
  const created = after.createdAt as { toDate?: () => Date } | undefined;
  if (typeof created?.toDate !== "function") return;
  const preorderId = event.params.preorderId!;
  const dims = dimsOf(after, created.toDate());
  const wanted = metricsFor(after.status);
  const markRef = db().collection(COLLECTIONS.funnelMarks).doc(preorderId);
  const shardRef = db()
    .collection(COLLECTIONS.funnelCounters)
    .doc(`${dims.day}_${String(pickShard()).padStart(2, "0")}`);
  await db().runTransaction(async (tx) => {
    const [mark, shard] = await tx.getAll(markRef, shardRef);
    const counted = new Set<Metric>((mark!.get("metrics") as Metric[] | undefined) ?? []);
    const fresh = wanted.filter((m) => !counted.has(m));
    if (!fresh.length) return;
    const counter = shard!.exists ? (shard!.data() as CounterDoc) : emptyCounter(dims.day);
    tx.set(shardRef, addTo(counter, dims, fresh));
    tx.set(markRef, { metrics: [...counted, ...fresh], day: dims.day, updatedAt: now() });
  });
}
