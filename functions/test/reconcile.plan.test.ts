/**
 * The reconcile pass without I/O: the cursor's rules, and the whole pass (windows, pagination, narrowing,
 * budgets, crashes, leases) over an in-memory Events API that lists as Stripe does (newest first,
 * starting_after, created ranges) and an in-memory ledger.
 */
import type Stripe from "stripe";
import {
  advance,
  canTakeLease,
  isCovered,
  later,
  narrowed,
  pastWindow,
  RETENTION_SECONDS,
  startOf,
  toApply,
  widened,
  windowAt,
  type Cursor,
  type Lease,
} from "../src/reconcile/plan";
import { SESSION_LIFETIME_SECONDS, SWEEP_MARGIN_SECONDS, verdictOf } from "../src/reconcile/sweep";
import { LeaseLostError, reconcileEvents, DEFAULT_OPTIONS, type Deps, type RunOptions, type StoredState } from "../src/reconcile/run";

const ev = (id: string, created: number) => ({ id, created });

describe("cursor rules", () => {
  it("lists newest first, applies oldest first, skipping what the cursor covers", () => {
    const listed = [ev("e5", 12), ev("e4", 11), ev("e3", 11), ev("e2", 10), ev("e1", 9)];
    expect(toApply(listed, null).map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4", "e5"]);
    expect(toApply(listed, { created: 11, ids: ["e3"] }).map((e) => e.id)).toEqual(["e4", "e5"]);
    expect(toApply([...listed, ev("e5", 12)], { created: 13, ids: [] })).toEqual([]);
  });
  it("moves forward only, and remembers every id of the cursor's second", () => {
    let c: Cursor | null = null;
    for (const e of [ev("a", 5), ev("b", 6), ev("c", 6), ev("z", 4)]) c = advance(c, e);
    expect(c).toEqual({ created: 6, ids: ["b", "c"] });
    expect(isCovered(c, ev("c", 6))).toBe(true);
    expect(isCovered(c, ev("d", 6))).toBe(false);
    expect(later({ created: 6, ids: ["b"] }, { created: 6, ids: ["c"] })).toEqual({ created: 6, ids: ["b", "c"] });
    expect(later({ created: 7, ids: [] }, { created: 6, ids: ["c"] })).toEqual({ created: 7, ids: [] });
  });
  it("starts a little behind the cursor, and reports what Stripe no longer keeps", () => {
    const now = 1_800_000_000;
    expect(startOf({ created: now - 100, ids: [] }, 0, now)).toEqual({ from: now - 160, gap: null });
    const old = now - RETENTION_SECONDS - 3600;
    const s = startOf({ created: old, ids: [] }, 0, now);
    expect(s.gap).toEqual({ from: old, to: s.from });
    expect(s.from).toBeGreaterThan(now - RETENTION_SECONDS);
    expect(startOf(null, old, now).gap).toEqual({ from: old, to: s.from });
  });
  it("narrows an overfull window until one second is too many", () => {
    expect(windowAt(100, 50, 10_000)).toEqual({ gte: 100, lte: 149 });
    expect(windowAt(100, 50, 200)).toEqual({ gte: 100 }); // reaches the present: open-ended
    expect(narrowed({ gte: 100 }, 130)).toBe(31);
    expect(narrowed({ gte: 100, lte: 130 }, 130)).toBe(30);
    expect(narrowed({ gte: 100, lte: 100 }, 100)).toBeNull();
  });
});

// ---- the pass over an in-memory Stripe ----------------------------------------------------------------

interface FakeWorld {
  events: Stripe.Event[]; // oldest first
  ledger: Set<string>;
  applied: string[];
  state: StoredState;
  clock: number;
  requests: Stripe.EventListParams[];
}

function world(n: number, { perSecond = 3, start = 1_790_000_000 } = {}): FakeWorld {
  const events: Stripe.Event[] = [];
  for (let i = 0; i < n; i++) {
    events.push({
      id: `evt_${String(i).padStart(6, "0")}`,
      created: start + Math.floor(i / perSecond),
      type: "payment_intent.succeeded",
    } as Stripe.Event);
  }
  return {
    events,
    ledger: new Set(),
    applied: [],
    state: { cursor: null, backfill: null, lease: null },
    clock: (start + n) * 1000,
    requests: [],
  };
}

function deps(w: FakeWorld, over: Partial<Deps> = {}): Deps {
  return {
    async listEvents(p) {
      w.requests.push(p);
      const c = p.created as Stripe.RangeQueryParam;
      let list = w.events.filter((e) => e.created >= c.gte! && (c.lte === undefined || e.created <= c.lte)).reverse();
      if (p.starting_after) list = list.slice(list.findIndex((e) => e.id === p.starting_after) + 1);
      return { data: list.slice(0, p.limit ?? 10), has_more: list.length > (p.limit ?? 10) };
    },
    async applyEvent(e) {
      w.clock += 7;
      if (w.ledger.has(e.id)) return { outcome: "duplicate", preorderId: "p" };
      w.ledger.add(e.id);
      w.applied.push(e.id);
      return { outcome: "applied", preorderId: "p" };
    },
    async recorded(ids) {
      return new Set(ids.filter((id) => w.ledger.has(id)));
    },
    store: {
      async takeLease(holder, until, now) {
        const l = w.state.lease;
        if (l && l.until > now && l.holder !== holder) return { taken: false, lease: l };
        w.state.lease = { holder, until };
        return { taken: true, state: structuredClone(w.state) };
      },
      async saveCursor(holder, _mode, cursor) {
        if (w.state.lease?.holder !== holder) throw new LeaseLostError(holder);
        w.state.cursor = later(w.state.cursor, cursor);
      },
      async finish(holder) {
        if (w.state.lease?.holder === holder) w.state.lease = null;
      },
    },
    nowMs: () => w.clock,
    sleep: async (ms) => {
      w.clock += ms;
    },
    ...over,
  };
}

const opts = (over: Partial<RunOptions> = {}): RunOptions => ({
  ...DEFAULT_OPTIONS,
  minRequestIntervalMs: 0,
  windowSeconds: 50,
  windowPages: 3,
  mode: { kind: "steady" },
  holder: "run-1",
  types: ["payment_intent.succeeded"],
  firstLookbackSeconds: 10 * 24 * 3600,
  ...over,
});

/** applyEvent that lets another run take the lease just before the nth event it applies. */
function takenOverAt(w: FakeWorld, nth: number): Deps["applyEvent"] {
  const base = deps(w);
  let n = 0;
  return async (e) => {
    if (++n === nth) w.state.lease = { holder: "other", until: w.clock + 1e9 };
    return base.applyEvent(e);
  };
}

describe("the reconcile pass", () => {
  it("applies every event exactly once, oldest first, through narrowed and widened windows", async () => {
    const w = world(2500, { perSecond: 40 });
    const s = await reconcileEvents(deps(w), opts());
    expect(s).toMatchObject({ stoppedBy: "done", caughtUp: true, applied: 2500, error: null });
    expect(w.applied).toEqual(w.events.map((e) => e.id));
    // every window is long past, so the cursor passes the last one's end
    expect(w.state.cursor!.created).toBeGreaterThan(w.events.at(-1)!.created);
    // no request ever asked for more than 100 events, and every window was listed in ≤ 3 pages
    expect(w.requests.every((r) => r.limit === 100 && r.delivery_success === false)).toBe(true);
  });

  it("stops at its time budget and the next run resumes exactly there", async () => {
    const w = world(1200, { perSecond: 7 });
    const runs = [];
    for (let i = 0; i < 20 && w.applied.length < 1200; i++) {
      w.state.lease = null;
      runs.push(await reconcileEvents(deps(w), opts({ holder: `run-${i}`, budgetMs: 1500 })));
    }
    expect(runs[0]!.stoppedBy).toBe("budget");
    expect(runs.length).toBeGreaterThan(3);
    expect(w.applied).toEqual(w.events.map((e) => e.id)); // no event applied twice, none skipped
  });

  it("keeps the cursor before an event that failed, then finishes on the next run", async () => {
    const w = world(600, { perSecond: 5 });
    let calls = 0;
    const base = deps(w);
    const crashing = deps(w, {
      applyEvent: async (e) => {
        if (++calls === 333) throw new Error("UNAVAILABLE: simulated");
        return base.applyEvent(e);
      },
    });
    const first = await reconcileEvents(crashing, opts({ checkpointEvery: 50 }));
    expect(first).toMatchObject({ stoppedBy: "error", applied: 332, error: "UNAVAILABLE: simulated" });
    const failed = w.events[332]!;
    expect(isCovered(w.state.cursor, failed)).toBe(false);
    for (const e of w.events.slice(0, 332)) expect(isCovered(w.state.cursor, e) || w.ledger.has(e.id)).toBe(true);
    w.state.lease = null;
    const second = await reconcileEvents(deps(w), opts({ holder: "run-2" }));
    expect(second).toMatchObject({ stoppedBy: "done", applied: 268 });
    expect(w.applied).toEqual(w.events.map((e) => e.id));
  });

  it("holds back an event whose preorder a later event makes, applies it after that one, never stalls", async () => {
    // a Payment Link sale: its PaymentIntent event (#100) comes before the session event (#150) that makes the
    // preorder; applyEvent refuses it ("does not exist yet") until then, as the webhook does
    const w = world(300, { perSecond: 5 });
    const base = deps(w);
    const notYet = Object.assign(new Error("the preorder stripe-cs_1 of this payment does not exist yet"), { name: "TransientError" });
    const order = (id: string) => w.events.findIndex((e) => e.id === id);
    const d = deps(w, {
      applyEvent: async (e) => {
        if (order(e.id) === 100 && !w.ledger.has(w.events[150]!.id)) throw notYet;
        return base.applyEvent(e);
      },
    });
    const s = await reconcileEvents(d, opts({ checkpointEvery: 20 }));
    expect(s).toMatchObject({ stoppedBy: "done", caughtUp: true, applied: 300, deferred: 0, error: null });
    expect(w.applied.indexOf(w.events[100]!.id)).toBeGreaterThan(w.applied.indexOf(w.events[150]!.id));
    expect(w.events.every((e) => isCovered(w.state.cursor, e))).toBe(true);

    // one that never becomes placeable: everything else applied, the cursor stays before it, the next run retries
    const w2 = world(300, { perSecond: 5 });
    const base2 = deps(w2);
    const stuck = w2.events[120]!;
    const d2 = deps(w2, { applyEvent: async (e) => (e.id === stuck.id ? Promise.reject(notYet) : base2.applyEvent(e)) });
    const s2 = await reconcileEvents(d2, opts({ checkpointEvery: 20 }));
    expect(s2).toMatchObject({ stoppedBy: "error", applied: 299, deferred: 1 });
    expect(isCovered(w2.state.cursor, stuck)).toBe(false);
    expect(w2.state.cursor!.created).toBeGreaterThanOrEqual(w2.events[119]!.created);
  });

  it("does nothing while another run holds the lease, and takes it over once it has run out", async () => {
    const w = world(10);
    w.state.lease = { holder: "crashed-run", until: w.clock + 60_000 } as Lease;
    const skipped = await reconcileEvents(deps(w), opts());
    expect(skipped).toMatchObject({ stoppedBy: "lease", skipped: { holder: "crashed-run" }, applied: 0, pages: 0 });
    w.clock += 60_001;
    expect(await reconcileEvents(deps(w), opts())).toMatchObject({ stoppedBy: "done", applied: 10 });
  });

  it("a run that lost its lease stops without moving the cursor", async () => {
    const w = world(400, { perSecond: 4 });
    const stolen = deps(w, { applyEvent: takenOverAt(w, 120) });
    const s = await reconcileEvents(stolen, opts({ checkpointEvery: 100 }));
    expect(s.stoppedBy).toBe("lease");
    expect(w.state.cursor!.ids).toContain(w.events[99]!.id); // the checkpoint made before the takeover
  });

  it("a backfill lists delivered events too and keeps its own progress", async () => {
    const w = world(50);
    const s = await reconcileEvents(deps(w), opts({ mode: { kind: "backfill", since: w.events[12]!.created } }));
    expect(s).toMatchObject({ applied: 38, mode: "backfill" });
    expect(w.requests.every((r) => r.delivery_success === undefined)).toBe(true);
  });
});

describe("cursor rules at their edges", () => {
  it("no cursor covers nothing", () => {
    expect(isCovered(null, ev("evt_1", 5))).toBe(false);
  });

  it("the later of two cursors: either may be missing; the same second merges the ids once", () => {
    const a: Cursor = { created: 10, ids: ["x"] };
    expect(later(a, null)).toBe(a);
    expect(later(null, a)).toBe(a);
    expect(later({ created: 9, ids: ["y"] }, a)).toBe(a);
    expect(later(a, { created: 10, ids: ["x", "y"] })).toEqual({ created: 10, ids: ["x", "y"] });
  });

  it("a window applied to its end moves the cursor past its last second", () => {
    expect(pastWindow(1_000)).toEqual({ created: 1_001, ids: [] });
    expect(isCovered(pastWindow(1_000), ev("evt_last", 1_000))).toBe(true);
    expect(isCovered(pastWindow(1_000), ev("evt_next", 1_001))).toBe(false);
  });

  it("a lease is free when there is none, when it has run out (at its very end), or when it is our own", () => {
    const lease: Lease = { holder: "run-a", until: 5_000 };
    expect(canTakeLease(null, "run-b", 4_000)).toBe(true);
    expect(canTakeLease(undefined, "run-b", 4_000)).toBe(true);
    expect(canTakeLease(lease, "run-b", 4_999)).toBe(false);
    expect(canTakeLease(lease, "run-b", 5_000)).toBe(true);
    expect(canTakeLease(lease, "run-a", 4_000)).toBe(true);
  });

  it("start: a cursor exactly at Stripe's edge loses nothing; one second before it loses that second", () => {
    const now = 2_000_000_000;
    const oldest = now - RETENTION_SECONDS + 600;
    expect(startOf(null, oldest, now)).toEqual({ from: oldest, gap: null });
    expect(startOf({ created: oldest + 60, ids: [] }, 0, now)).toEqual({ from: oldest, gap: null });
    expect(startOf({ created: oldest, ids: [] }, 0, now)).toEqual({ from: oldest, gap: null });
    expect(startOf({ created: oldest - 1, ids: [] }, 0, now)).toEqual({ from: oldest, gap: { from: oldest - 1, to: oldest } });
  });

  it("a window ending exactly where settling begins stays open-ended; one second earlier it is closed", () => {
    const now = 1_000_000;
    expect(windowAt(now - 300 - 99, 100, now)).toEqual({ gte: now - 399 });
    expect(windowAt(now - 300 - 100, 100, now)).toEqual({ gte: now - 400, lte: now - 301 });
  });

  it("after a light window the next looks four times as far, never past what Stripe keeps", () => {
    expect(widened(100)).toBe(400);
    expect(widened(RETENTION_SECONDS)).toBe(RETENTION_SECONDS);
  });
});

describe("the reconcile pass at its edges", () => {
  const NOW = 1_800_000_000;
  const at = (id: string, created: number) => ({ id, created, type: "payment_intent.succeeded" }) as Stripe.Event;
  /** A world at NOW with these events and a stored cursor (or none). */
  const worldAt = (events: Stripe.Event[], cursor: Cursor | null) => {
    const w = world(0);
    w.events = events;
    w.clock = NOW * 1000;
    w.state.cursor = cursor;
    return w;
  };
  const notYet = () => Object.assign(new Error("the preorder stripe-cs_1 of this payment does not exist yet"), { name: "TransientError" });
  const busySecond = (n: number, second: number, prefix = "evt_") =>
    Array.from({ length: n }, (_, i) => at(`${prefix}${String(i).padStart(3, "0")}`, second));

  it("counts every outcome; an event the ledger holds is a duplicate and is not applied again", async () => {
    const w = worldAt(
      ["applied", "stale", "mismatch", "ignored", "ignored2", "duplicate", "recorded"].map((o, i) => at(`evt_${o}`, NOW - 100 + i)),
      { created: NOW - 200, ids: [] },
    );
    w.ledger.add("evt_recorded");
    const calls: string[] = [];
    const d = deps(w, {
      applyEvent: async (e) => {
        calls.push(e.id);
        return { outcome: e.id.slice(4).replace("2", "") as Awaited<ReturnType<Deps["applyEvent"]>>["outcome"], preorderId: "p" };
      },
    });
    const s = await reconcileEvents(d, opts());
    expect(s).toMatchObject({ seen: 7, applied: 1, stale: 1, mismatch: 1, ignored: 2, duplicates: 2, deferred: 0, stoppedBy: "done" });
    expect(calls).not.toContain("evt_recorded");
  });

  it("a run that starts with its budget spent asks Stripe nothing", async () => {
    const w = worldAt([at("evt_1", NOW - 100)], { created: NOW - 200, ids: [] });
    expect(await reconcileEvents(deps(w), opts({ budgetMs: 0 }))).toMatchObject({
      stoppedBy: "budget",
      pages: 0,
      applied: 0,
      caughtUp: false,
    });
    expect(w.requests).toEqual([]);
  });

  it("the budget is checked before every event: at exactly the budget nothing more is applied", async () => {
    // applyEvent takes 7 ms of the clock: 3 events fill a 21 ms budget
    const w = worldAt(busySecond(10, NOW - 100), { created: NOW - 200, ids: [] });
    const s = await reconcileEvents(deps(w), opts({ budgetMs: 21 }));
    expect(s).toMatchObject({ stoppedBy: "budget", applied: 3, caughtUp: false });
    expect(w.state.cursor).toEqual({ created: NOW - 100, ids: w.applied });
  });

  it("out of pages mid-window: nothing of that window is applied and the cursor stays", async () => {
    const w = worldAt(busySecond(250, NOW - 100), { created: NOW - 200, ids: [] });
    const s = await reconcileEvents(deps(w), opts({ maxPages: 2, windowPages: 5 }));
    expect(s).toMatchObject({ stoppedBy: "pages", pages: 2, applied: 0, caughtUp: false });
    expect(w.state.cursor).toEqual({ created: NOW - 200, ids: [] });
  });

  it("pages through a window with starting_after and stops at the last page", async () => {
    const w = worldAt(busySecond(250, NOW - 100), { created: NOW - 200, ids: [] });
    const s = await reconcileEvents(deps(w), opts({ windowPages: 5 }));
    expect(s).toMatchObject({ stoppedBy: "done", caughtUp: true, pages: 3, seen: 250, applied: 250 });
    // the first window is open-ended (it reaches the present), 60 s behind the cursor
    expect(w.requests.map((r) => [r.created, r.starting_after])).toEqual([
      [{ gte: NOW - 260 }, undefined],
      [{ gte: NOW - 260 }, w.events[150]!.id],
      [{ gte: NOW - 260 }, w.events[50]!.id],
    ]);
  });

  it("an empty page that claims more ends the listing instead of failing", async () => {
    const w = worldAt([], { created: NOW - 200, ids: [] });
    const s = await reconcileEvents(deps(w, { listEvents: async () => ({ data: [], has_more: true }) }), opts());
    expect(s).toMatchObject({ stoppedBy: "done", caughtUp: true, pages: 1, error: null });
  });

  it("spaces Events API requests by minRequestIntervalMs, and does not sleep when a request took that long anyway", async () => {
    const sleeps: number[] = [];
    const w = worldAt(busySecond(250, NOW - 100), { created: NOW - 200, ids: [] });
    const d = deps(w, {
      sleep: async (ms) => {
        sleeps.push(ms);
        w.clock += ms;
      },
    });
    await reconcileEvents(d, opts({ minRequestIntervalMs: 100, windowPages: 5 }));
    expect(sleeps).toEqual([100, 100]);

    sleeps.length = 0;
    const slow = worldAt(busySecond(250, NOW - 100), { created: NOW - 200, ids: [] });
    const base = deps(slow);
    const s = await reconcileEvents(
      deps(slow, {
        listEvents: async (p) => {
          slow.clock += 100; // Stripe took the whole interval to answer
          return base.listEvents(p);
        },
        sleep: d.sleep,
      }),
      opts({ minRequestIntervalMs: 100, windowPages: 5 }),
    );
    expect([s.pages, sleeps]).toEqual([3, []]);
  });

  it("more events in one second than a window may page through: a clear error, not a loop", async () => {
    const w = worldAt(busySecond(150, NOW - 100), { created: NOW - 200, ids: [] });
    const s = await reconcileEvents(deps(w), opts({ windowPages: 1 }));
    expect(s).toMatchObject({
      stoppedBy: "error",
      applied: 0,
      error: `more than 100 events in the second ${NOW - 100}: cannot list them all`,
    });
    expect(w.state.cursor).toEqual({ created: NOW - 200, ids: [] });
  });

  it("only 'does not exist yet' from a TransientError holds an event back; any other failure stops the pass", async () => {
    for (const failure of [
      Object.assign(new Error("lookup failed: 14 UNAVAILABLE"), { name: "TransientError" }),
      new Error("the preorder x of this payment does not exist yet"),
    ]) {
      const w = worldAt([at("evt_a", NOW - 100), at("evt_b", NOW - 99), at("evt_c", NOW - 98)], { created: NOW - 200, ids: [] });
      const base = deps(w);
      const d = deps(w, { applyEvent: async (e) => (e.id === "evt_b" ? Promise.reject(failure) : base.applyEvent(e)) });
      const s = await reconcileEvents(d, opts());
      expect(s).toMatchObject({ stoppedBy: "error", error: failure.message, applied: 1, deferred: 0 });
      expect(w.applied).toEqual(["evt_a"]);
      expect(w.state.cursor).toEqual({ created: NOW - 100, ids: ["evt_a"] });
    }
  });

  it("a failure without a message is reported as such, and a long one is cut to 500 characters", async () => {
    for (const [failure, error] of [
      [undefined, "undefined"],
      [new Error("x".repeat(2000)), "x".repeat(500)],
    ] as const) {
      const w = worldAt([at("evt_a", NOW - 100)], { created: NOW - 200, ids: [] });
      const s = await reconcileEvents(deps(w, { applyEvent: () => Promise.reject(failure) }), opts());
      expect(s).toMatchObject({ stoppedBy: "error", error });
    }
  });

  it("an event still not placeable at the end: the run says which, and the cursor stays before it", async () => {
    const w = worldAt([at("evt_a", NOW - 100), at("evt_b", NOW - 99), at("evt_c", NOW - 98)], { created: NOW - 200, ids: [] });
    const base = deps(w);
    const s = await reconcileEvents(
      deps(w, { applyEvent: async (e) => (e.id === "evt_b" ? Promise.reject(notYet()) : base.applyEvent(e)) }),
      opts(),
    );
    expect(s).toMatchObject({
      stoppedBy: "error",
      deferred: 1,
      applied: 2,
      error: "1 event(s) could not be placed yet (first evt_b); the cursor stays before them",
    });
    expect(w.state.cursor).toEqual({ created: NOW - 100, ids: ["evt_a"] });
  });

  it("a settled window is passed only when nothing in it is held back", async () => {
    // long after the events: every window is settled, and evt_b never becomes placeable
    const w = worldAt([at("evt_a", NOW - 100_000), at("evt_b", NOW - 99_999), at("evt_c", NOW - 99_998)], {
      created: NOW - 100_010,
      ids: [],
    });
    const base = deps(w);
    const s = await reconcileEvents(
      deps(w, { applyEvent: async (e) => (e.id === "evt_b" ? Promise.reject(notYet()) : base.applyEvent(e)) }),
      opts(),
    );
    expect(s).toMatchObject({ stoppedBy: "error", deferred: 1, applied: 2 });
    expect(w.state.cursor).toEqual({ created: NOW - 100_000, ids: ["evt_a"] });
  });

  it("a narrowed window ending exactly where settling begins is not passed: the cursor stays on its events", async () => {
    // 60 events at NOW-300 and 60 at NOW-250 overflow a one-page window; the narrowed window ends at NOW-300.
    // The later 60 are never placeable, so the cursor ends where that narrowed window left it.
    const early = busySecond(60, NOW - 300, "evt_a");
    const w = worldAt([...early, ...busySecond(60, NOW - 250, "evt_b")], { created: NOW - 400, ids: [] });
    const base = deps(w);
    const d = deps(w, { applyEvent: async (e) => (e.id.startsWith("evt_b") ? Promise.reject(notYet()) : base.applyEvent(e)) });
    const s = await reconcileEvents(d, opts({ windowPages: 1 }));
    expect(s).toMatchObject({ stoppedBy: "error", applied: 60, deferred: 60 });
    expect(w.requests.map((r) => r.created)).toContainEqual({ gte: NOW - 410, lte: NOW - 300 });
    expect(w.state.cursor).toEqual({ created: NOW - 300, ids: early.map((e) => e.id) });
  });

  it("a window a quarter full or more is not widened; a lighter one is", async () => {
    const events = Array.from({ length: 25 }, (_, i) => at(`evt_${i}`, NOW - 10_050 + i));
    const w = worldAt(events, { created: NOW - 10_000, ids: [] });
    await reconcileEvents(deps(w), opts({ windowPages: 1 }));
    expect(w.requests.slice(0, 2).map((r) => r.created)).toEqual([
      { gte: NOW - 10_060, lte: NOW - 10_011 },
      { gte: NOW - 10_010, lte: NOW - 9_961 },
    ]);
    const light = worldAt(events.slice(1), { created: NOW - 10_000, ids: [] });
    await reconcileEvents(deps(light), opts({ windowPages: 1 }));
    expect(light.requests[1]!.created).toEqual({ gte: NOW - 10_010, lte: NOW - 9_811 });
  });

  it("where a run starts: a steady run without a cursor looks back firstLookbackSeconds; a backfill resumes its own cursor", async () => {
    const first = worldAt([], null);
    await reconcileEvents(deps(first), opts());
    expect(first.requests[0]!.created).toMatchObject({ gte: NOW - 10 * 24 * 3600 });

    const since = NOW - 5 * 24 * 3600;
    const resumed = worldAt([], null);
    resumed.state.backfill = { since, cursor: { created: NOW - 3_000, ids: [] } };
    await reconcileEvents(deps(resumed), opts({ mode: { kind: "backfill", since } }));
    expect(resumed.requests[0]!.created).toMatchObject({ gte: NOW - 3_060 });

    const other = worldAt([], null);
    other.state.backfill = { since: since - 1, cursor: { created: NOW - 3_000, ids: [] } };
    await reconcileEvents(deps(other), opts({ mode: { kind: "backfill", since } }));
    expect(other.requests[0]!.created).toMatchObject({ gte: since });
  });

  it("a run with nothing new writes no cursor and reads no empty ledger batch", async () => {
    const w = worldAt([], { created: NOW - 200, ids: [] });
    let saves = 0;
    const base = deps(w);
    const d = deps(w, {
      recorded: async (ids) => {
        // Firestore's getAll needs at least one document
        if (ids.length === 0) throw new Error("getAll() requires at least one document reference");
        return base.recorded(ids);
      },
      store: { ...base.store, saveCursor: async (...a) => (saves++, base.store.saveCursor(...a)) },
    });
    expect(await reconcileEvents(d, opts())).toMatchObject({ stoppedBy: "done", caughtUp: true, error: null });
    expect(saves).toBe(0);
  });

  it("a skipped run reports that it did not catch up", async () => {
    const w = worldAt([], null);
    w.state.lease = { holder: "other", until: w.clock + 1 };
    expect(await reconcileEvents(deps(w), opts())).toMatchObject({ skipped: { holder: "other" }, caughtUp: false, error: null });
  });

  it("a lost lease is named in the summary, and the run writes no cursor after it", async () => {
    expect(new LeaseLostError("run-1")).toMatchObject({
      name: "LeaseLostError",
      message: "reconcile lease of run-1 was taken over; stopping",
    });
    const w = worldAt(busySecond(250, NOW - 100), { created: NOW - 200, ids: [] });
    const base = deps(w);
    let saves = 0;
    const d = deps(w, {
      applyEvent: takenOverAt(w, 120),
      store: { ...base.store, saveCursor: async (...a) => (saves++, base.store.saveCursor(...a)) },
    });
    const s = await reconcileEvents(d, opts({ checkpointEvery: 100, windowPages: 5 }));
    expect(s).toMatchObject({ stoppedBy: "lease", error: "reconcile lease of run-1 was taken over; stopping", caughtUp: false });
    expect(saves).toBe(2); // at 100 (kept), at 200 (refused); none after

    // taken over after the last event: the final write is refused, and the run says so
    const w2 = worldAt(busySecond(3, NOW - 100), { created: NOW - 200, ids: [] });
    expect(await reconcileEvents(deps(w2, { applyEvent: takenOverAt(w2, 3) }), opts())).toMatchObject({
      stoppedBy: "lease",
      caughtUp: false,
      error: "reconcile lease of run-1 was taken over; stopping",
    });
    expect(w2.state.cursor).toEqual({ created: NOW - 200, ids: [] });
  });

  it("a final cursor write that fails: the run is not caught up, and the first error is the one reported", async () => {
    const failing = (message: string) => async () => Promise.reject(new Error(message));
    const w = worldAt([at("evt_a", NOW - 100)], { created: NOW - 200, ids: [] });
    const base = deps(w);
    const s = await reconcileEvents(
      deps(w, { store: { ...base.store, saveCursor: failing(`14 UNAVAILABLE ${"x".repeat(600)}`) } }),
      opts(),
    );
    expect(s).toMatchObject({ stoppedBy: "error", caughtUp: false, cursorAfter: { created: NOW - 200, ids: [] } });
    expect(s.error).toBe(`14 UNAVAILABLE ${"x".repeat(600)}`.slice(0, 500));

    const w2 = worldAt([at("evt_a", NOW - 100), at("evt_b", NOW - 99)], { created: NOW - 200, ids: [] });
    const base2 = deps(w2);
    const s2 = await reconcileEvents(
      deps(w2, {
        applyEvent: async (e) => (e.id === "evt_b" ? Promise.reject(new Error("first failure")) : base2.applyEvent(e)),
        store: { ...base2.store, saveCursor: failing("second failure") },
      }),
      opts(),
    );
    expect(s2).toMatchObject({ stoppedBy: "error", error: "first failure" });

    const w3 = worldAt([at("evt_a", NOW - 100)], { created: NOW - 200, ids: [] });
    const s3 = await reconcileEvents(deps(w3, { store: { ...deps(w3).store, saveCursor: () => Promise.reject(undefined) } }), opts());
    expect(s3).toMatchObject({ stoppedBy: "error", error: "undefined" });
  });
});

describe("the sweep's verdict on a retrieved session (pure)", () => {
  const NOW = 1_800_000_000;
  it.each([
    [
      { status: "expired", payment_status: "unpaid", expires_at: NOW - 10 },
      { kind: "apply", type: "checkout.session.expired" },
    ],
    [
      { status: "complete", payment_status: "paid", expires_at: NOW - 10 },
      { kind: "apply", type: "checkout.session.completed" },
    ],
    [
      { status: "complete", payment_status: "no_payment_required", expires_at: NOW - 10 },
      { kind: "apply", type: "checkout.session.completed" },
    ],
    [
      { status: "complete", payment_status: "unpaid", expires_at: NOW - 10 },
      { kind: "leave", reason: "payment still settling" },
    ],
    [
      { status: "open", payment_status: "unpaid", expires_at: NOW + 1 },
      { kind: "leave", reason: "session still open" },
    ],
    [
      { status: "open", payment_status: "unpaid", expires_at: NOW },
      { kind: "leave", reason: "session open past expires_at" },
    ],
    [
      { status: "open", payment_status: "paid", expires_at: NOW - 1 },
      { kind: "leave", reason: "session open past expires_at" },
    ],
    [
      { status: null, payment_status: "paid", expires_at: NOW - 1 },
      { kind: "leave", reason: "session open past expires_at" },
    ],
  ])("%j → %j", (session, verdict) => {
    expect(verdictOf(session as never, NOW)).toEqual(verdict);
  });

  it("a session is swept 24 h (Checkout's default lifetime) + 1 h after its preorder was created", () => {
    expect([SESSION_LIFETIME_SECONDS, SWEEP_MARGIN_SECONDS]).toEqual([86_400, 3_600]);
  });
});
