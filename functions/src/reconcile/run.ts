/**
 * One reconcile pass over Stripe's Events API: take the lease, list the handled event types from the
 * stored cursor forward in time windows, apply each event not yet in the ledger through `applyEvent`
 * (the webhook's own path), oldest first, and move the cursor only past what was applied. Bounded by a
 * time budget and a page budget; a transient failure stops the pass and keeps the cursor where it is.
 * I/O comes in through `Deps`, so tests can crash it, race two of it, or slow it down.
 */
import type Stripe from "stripe";
import type { Applied } from "../webhook/apply";
import {
  advance,
  later,
  narrowed,
  pastWindow,
  RETENTION_MARGIN_SECONDS,
  RETENTION_SECONDS,
  SETTLE_SECONDS,
  startOf,
  toApply,
  widened,
  windowAt,
  type Cursor,
  type Lease,
  type Window,
} from "./plan";

export type Mode = { kind: "steady" } | { kind: "backfill"; since: number };

export interface StoredState {
  cursor: Cursor | null;
  backfill: { since: number; cursor: Cursor | null } | null;
  lease: Lease | null;
}

export interface StateStore {
  /** In one transaction: the lease if free (or ours), else who holds it. */
  takeLease(holder: string, untilMs: number, nowMs: number): Promise<{ taken: true; state: StoredState } | { taken: false; lease: Lease }>;
  /** Stores the cursor if `holder` still holds the lease (throws LeaseLostError otherwise); never moves it back. */
  saveCursor(holder: string, mode: Mode, cursor: Cursor): Promise<void>;
  /** Records the run's summary and releases the lease (if still ours). */
  finish(holder: string, summary: RunSummary): Promise<void>;
}

export interface ListPage {
  data: Stripe.Event[];
  has_more: boolean;
}

