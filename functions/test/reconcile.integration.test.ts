/**
 * Reconciliation end to end: the local Stripe server makes the events and loses webhook deliveries (an
 * outage), the real webhook applies what arrives, the reconcile run lists the rest through the real
 * Stripe SDK (GET /v1/events) and applies it through the same applyEvent; the trigger relay hands every
 * preorder change to the built Klaviyo trigger, which sends to the local Klaviyo sink.
 */
import type Stripe from "stripe";
import { newPreorder } from "../src/preorder/new-preorder";
import { db } from "../src/shared/firestore";
import { backfill, realDeps, scheduledReconcile } from "../src/reconcile/handler";
import { isCovered } from "../src/reconcile/plan";
import { sweepExpired } from "../src/reconcile/sweep";
import { stripeClient } from "../src/shared/stripe-client";
import { HANDLED_EVENT_TYPES } from "../src/webhook/events";
import { startSink } from "./helpers/klaviyo";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";
import { serveWebhook, TEST_SECRET, type WebhookServer } from "./helpers/webhook";
/* eslint-disable @typescript-eslint/no-require-imports */
const { makeLifecycle, KIND_NAMES, OFFER_LINK } = require("../../devtools/lifecycles");
const { startRelay } = require("../../devtools/trigger-relay");
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(480_000);
const progress = (m: string) =>
  process.env.DEBUG_RECONCILE && process.stderr.write(`[reconcile test ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

let stripe: LocalStripe;
let hook: WebhookServer;
let sink: Awaited<ReturnType<typeof startSink>>;
let relay: { stop(): Promise<void>; settled(): Promise<void> };

beforeAll(async () => {
  process.env.STRIPE_PAYMENT_LINKS = OFFER_LINK; // the Payment Link sales are the offer's (config.ts)
  hook = await serveWebhook();
  stripe = await startLocalStripe({ webhookUrl: hook.url, webhookSecret: TEST_SECRET });
  sink = await startSink();
  // the built trigger handler, fed by a Firestore listener, as `npm start` runs it
  relay = startRelay({ projectId: process.env.GCLOUD_PROJECT, env: { KLAVIYO_API_URL: sink.url }, baseDelayMs: 50 });
});
afterAll(async () => {
  await relay?.settled();
  await relay?.stop();
  await new Promise((r) => setTimeout(r, 1000)); // the listener's stream closes after stop() returns
  await sink?.close();
  await stripe?.close();
  await hook?.close();
});
beforeEach(async () => {
  stripe.server.reset();
  sink.sink.reset();
  await db().collection("reconcile_state").doc("stripe").delete();
});

const FAST = { minRequestIntervalMs: 0 };
const HANDLED = new Set<string>(HANDLED_EVENT_TYPES);

/** A seeded random, so that a failure can be replayed. */
function seeded(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

interface Made {
  kind: string;
  preorderId: string;
  sessionId: string;
  expected: string;
  foreign: boolean;
  events: Stripe.Event[];
}

async function lifecycles(count: number, tag: string): Promise<Made[]> {
  progress(`making ${count} lifecycles`);
  const made: Made[] = [];
  await pool(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      made[i] = await makeLifecycle({ stripe: stripe.server, db: db(), newPreorder, kind: KIND_NAMES[i % KIND_NAMES.length], n: i, tag });
    },
  );
  return made;
}

/** Each lifecycle's events delivered in Stripe's order; lifecycles interleaved. */
const deliverAll = async (made: Made[]) => {
  progress("delivering");
  await pool(made, 8, (m) => stripe.server.deliver(m.events));
  progress("delivered");
};

async function statuses(made: Made[]): Promise<Map<string, string | undefined>> {
  const refs = made.map((m) => db().collection("preorders").doc(m.preorderId));
  const snaps = await db().getAll(...refs);
  return new Map(snaps.map((s) => [s.id, s.get("status") as string | undefined]));
}

/** The preorders not at their true status, as "kind: expected ≠ actual" (readable when a test fails). */
const wrong = async (made: Made[]) => {
  const st = await statuses(made);
  return made.filter((m) => st.get(m.preorderId) !== m.expected).map((m) => `${m.kind}: ${m.expected} ≠ ${st.get(m.preorderId)}`);
};

async function ledgerMissing(made: Made[]): Promise<string[]> {
  const ids = made.flatMap((m) => m.events.filter((e) => HANDLED.has(e.type)).map((e) => e.id));
  const snaps = await db().getAll(...ids.map((id) => db().collection("stripe_events").doc(id)));
  return snaps.filter((s) => !s.exists).map((s) => s.id);
}

/** Klaviyo: every unique_id requested once, one Started per callable preorder, one Success per paid one. */
async function klaviyoChecks(made: Made[]) {
  progress("waiting for the relay");
  await relay.settled();
  progress("relay settled");
  const received: any[] = sink.sink.received;
  const byUnique = new Map<string, number>();
  for (const r of received) {
    const u = r.body?.data?.attributes?.unique_id;
    byUnique.set(u, (byUnique.get(u) ?? 0) + 1);
  }
  const sentTwice = [...byUnique].filter(([, n]) => n > 1);
  const count = (id: string, status: string) => byUnique.get(`${id}:${status}`) ?? 0;
  const paid = made.filter((m) => m.expected === "succeeded" || m.expected === "refunded");
  return {
    sentTwice,
    startedWrong: made.filter((m) => !m.foreign && count(m.preorderId, "created") !== 1).map((m) => m.preorderId),
    successWrong: paid.filter((m) => count(m.preorderId, "succeeded") !== 1).map((m) => `${m.kind} ${m.preorderId}`),
    failedWrong: made.filter((m) => m.expected === "failed" && count(m.preorderId, "failed") !== 1).map((m) => m.preorderId),
  };
}

// 200 in `npm test`; mutation runs (docs/mutation.md) take fewer, since this test runs once per mutant it covers
const OUTAGE_LIFECYCLES = Number(process.env.RECONCILE_LIFECYCLES ?? 200);

it(`an outage drops webhook deliveries for ${OUTAGE_LIFECYCLES} lifecycles of every kind: one reconcile run sets every preorder right`, async () => {
  const made = await lifecycles(OUTAGE_LIFECYCLES, "outage");
  stripe.server.dropDeliveries({ rate: 0.6, random: seeded(13) });
  await deliverAll(made);
  stripe.server.dropDeliveries({ rate: 0 });
  const dropped = stripe.server.deliveries.filter((d: any) => d.status === "dropped" && HANDLED.has(d.type)).length;
  expect(dropped).toBeGreaterThan(1.5 * OUTAGE_LIFECYCLES);
  expect((await wrong(made)).length).toBeGreaterThan(OUTAGE_LIFECYCLES / 4); // what reconciliation has to repair (about half)

  progress("reconciling");
  const summary = await scheduledReconcile(FAST);
  progress(`reconciled: ${JSON.stringify(summary)}`);

  expect(summary).toMatchObject({ stoppedBy: "done", caughtUp: true, error: null, skipped: null });
  // delivery_success=false: exactly the handled events no delivery succeeded for: the dropped ones, and the
  // few the webhook answered 5xx (a PaymentIntent event whose session was dropped: "retry later")
  const delivered = new Set(stripe.server.deliveries.filter((d: any) => d.status >= 200 && d.status < 300).map((d: any) => d.id));
  const undeliveredEvents = made.flatMap((m) => m.events).filter((e) => HANDLED.has(e.type) && !delivered.has(e.id));
  const undelivered = undeliveredEvents.length;
  expect(undelivered).toBeGreaterThanOrEqual(dropped);
  expect(summary.seen).toBe(undelivered);
  expect(summary.applied + summary.stale + summary.duplicates).toBe(undelivered);
  expect(await wrong(made)).toEqual([]);
  expect(await ledgerMissing(made)).toEqual([]);
  expect(await klaviyoChecks(made)).toEqual({ sentTwice: [], startedWrong: [], successWrong: [], failedWrong: [] });

  // recorded and logged: the run's summary sits on the state document and in reconcile_runs
  const state = (await db().collection("reconcile_state").doc("stripe").get()).data()!;
  expect(state.lastRun).toMatchObject({ runId: summary.runId, seen: undelivered, applied: summary.applied });
  expect(state.lease).toBeNull();
  // The steady run lists only undelivered events and its last window is still open, so the cursor covers
  // exactly those: not the newest event made, which may have been delivered in a later second.
  expect(undeliveredEvents.filter((e) => !isCovered(state.cursor, e)).map((e) => e.id)).toEqual([]);
  expect((await db().collection("reconcile_runs").doc(summary.runId).get()).exists).toBe(true);

  // a second run finds nothing new to do
  const again = await scheduledReconcile(FAST);
  expect(again).toMatchObject({ applied: 0, stoppedBy: "done" });
});

it("two reconcile runs at once: one holds the lease, the other does nothing; no double effect", async () => {
  const made = await lifecycles(42, "overlap");
  stripe.server.dropDeliveries({ rate: 1 });
  await deliverAll(made);
  stripe.server.dropDeliveries({ rate: 0 });
  const handled = made.flatMap((m) => m.events).filter((e) => HANDLED.has(e.type)).length;

  // the first run is slowed down, so that the second starts while it holds the lease
  const slow = realDeps({
    applyEvent: async (e) => {
      await new Promise((r) => setTimeout(r, 5));
      return realDeps().applyEvent(e);
    },
  });
  const first = scheduledReconcile(FAST, slow);
  await new Promise((r) => setTimeout(r, 300));
  const [a, b, c] = await Promise.all([first, scheduledReconcile(FAST), scheduledReconcile(FAST)]);
  expect([b.skipped, c.skipped]).toEqual([expect.objectContaining({ holder: a.runId }), expect.objectContaining({ holder: a.runId })]);
  expect(a.applied + a.stale + a.ignored).toBe(handled); // a walk-in sale's PaymentIntent event names no preorder
  expect(await wrong(made)).toEqual([]);
  expect(await klaviyoChecks(made)).toEqual({ sentTwice: [], startedWrong: [], successWrong: [], failedWrong: [] });
  // and a run after it finds every event already recorded
  const d = await scheduledReconcile(FAST);
  expect(d).toMatchObject({ applied: 0, skipped: null });
});

it("a crash mid-run keeps a cursor that covers only applied events; the next run finishes the job", async () => {
  const made = await lifecycles(35, "crash");
  stripe.server.dropDeliveries({ rate: 1 });
  await deliverAll(made);
  stripe.server.dropDeliveries({ rate: 0 });
  const events = made.flatMap((m) => m.events).filter((e) => HANDLED.has(e.type));

  let n = 0;
  let failed: string | undefined;
  const crashing = realDeps({
    applyEvent: async (e) => {
      if (++n === 40) {
        failed = e.id;
        throw Object.assign(new Error("14 UNAVAILABLE: simulated Firestore outage"), { code: 14 });
      }
      return realDeps().applyEvent(e);
    },
  });
  const first = await scheduledReconcile({ ...FAST, checkpointEvery: 10 }, crashing);
  expect(first).toMatchObject({ stoppedBy: "error", applied: expect.any(Number) });
  expect(first.error).toMatch(/UNAVAILABLE/);
  expect(first.applied).toBeGreaterThanOrEqual(30); // real progress before the crash, kept in the ledger
  const state = (await db().collection("reconcile_state").doc("stripe").get()).data()!;
  const ledger = new Map(
    (await db().getAll(...events.map((e) => db().collection("stripe_events").doc(e.id)))).map((s) => [s.id, s.exists]),
  );
  expect([...ledger.values()].filter(Boolean).length).toBeGreaterThanOrEqual(first.applied);
  // every event the stored cursor covers is in the ledger; the failed one is neither covered nor recorded
  // (the cursor may stop earlier: an event that can't be placed yet holds it back, see reconcile/run.ts)
  const covered = events.filter((e) => state.cursor && isCovered(state.cursor, e));
  for (const e of covered) expect([e.id, ledger.get(e.id)]).toEqual([e.id, true]);
  const failedEvent = events.find((e) => e.id === failed)!;
  expect(failedEvent).toBeDefined();
  expect(ledger.get(failed!)).toBe(false);
  expect(state.cursor === null || !isCovered(state.cursor, failedEvent)).toBe(true);

  const second = await scheduledReconcile(FAST);
  expect(second).toMatchObject({ stoppedBy: "done", error: null });
  expect(await wrong(made)).toEqual([]);
  expect(await ledgerMissing(made)).toEqual([]);
});

it("a hard crash leaves the lease behind: runs skip until it runs out, then take over", async () => {
  const made = await lifecycles(7, "lease");
  stripe.server.dropDeliveries({ rate: 1 });
  await deliverAll(made);
  stripe.server.dropDeliveries({ rate: 0 });
  // long enough that a loaded CI machine still starts the first run inside it
  const until = Date.now() + 4000;
  await db()
    .collection("reconcile_state")
    .doc("stripe")
    .set({ lease: { holder: "scheduled-dead", until } });
  let redrives = 0;
  const failingRedrive = async (): Promise<never> => {
    redrives++;
    throw new Error("Klaviyo is down");
  };
  const skipped = await scheduledReconcile(FAST, realDeps(), failingRedrive);
  expect(skipped.skipped).toMatchObject({ holder: "scheduled-dead" });
  // a skipped run does nothing after the Stripe pass: no sweep, no Klaviyo re-drive
  expect([skipped.sweep, skipped.klaviyo, redrives]).toEqual([undefined, undefined, 0]);
  await new Promise((r) => setTimeout(r, until - Date.now() + 100));
  const taken = await scheduledReconcile(FAST, realDeps(), failingRedrive);
  expect(taken).toMatchObject({ skipped: null, stoppedBy: "done" });
  // the run goes on to its sweep, and a failing re-drive is recorded, not thrown
  expect(taken.sweep).toMatchObject({ examined: expect.any(Number), errors: 0 });
  expect([taken.klaviyo, redrives]).toEqual([{ error: "Klaviyo is down" }, 1]);
  const lastRun = (await db().collection("reconcile_state").doc("stripe").get()).get("lastRun");
  expect(lastRun).toMatchObject({ runId: taken.runId, klaviyo: { error: "Klaviyo is down" } });
  expect(await wrong(made)).toEqual([]);
});

it("a backfill --since recovers events whose delivery succeeded but whose processing was lost", async () => {
  const made = await lifecycles(14, "backfill");
  // deliveries that got 200 from something that never recorded them (a misrouted endpoint)
  const blackhole = stripe.server.opts.webhookUrl;
  const { createServer } = await import("node:http");
  const sinkhole = createServer((_q, r) => r.end("ok"));
  await new Promise<void>((r) => sinkhole.listen(0, "127.0.0.1", () => r()));
  stripe.server.opts.webhookUrl = `http://127.0.0.1:${(sinkhole.address() as any).port}/`;
  await deliverAll(made);
  stripe.server.opts.webhookUrl = blackhole;
  sinkhole.close();

  const steady = await scheduledReconcile(FAST);
  expect(steady.seen).toBe(0); // delivery_success=false: nothing looks missing
  expect((await wrong(made)).length).toBeGreaterThan(0);

  const since = Math.min(...made.flatMap((m) => m.events.map((e) => e.created)));
  const s = await backfill(since, FAST);
  expect(s).toMatchObject({ mode: "backfill", since, stoppedBy: "done" });
  expect(s.applied).toBeGreaterThan(0);
  expect(await wrong(made)).toEqual([]);
  const state = (await db().collection("reconcile_state").doc("stripe").get()).data()!;
  expect(state.backfill.since).toBe(since);
});

