/**
 * Fixed-window limits (per client IP, per email) that no spike turns into a hot document.
 *
 * For a key and a window there are at most `max` ticket documents, `rate_limits/{sha256(kind:key)}_{start}_t{n}`
 * for n < max, written create-only: a call is admitted when it creates one, in the same atomic batch as an
 * increment of the counter document `rate_limits/{sha256(kind:key)}_{start}`. Create-only is atomic, so at most
 * `max` calls are admitted per window however many race; racers pick tickets at random, so they rarely collide.
 * Once the counter reaches `max` a refusal costs one read and no write. So no document takes more than `max`
 * writes per window: a flood from one address becomes reads, never a hot document. Keys are hashed: no address
 * or email is stored. Every document carries `expireAt` (end of window + 1 h) for the Firestore TTL policy on
 * `rate_limits`.
 */
import { createHash, randomInt } from "node:crypto";
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

  const taken = Number((await counter.get()).get("count") ?? 0);
  if (taken >= limit.max) return { ok: false, retryAfterSeconds: untilEnd };
  for (const n of probeOrder(limit.max, taken)) {
    const batch = db().batch();
    batch.create(col.doc(`${base}_t${n}`), { expireAt });
    batch.set(counter, { count: FieldValue.increment(1), kind: limit.kind, windowStart: start, expireAt }, { merge: true });
    try {
      await batch.commit();
      return { ok: true };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  return { ok: false, retryAfterSeconds: BUSY_RETRY_SECONDS };
}

/**
 * Which tickets to try: first the one the counter points at (callers one after another take 0, 1, 2, … with
 * one commit each), then, for racers, every other one in random order for small limits (exact), else a few
 * random ones.
 */
export function probeOrder(max: number, taken: number): number[] {
  const first = Math.min(Math.max(0, taken), max - 1);
  if (max <= 16) {
    const rest = Array.from({ length: max }, (_, i) => i).filter((i) => i !== first);
    for (let i = rest.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    }
    return [first, ...rest];
  }
  return [first, ...Array.from({ length: MAX_PROBES - 1 }, () => randomInt(max))];
}
