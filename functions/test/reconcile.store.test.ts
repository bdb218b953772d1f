/**
 * reconcile/store.ts against the Firestore server: the lease and the cursor that keep overlapping runs (a
 * slow scheduled run, a manual backfill) from doing the same work twice or moving each other's cursor.
 * reconcile.plan checks the pass's rules over an in-memory store; this checks the store the functions use.
 */
import { firestoreStore, recordedEvents } from "../src/reconcile/store";
import { LeaseLostError, type RunSummary } from "../src/reconcile/run";
import { db } from "../src/shared/firestore";

const state = db().collection("reconcile_state").doc("stripe");
const stored = async () => (await state.get()).data();
const T0 = 1_800_000_000_000;
const summary = (runId: string): RunSummary =>
  ({ runId, mode: "steady", since: null, startedAt: T0, finishedAt: T0 + 5, ms: 5 }) as RunSummary;

beforeEach(() => state.delete());
afterAll(() => state.delete());

describe("the lease", () => {
  it("one holder at a time; a run out lease is taken over; the holder itself may renew", async () => {
    expect(await firestoreStore.takeLease("a", T0 + 1_000, T0)).toMatchObject({ taken: true });
    expect(await firestoreStore.takeLease("b", T0 + 2_000, T0 + 500)).toEqual({ taken: false, lease: { holder: "a", until: T0 + 1_000 } });
    expect(await firestoreStore.takeLease("a", T0 + 3_000, T0 + 600)).toMatchObject({ taken: true });
    expect(await firestoreStore.takeLease("b", T0 + 9_000, T0 + 3_000)).toMatchObject({ taken: true });
    expect((await stored())?.lease).toEqual({ holder: "b", until: T0 + 9_000 });
  });

  it("taking it keeps the cursor, the backfill and the last run", async () => {
    await state.set({
      cursor: { created: 100, ids: ["evt_1"] },
      backfill: { since: 50, cursor: null },
      lastRun: { runId: "r0" },
      lease: null,
    });
    const taken = await firestoreStore.takeLease("a", T0 + 1_000, T0);
    expect(taken).toEqual({
      taken: true,
      state: { cursor: { created: 100, ids: ["evt_1"] }, backfill: { since: 50, cursor: null }, lease: null },
    });
    expect(await stored()).toMatchObject({ cursor: { created: 100, ids: ["evt_1"] }, backfill: { since: 50 }, lastRun: { runId: "r0" } });
  });

  it("a stored cursor or backfill that is not well formed reads as none", async () => {
    await state.set({ cursor: { created: "100", ids: ["evt_1"] }, backfill: { since: 1.5 } });
    expect(await firestoreStore.takeLease("a", T0 + 1_000, T0)).toEqual({
      taken: true,
      state: { cursor: null, backfill: null, lease: null },
    });
  });
});

describe("the cursor", () => {
  it("is saved only by the lease's holder: a run whose lease was taken over stops, and the cursor stays", async () => {
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.saveCursor("a", { kind: "steady" }, { created: 200, ids: [] });
    await firestoreStore.takeLease("b", T0 + 9_000, T0 + 2_000);
    await expect(firestoreStore.saveCursor("a", { kind: "steady" }, { created: 300, ids: [] })).rejects.toBeInstanceOf(LeaseLostError);
    expect((await stored())?.cursor).toEqual({ created: 200, ids: [] });
  });

  it("a run that holds no lease at all (it was released) may not save a cursor either", async () => {
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.finish("a", summary("run-a"));
    await expect(firestoreStore.saveCursor("a", { kind: "steady" }, { created: 300, ids: [] })).rejects.toBeInstanceOf(LeaseLostError);
    expect((await stored())?.cursor).toBeUndefined();
  });

  it("never moves back; ids of one second add up", async () => {
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.saveCursor("a", { kind: "steady" }, { created: 200, ids: ["evt_1"] });
    await firestoreStore.saveCursor("a", { kind: "steady" }, { created: 150, ids: [] });
    await firestoreStore.saveCursor("a", { kind: "steady" }, { created: 200, ids: ["evt_2"] });
    expect((await stored())?.cursor).toEqual({ created: 200, ids: ["evt_1", "evt_2"] });
  });

  it("a backfill keeps its own cursor, resumed for the same since and restarted for another", async () => {
    await state.set({ cursor: { created: 500, ids: [] } });
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.saveCursor("a", { kind: "backfill", since: 10 }, { created: 40, ids: [] });
    await firestoreStore.saveCursor("a", { kind: "backfill", since: 10 }, { created: 30, ids: [] });
    expect((await stored())?.backfill).toEqual({ since: 10, cursor: { created: 40, ids: [] } });
    await firestoreStore.saveCursor("a", { kind: "backfill", since: 20 }, { created: 25, ids: [] });
    expect((await stored())?.backfill).toEqual({ since: 20, cursor: { created: 25, ids: [] } });
    expect((await stored())?.cursor).toEqual({ created: 500, ids: [] }); // the scheduled run's, untouched
  });
});

describe("finishing a run", () => {
  it("records the summary, releases the holder's lease and keeps the cursor", async () => {
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.saveCursor("a", { kind: "steady" }, { created: 200, ids: [] });
    await firestoreStore.finish("a", summary("run-a"));
    expect(await stored()).toMatchObject({ cursor: { created: 200, ids: [] }, lease: null, lastRun: { runId: "run-a", ms: 5 } });
    expect((await db().collection("reconcile_runs").doc("run-a").get()).data()).toMatchObject({ runId: "run-a", ms: 5 });
  });

  it("a run whose lease was taken over records its summary but leaves the new holder's lease alone", async () => {
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.takeLease("b", T0 + 9_000, T0 + 2_000);
    await firestoreStore.finish("a", summary("run-a-late"));
    expect(await stored()).toMatchObject({ lease: { holder: "b", until: T0 + 9_000 }, lastRun: { runId: "run-a-late" } });
  });
  it("a run finishing when no lease is held (released already) still records its summary", async () => {
    await firestoreStore.takeLease("a", T0 + 1_000, T0);
    await firestoreStore.finish("a", summary("run-a"));
    await firestoreStore.finish("a", summary("run-a-again"));
    expect(await stored()).toMatchObject({ lease: null, lastRun: { runId: "run-a-again" } });
  });
});

describe("recordedEvents", () => {
  it("answers which event ids the ledger holds, in one read; none asked → none, no read", async () => {
    const ledger = db().collection("stripe_events");
    const id = `evt_store_${Date.now()}`;
    await ledger.doc(id).set({ type: "checkout.session.completed" });
    expect(await recordedEvents([id, `${id}_missing`])).toEqual(new Set([id]));
    const getAll = jest.spyOn(db(), "getAll");
    try {
      expect(await recordedEvents([])).toEqual(new Set());
      expect(getAll).not.toHaveBeenCalled();
    } finally {
      getAll.mockRestore();
    }
  });
});
