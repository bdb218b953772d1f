/**
 * The reconcile state in Firestore: `reconcile_state/stripe` holds the cursor of the scheduled run, the
 * progress of the current backfill, the lease and the last run's summary; `reconcile_runs/{runId}` keeps
 * every run's summary. The lease is taken and every cursor write is made in a transaction that checks the
 * holder, so a run whose lease ran out can never move the cursor another run already owns.
 */
import { COLLECTIONS, db } from "../shared/firestore";
import { canTakeLease, later, type Cursor, type Lease } from "./plan";
import { LeaseLostError, type Mode, type RunSummary, type StateStore, type StoredState } from "./run";

const stateRef = () => db().collection(COLLECTIONS.reconcileState).doc("stripe");

const asCursor = (v: unknown): Cursor | null => {
  const c = v as Cursor | null | undefined;
  return c && Number.isInteger(c.created) && Array.isArray(c.ids) ? { created: c.created, ids: c.ids.map(String) } : null;
};

function readState(data: Record<string, any> | undefined): StoredState {
  const backfill = data?.backfill as { since?: number; cursor?: unknown } | undefined;
  return {
    cursor: asCursor(data?.cursor),
    backfill: backfill && Number.isInteger(backfill.since) ? { since: backfill.since!, cursor: asCursor(backfill.cursor) } : null,
    lease: (data?.lease as Lease | undefined) ?? null,
  };
}

export const firestoreStore: StateStore = {
  async takeLease(holder, untilMs, nowMs) {
    return db().runTransaction(async (tx) => {
      const snap = await tx.get(stateRef());
      const state = readState(snap.data());
      if (!canTakeLease(state.lease, holder, nowMs)) return { taken: false as const, lease: state.lease! };
      // mergeFields replaces the lease whole; a merge of its fields onto the `null` a finished run leaves is
      // dropped by the embedded Firestore (and would keep stale keys anywhere)
      tx.set(stateRef(), { lease: { holder, until: untilMs } }, { mergeFields: ["lease"] });
      return { taken: true as const, state };
    });
  },

  async saveCursor(holder: string, mode: Mode, cursor: Cursor) {
    await db().runTransaction(async (tx) => {
      const snap = await tx.get(stateRef());
      const state = readState(snap.data());
      if (state.lease?.holder !== holder) throw new LeaseLostError(holder);
      if (mode.kind === "steady") {
        tx.update(stateRef(), { cursor: later(state.cursor, cursor) });
      } else {
        const current = state.backfill?.since === mode.since ? state.backfill.cursor : null;
        tx.update(stateRef(), { backfill: { since: mode.since, cursor: later(current, cursor) } });
      }
    });
  },

  async finish(holder: string, summary: RunSummary) {
    const record = JSON.parse(JSON.stringify(summary)) as Record<string, unknown>;
    await db().collection(COLLECTIONS.reconcileRuns).doc(summary.runId).set(record);
    await db().runTransaction(async (tx) => {
      const snap = await tx.get(stateRef());
      const ours = readState(snap.data()).lease?.holder === holder;
      tx.set(stateRef(), { lastRun: record, ...(ours && { lease: null }) }, { mergeFields: ours ? ["lastRun", "lease"] : ["lastRun"] });
    });
  },
};

/** Which of these event ids `stripe_events` already holds (one batched read). */
export async function recordedEvents(ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const col = db().collection(COLLECTIONS.stripeEvents);
  const snaps = await db().getAll(...ids.map((id) => col.doc(id)));
  return new Set(snaps.filter((s) => s.exists).map((s) => s.id));
}
