/**
 * Fixed-window limits (per client IP, per email) that no spike turns into a hot document.
 *
 * For a key and a window there are at most `max` ticket documents, `rate_limits/{sha256(kind:key)}_{start}_t{n}`
 * for n < max, written create-only: a call is admitted when it creates one. Create-only is atomic in every
 * Firestore (the embedded test server included, which has no transaction isolation), so at most `max` calls are
 * admitted per window however many race. A counter document `rate_limits/{sha256(kind:key)}_{start}` (an
 * increment per admitted call) tells the next caller where to start probing, and once it reaches `max` a
 * refusal costs one read and no write. So each document takes at most `max` writes per window: a flood from one
 * address becomes reads, never a hot document. Keys are hashed: no address or email is stored. Every document
 * carries `expireAt` (end of window + 1 h) for the Firestore TTL policy on `rate_limits`.
 */
import { createHash } from "node:crypto";
import { COLLECTIONS, db, firestoreModule, isAlreadyExists } from "../shared/firestore";

export interface Limit {
  kind: "ip" | "email";
  key: string;
  max: number;
  windowSeconds: number;
}

export type LimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Tickets tried per call before giving up as "busy" (many racers at once): refuse briefly, fail closed. */
const MAX_PROBES = 8;
const BUSY_RETRY_SECONDS = 5;
const TTL_GRACE_SECONDS = 3600;

export function windowOf(nowMs: number, windowSeconds: number): { start: number; end: number } {
  const start = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
}

export const limitDocId = (kind: string, key: string, start: number): string =>
  `${createHash("sha256").update(`${kind}:${key}`).digest("hex")}_${start}`;

export async function take(limit: Limit, nowMs = Date.now()): Promise<LimitDecision> {
  const { start, end } = windowOf(nowMs, limit.windowSeconds);
  const untilEnd = Math.max(1, Math.ceil(end - nowMs / 1000));
  if (limit.max <= 0) return { ok: false, retryAfterSeconds: untilEnd };
  const base = limitDocId(limit.kind, limit.key, start);
  const col = db().collection(COLLECTIONS.rateLimits);
  const counter = col.doc(base);
  const { FieldValue, Timestamp } = firestoreModule();
  const expireAt = Timestamp.fromMillis((end + TTL_GRACE_SECONDS) * 1000);

  const seen = await counter.get();
  let n = Math.max(0, Number(seen.get("count") ?? 0));
  for (let probes = 0; probes < MAX_PROBES && n < limit.max; probes++, n++) {
    try {
      await col.doc(`${base}_t${n}`).create({ expireAt });
    } catch (err) {
      if (isAlreadyExists(err)) continue;
      throw err;
    }
    await counter.set({ count: FieldValue.increment(1), kind: limit.kind, windowStart: start, expireAt }, { merge: true });
    return { ok: true };
  }
  return { ok: false, retryAfterSeconds: n >= limit.max ? untilEnd : BUSY_RETRY_SECONDS };
}