describe("the sweep of preorders that can't still be open", () => {
  async function aged(made: { preorderId: string }, hours = 26) {
    await db()
      .collection("preorders")
      .doc(made.preorderId)
      .update({ createdAt: new Date(Date.now() - hours * 3600_000) });
  }
  const sleeps: number[] = [];
  const sweepDeps = {
    retrieveSession: async (id: string) => (await stripeClient()).checkout.sessions.retrieve(id),
    nowMs: Date.now,
    sleep: async (ms: number) => void sleeps.push(ms),
  };
  /** A preorder the callable wrote, with the given Stripe session id (or none). */
  async function bare(id: string, sessionId: string | null) {
    const doc = newPreorder({
      preorderId: id,
      preorderNumber: `ROL-7${id.slice(-7)}`,
      email: `${id}@example.com`,
      color: "khaki",
      locale: "en",
      amount: 9900,
      currency: "usd",
    });
    await db()
      .collection("preorders")
      .doc(id)
      .set({ ...doc, stripe: { sessionId, customerId: null, paymentIntentId: null } });
    return { preorderId: id };
  }

  it("asks Stripe for each session and applies what it says: paid → succeeded, expired → expired, open → left", async () => {
    const [paid, expired, open, recent] = await Promise.all(
      ["pay", "decline twice then expire", "pay", "pay"].map((kind, i) =>
        makeLifecycle({ stripe: stripe.server, db: db(), newPreorder, kind, n: 900 + i, tag: "sweep" }),
      ),
    );
    // the third one's session is still open: its events are forgotten and the session reopened
    const s = stripe.server.state.sessions.get(open.sessionId);
    Object.assign(s, { status: "open", payment_status: "unpaid" });
    // none of their events was ever delivered; oldest first: the sweep examines them in this order
    await aged(paid, 30);
    await aged(expired, 29);
    await aged(open, 28);
    const unknown = await bare("sweepUnknownSession01", "cs_test_nosuchsessionanywhere");
    await aged(unknown, 27);
    const sessionless = await bare("sweepWithoutSession01", null);
    await aged(sessionless, 26);
    await aged(recent, 24.5); // past the session's 24 h but not its hour of margin
    const young = await makeLifecycle({ stripe: stripe.server, db: db(), newPreorder, kind: "pay", n: 950, tag: "sweep" });

    const out = await sweepExpired(sweepDeps);
    expect(out).toEqual({ examined: 5, applied: 2, unchanged: 0, left: 2, errors: 1, changed: [paid.preorderId, expired.preorderId] });
    // 100 ms between Stripe requests: 4 sessions asked for, a pause before each but the first
    expect(sleeps).toEqual([100, 100, 100]);
    const st = await statuses([paid, expired, open, recent, young]);
    expect([...st.values()]).toEqual(["succeeded", "expired", "created", "created", "created"]);
    const doc = (await db().collection("preorders").doc(paid.preorderId).get()).data()!;
    expect(doc.customer).toMatchObject({ name: "Ada Shopper" });
    expect(doc.stripe.paymentIntentId).toMatch(/^pi_/);
    expect(doc.lastEventId).toBe(`sweep:${paid.sessionId}`);
    // the PaymentIntent now leads to its preorder, as if the webhook had applied the session
    expect((await db().collection("stripe_payment_intents").doc(doc.stripe.paymentIntentId).get()).get("preorderId")).toBe(paid.preorderId);
    // a second sweep changes nothing more, and asks again about what it could not settle
    const again = await sweepExpired(sweepDeps);
    expect(again).toEqual({ examined: 3, applied: 0, unchanged: 0, left: 2, errors: 1, changed: [] });
  });
});
