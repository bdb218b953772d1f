/**
 * Reconciliation with Stripe, the pure part: where a run starts listing, which listed events still need
 * applying and in what order, how the cursor moves, and who holds the lease. No I/O here.
 *
 * The cursor means: every handled event created before `created` has been applied, and of the events
 * created in that very second, those in `ids`. Stripe's `created` has one-second resolution, so the ids
 * are what lets a run stop (time budget, crash, a transient failure) in the middle of a busy second and
 * the next run resume exactly there.
 */

export interface Cursor {
  created: number;
  ids: string[];
}

export interface EventRef {
  id: string;
  created: number;
}

export interface Lease {
  holder: string;
  /** ms since the epoch */
  until: number;
}

/** Stripe keeps events for 30 days (Events API); older ones cannot be listed. */
export const RETENTION_SECONDS = 30 * 24 * 3600;
/** Start a little inside the retention edge, so that a window never asks for events Stripe just dropped. */
export const RETENTION_MARGIN_SECONDS = 600;
/**
 * Re-list this far behind the cursor: an event may become visible in the list a moment after younger
 * ones. Events found there are already in the ledger (one batched read), so this costs little.
 */
export const REVISIT_SECONDS = 60;
/** A window is closed for good (the cursor may pass its end) only once it is this far in the past. */
export const SETTLE_SECONDS = 300;

export const isCovered = (cursor: Cursor | null, e: EventRef): boolean =>
  !!cursor && (e.created < cursor.created || (e.created === cursor.created && cursor.ids.includes(e.id)));

/**
 * Events as Stripe lists them (newest first, across pages) → those the cursor does not cover, oldest
 * first: Stripe's list order reversed, so events of one second keep their order too.
 */
export function toApply<E extends EventRef>(listedNewestFirst: readonly E[], cursor: Cursor | null): E[] {
  const seen = new Set<string>();
  const out: E[] = [];
  for (let i = listedNewestFirst.length - 1; i >= 0; i--) {
    const e = listedNewestFirst[i]!;
    if (seen.has(e.id) || isCovered(cursor, e)) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out;
}

/** The cursor once `e` is applied; events are applied oldest first, so everything before e.created is done. */
export function advance(cursor: Cursor | null, e: EventRef): Cursor {
  if (!cursor || e.created > cursor.created) return { created: e.created, ids: [e.id] };
  if (e.created === cursor.created && !cursor.ids.includes(e.id)) return { created: cursor.created, ids: [...cursor.ids, e.id] };
  return cursor;
}

/** The later of two cursors (a stored cursor never moves back). */
export function later(a: Cursor | null, b: Cursor | null): Cursor | null {
  if (!a) return b;
  if (!b) return a;
  if (a.created !== b.created) return a.created > b.created ? a : b;
  return { created: a.created, ids: [...new Set([...a.ids, ...b.ids])] };
}

/** A window `[gte, lte]` wholly listed and applied: nothing at or before `lte` is left. */
export const pastWindow = (lte: number): Cursor => ({ created: lte + 1, ids: [] });

export const canTakeLease = (lease: Lease | null | undefined, holder: string, nowMs: number): boolean =>
  !lease || lease.until <= nowMs || lease.holder === holder;

export interface Start {
  /** the first second to list (inclusive) */
  from: number;
  /** when the cursor (or --since) is older than Stripe keeps events: the seconds that can no longer be listed */
  gap: { from: number; to: number } | null;
}

/**
 * Where a run starts listing: a little behind the cursor, else at `fallback` (a backfill's --since, or the
 * scheduled run's first look-back), never before what Stripe still keeps.
 */
export function startOf(cursor: Cursor | null, fallback: number, nowSec: number): Start {
  const wanted = cursor ? cursor.created - REVISIT_SECONDS : fallback;
  const oldest = nowSec - RETENTION_SECONDS + RETENTION_MARGIN_SECONDS;
  if (wanted >= oldest) return { from: wanted, gap: null };
  // only what lies before `oldest` is lost; a cursor just inside the edge loses nothing
  const lostFrom = cursor ? cursor.created : fallback;
  return { from: oldest, gap: lostFrom < oldest ? { from: lostFrom, to: oldest } : null };
}

export interface Window {
  gte: number;
  /** absent for the last window, which reaches the present (and any event stamped ahead of our clock) */
  lte?: number;
}

/** The window of `span` seconds from `from`; open-ended when it reaches the recent past (unless narrowed). */
export function windowAt(from: number, span: number, nowSec: number, narrowedDown = false): Window {
  const lte = from + span - 1;
  return lte >= nowSec - SETTLE_SECONDS && !narrowedDown ? { gte: from } : { gte: from, lte };
}

/**
 * A window held more events than one listing may page through. Stripe lists newest first, so the events
 * newer than the oldest one seen are already that many: the next try ends at that oldest second (or one
 * second earlier, so it always shrinks). Null when a single second alone holds too many.
 */
export function narrowed(w: Window, oldestSeen: number): number | null {
  const span = w.lte === undefined ? Infinity : w.lte - w.gte + 1;
  if (span <= 1) return null;
  return Math.max(1, Math.min(oldestSeen - w.gte + 1, span - 1));
}

/** After a light window, look further ahead at once (an idle month takes a handful of requests). */
export const widened = (span: number): number => Math.min(span * 4, RETENTION_SECONDS);
