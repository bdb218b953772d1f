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
    const d = deps(w);
    let n = 0;
    const stolen = deps(w, {
      applyEvent: async (e) => {
        if (++n === 120) w.state.lease = { holder: "other", until: w.clock + 1e9 };
        return d.applyEvent(e);
      },
    });
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
