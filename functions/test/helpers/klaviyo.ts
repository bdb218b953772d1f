/** Starts the local Klaviyo sink and points the functions' config at it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { KlaviyoSink } = require("../../../devtools/klaviyo-sink/server");

export async function startSink(): Promise<{ url: string; sink: any; close(): Promise<void> }> {
  const sink = new KlaviyoSink({ apiKey: process.env.KLAVIYO_PRIVATE_KEY });
  const url: string = await sink.listen();
  process.env.KLAVIYO_API_URL = url;
  return { url, sink, close: () => sink.close() };
}

import type { DocumentSnapshot } from "firebase-admin/firestore";
import { newPreorder } from "../../src/preorder/new-preorder";
import { db, now } from "../../src/shared/firestore";

/** A new unpaid preorder as stored, its own shopper (the email is the id's), changed by `over`. */
export const preorderDoc = (id: string, over: Record<string, unknown> = {}) => ({
  ...newPreorder({
    preorderId: id,
    preorderNumber: "ROL-12345678",
    email: `${id}@example.com`,
    color: "white",
    locale: "en",
    amount: 9900,
    currency: "usd",
    stripe: { sessionId: `cs_${id}` },
  }),
  createdAt: now(),
  updatedAt: now(),
  ...over,
});

/** A trigger event for preorders/{id} from two stored snapshots (or none), as Cloud Functions hands it over. */
export function triggerEvent(id: string, before: DocumentSnapshot | null, after: DocumentSnapshot | null, time = new Date().toISOString()) {
  return {
    id: `evt-${id}-${Math.random().toString(36).slice(2)}`,
    time,
    params: { preorderId: id },
    data: { before: before ?? { exists: false, data: () => undefined }, after: after ?? { exists: false, data: () => undefined } },
  } as never;
}

/** Stores each stage of a preorder's life in turn and returns the snapshot of every stage (real Firestore snapshots). */
export async function stages(id: string, docs: Array<Record<string, unknown>>): Promise<DocumentSnapshot[]> {
  const ref = db().collection("preorders").doc(id);
  const snaps: DocumentSnapshot[] = [];
  for (const d of docs) {
    await ref.set(d);
    snaps.push(await ref.get());
  }
  return snaps;
}

export const deliveryRecord = async (id: string, key: string) =>
  (await db().collection("klaviyo_deliveries").doc(`${id}_${key}`).get()).data();