export interface Deps {
  listEvents(params: Stripe.EventListParams): Promise<ListPage>;
  applyEvent(event: Stripe.Event): Promise<Applied>;
  /** Which of these event ids the ledger already holds. */
  recorded(ids: string[]): Promise<Set<string>>;
  store: StateStore;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export interface RunOptions {
  mode: Mode;
  holder: string;
  types: readonly string[];
  /** stop starting new work after this long */
  budgetMs: number;
  /** Events API requests per run at most */
  maxPages: number;
  /** pages one window may take before it is narrowed */
  windowPages: number;
  /** first window's span */
  windowSeconds: number;
  /** spacing between Events API requests (Stripe allows 25 reads/s in test mode, 100 live) */
  minRequestIntervalMs: number;
  /** how long the lease lasts; must outlast the budget */
  leaseMs: number;
  /** store the cursor after this many events (Firestore: ~1 sustained write/s per document) */
  checkpointEvery: number;
  /** the scheduled run's first look-back, when it has no cursor yet (seconds) */
  firstLookbackSeconds: number;
}

export class LeaseLostError extends Error {
  constructor(holder: string) {
    super(`reconcile lease of ${holder} was taken over; stopping`);
    this.name = "LeaseLostError";
  }
}

export interface Counts {
  seen: number;
  /** events that could not be placed by the end of the run (their preorder comes from a later event) */
  deferred: number;
  applied: number;
  duplicates: number;
  stale: number;
  ignored: number;
  mismatch: number;
}

export interface RunSummary extends Counts {
  runId: string;
  mode: "steady" | "backfill";
  since: number | null;
  startedAt: number;
  finishedAt: number;
  ms: number;
  /** Events API requests made */
  pages: number;
  /** the lease was held by another run: nothing done */
  skipped: { holder: string; until: number } | null;
  /** true when the pass reached the present (else the next run continues) */
  caughtUp: boolean;
  /** why it stopped early: budget, pages, or an error */
  stoppedBy: "done" | "budget" | "pages" | "error" | "lease";
  error: string | null;
  cursorBefore: Cursor | null;
  cursorAfter: Cursor | null;
  /** seconds Stripe no longer keeps that the cursor had not reached: events there are lost to reconciliation */
  gap: { from: number; to: number } | null;
}

export const DEFAULT_OPTIONS: Omit<RunOptions, "mode" | "holder" | "types"> = {
  budgetMs: 6 * 60_000,
  maxPages: 300,
  windowPages: 20,
  windowSeconds: 3600,
  minRequestIntervalMs: 100,
  leaseMs: 9 * 60_000,
  checkpointEvery: 200,
  // everything Stripe still keeps (a first run has no cursor to measure a gap from)
  firstLookbackSeconds: RETENTION_SECONDS - RETENTION_MARGIN_SECONDS - 60,
};

const emptyCounts = (): Counts => ({ seen: 0, deferred: 0, applied: 0, duplicates: 0, stale: 0, ignored: 0, mismatch: 0 });

/**
 * applyEvent's "not yet": the event names a preorder only a later event creates (a Payment Link sale's
 * PaymentIntent before its session). Stripe would redeliver it; here it waits until the later one is applied.
 */
const notPlacedYet = (err: unknown): boolean =>
  (err as Error)?.name === "TransientError" && /does not exist yet/.test(String((err as Error).message));

export async function reconcileEvents(deps: Deps, opts: RunOptions): Promise<RunSummary> {
  const startedAt = deps.nowMs();
  const counts = emptyCounts();
  const base = {
    runId: opts.holder,
    mode: opts.mode.kind,
    since: opts.mode.kind === "backfill" ? opts.mode.since : null,
    startedAt,
  };
  const summary = (rest: Partial<RunSummary>): RunSummary => {
    const finishedAt = deps.nowMs();
    return {
      ...base,
      ...counts,
      finishedAt,
      ms: finishedAt - startedAt,
      pages,
      skipped: null,
      caughtUp: false,
      stoppedBy: "done",
      error: null,
      cursorBefore: null,
      cursorAfter: null,
      gap: null,
      ...rest,
    };
  };
  let pages = 0;

  const lease = await deps.store.takeLease(opts.holder, startedAt + opts.leaseMs, startedAt);
  if (!lease.taken) return summary({ skipped: { holder: lease.lease.holder, until: lease.lease.until }, stoppedBy: "lease" });

  const stored = lease.state;
  const mode = opts.mode;
  const before = mode.kind === "steady" ? stored.cursor : stored.backfill?.since === mode.since ? stored.backfill.cursor : null;
  let cursor = before;
  let saved = before;
  let sinceCheckpoint = 0;
  const checkpoint = async () => {
    if (cursor && cursor !== saved) {
      await deps.store.saveCursor(opts.holder, mode, cursor);
      saved = cursor;
    }
    sinceCheckpoint = 0;
  };

  const nowSec = () => Math.floor(deps.nowMs() / 1000);
  const fallback = mode.kind === "backfill" ? mode.since : nowSec() - opts.firstLookbackSeconds;
  const start = startOf(cursor, fallback, nowSec());
  let from = start.from;
  let span = opts.windowSeconds;
  let narrowedDown = false;
  let lastRequest = 0;
  const outOfTime = () => deps.nowMs() - startedAt >= opts.budgetMs;

  const list = async (params: Stripe.EventListParams): Promise<ListPage> => {
    const wait = lastRequest + opts.minRequestIntervalMs - deps.nowMs();
    if (wait > 0) await deps.sleep(wait);
    lastRequest = deps.nowMs();
    pages++;
    return deps.listEvents(params);
  };

  const count = (outcome: string) => {
    if (outcome === "duplicate") counts.duplicates++;
    else if (outcome === "applied") counts.applied++;
    else if (outcome === "stale") counts.stale++;
    else if (outcome === "mismatch") counts.mismatch++;
    else counts.ignored++;
  };
  /** false when the event can't be placed yet; any other failure stops the pass */
  const tryApply = async (event: Stripe.Event): Promise<boolean> => {
    try {
      count((await deps.applyEvent(event)).outcome as string);
      return true;
    } catch (err) {
      if (notPlacedYet(err)) return false;
      throw err;
    }
  };
  // Events held back (oldest first), and every event after the first of them: while any is held the cursor
  // stays before it, but the pass goes on (what it applies is in the ledger, so re-listing it is cheap).
  let held: Stripe.Event[] = [];
  let behind: Stripe.Event[] = [];
  const retryHeld = async () => {
    if (held.length === 0) return;
    const still: Stripe.Event[] = [];
    for (const e of held) if (!(await tryApply(e))) still.push(e);
    held = still;
    if (held.length > 0) return;
    for (const e of behind) cursor = advance(cursor, e);
    behind = [];
  };

  let stoppedBy: RunSummary["stoppedBy"] = "done";
  let caughtUp = false;
  let error: string | null = null;
  try {
    windows: for (;;) {
      if (outOfTime()) {
        stoppedBy = "budget";
        break;
      }
      const w: Window = windowAt(from, span, nowSec(), narrowedDown);
      // 1. list the window, newest first, within the page budgets
      const listed: Stripe.Event[] = [];
      let windowPages = 0;
      let overflow = false;
      let after: string | undefined;
      for (;;) {
        if (pages >= opts.maxPages) {
          stoppedBy = "pages";
          break windows;
        }
        if (windowPages >= opts.windowPages) {
          overflow = true;
          break;
        }
        const page = await list({
          types: [...opts.types],
          created: w.lte === undefined ? { gte: w.gte } : { gte: w.gte, lte: w.lte },
          limit: 100,
          // The webhook answers 200 only once an event is durably recorded, so in the steady state the
          // events whose delivery never succeeded are all that can be missing. A backfill lists them all.
          ...(mode.kind === "steady" && { delivery_success: false }),
          ...(after && { starting_after: after }),
        });
        windowPages++;
        listed.push(...page.data);
        if (!page.has_more || page.data.length === 0) break;
        after = page.data[page.data.length - 1]!.id;
      }
      if (overflow) {
        const oldest = listed[listed.length - 1]!.created;
        const next = narrowed(w, oldest);
        if (next === null) throw new Error(`more than ${opts.windowPages * 100} events in the second ${w.gte}: cannot list them all`);
        span = next;
        narrowedDown = true;
        continue;
      }
      counts.seen += listed.length;

      // 2. apply what the cursor does not cover, oldest first; skip what the ledger already holds
      const todo = toApply(listed, cursor);
      for (let i = 0; i < todo.length; i += 100) {
        const chunk = todo.slice(i, i + 100);
        const known = await deps.recorded(chunk.map((e) => e.id));
        for (const event of chunk) {
          if (outOfTime()) {
            stoppedBy = "budget";
            break windows;
          }
          if (known.has(event.id)) counts.duplicates++;
          else if (!(await tryApply(event))) held.push(event);
          if (held.length === 0) cursor = advance(cursor, event);
          else behind.push(event);
          if (++sinceCheckpoint >= opts.checkpointEvery) await checkpoint();
        }
      }
      await retryHeld();

      // 3. the window is done: the cursor may pass its end once that end is settled in the past
      if (w.lte === undefined) {
        caughtUp = true;
        break;
      }
      if (held.length === 0 && w.lte < nowSec() - SETTLE_SECONDS) cursor = later(cursor, pastWindow(w.lte));
      from = w.lte + 1;
      if (narrowedDown) narrowedDown = false;
      else if (listed.length < (opts.windowPages * 100) / 4) span = widened(span);
    }
  } catch (err) {
    stoppedBy = err instanceof LeaseLostError ? "lease" : "error";
    error = String((err as Error)?.message ?? err).slice(0, 500);
  }

  if (held.length > 0 && stoppedBy === "done") {
    stoppedBy = "error";
    error = `${held.length} event(s) could not be placed yet (first ${held[0]!.id}); the cursor stays before them`;
  }
  counts.deferred = held.length;

  // the cursor only ever covers applied events, so it is safe to store whatever stopped the pass
  try {
    if (stoppedBy !== "lease") await checkpoint();
  } catch (err) {
    stoppedBy = err instanceof LeaseLostError ? "lease" : "error";
    error = error ?? String((err as Error)?.message ?? err).slice(0, 500);
  }
  return summary({
    caughtUp: caughtUp && stoppedBy === "done",
    stoppedBy,
    error,
    cursorBefore: before,
    cursorAfter: saved,
    gap: start.gap,
  });
}
