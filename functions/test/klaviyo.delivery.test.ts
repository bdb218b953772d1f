/**
 * klaviyo/delivery.ts `deliver()` called directly: what each path answers and records. The trigger throws (so
 * the platform retries) exactly when the answer says `retry`, and puts its `error` in the message; a re-drive and
 * the console's re-send report `state` and `sent`. So every answer is checked whole, with the record it leaves
 * and the requests Klaviyo (the local sink) received.
 */
import { deliver, type DeliverRequest } from "../src/klaviyo/delivery";
import { redeliver } from "../src/klaviyo/redrive";
import type { RetryPolicy } from "../src/klaviyo/client";
import { db, firestoreModule } from "../src/shared/firestore";
import { deliveryRecord, preorderDoc, startSink } from "./helpers/klaviyo";

const LIST = "LIST_DELIVERY";
let k: Awaited<ReturnType<typeof startSink>>;
beforeAll(async () => {
  k = await startSink();
  process.env.KLAVIYO_LIST_ID = LIST;
});
afterAll(async () => {
  delete process.env.KLAVIYO_LIST_ID;
  await k.close();
});
beforeEach(() => k.sink.reset());

/** One attempt per send and short pauses: the suite is about what deliver() does with the client's answer. */
const FAST: RetryPolicy = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5_000, minRequestMs: 100 };
const T = () => firestoreModule().Timestamp;

let n = 0;
async function stored(extra: Record<string, unknown> = {}, id = `kd${Date.now().toString(36)}${n++}`) {
  const p = preorderDoc(id, extra);
  await db().collection("preorders").doc(id).set(p);
  return p;
}
const ref = (id: string, key: string) => db().collection("klaviyo_deliveries").doc(`${id}_${key}`);
const req = (preorderId: string, over: Partial<DeliverRequest> = {}): DeliverRequest => ({
  preorderId,
  key: "created",
  mode: "trigger",
  deadline: Date.now() + 20_000,
  ...over,
});
/** A "created" delivery record someone else left: retrying, with `fields` (a Retry-After, a lease). */
const existing = (p: { preorderId: string }, fields: Record<string, unknown>) =>
  ref(p.preorderId, "created").set({
    preorderId: p.preorderId,
    key: "created",
    status: "created",
    state: "retrying",
    retryable: true,
    attempts: 1,
    lastError: "earlier attempt",
    leaseOwner: null,
    leaseUntil: null,
    ...fields,
  });
const waiting = (p: { preorderId: string }, untilMs: number) => existing(p, { notBefore: T().fromMillis(untilMs) });
const leased = (p: { preorderId: string }, untilMs: number) => existing(p, { leaseOwner: "other", leaseUntil: T().fromMillis(untilMs) });
/** Every request Klaviyo received: events, subscriptions and profile updates. */
const posts = () => k.sink.received.length + k.sink.subscriptions.length + k.sink.profileImports.length;

describe("deliver(): the answer each outcome gives its caller", () => {
  it("accepted → sent, nothing to retry; the record is settled and its lease released", async () => {
    const p = await stored();
    expect(await deliver(req(p.preorderId), { policy: FAST })).toEqual({ state: "sent", sent: true, retry: false });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({
      state: "sent",
      retryable: false,
      lastError: null,
      attempts: 1,
      event: "Rolitt Preorder Started",
      leaseOwner: null,
      leaseUntil: null,
      // the outcome is merged into the record: when it was first seen and made stay (the age limit counts from it)
      createdAt: expect.anything(),
      firstSeenAt: expect.anything(),
      sentAt: expect.anything(),
    });
    // the same delivery again: settled, not sent twice
    expect(await deliver(req(p.preorderId), { policy: FAST })).toEqual({ state: "sent", sent: false, retry: false });
    expect(k.sink.events()).toHaveLength(1);
  });

  it.each([
    ["refused for good (400) → failed, and the trigger does not retry it", 400, { state: "failed", retry: false }, false],
    [
      "unavailable (503) for a young transition → retrying, and the trigger throws so the platform retries",
      503,
      { state: "retrying", retry: true },
      true,
    ],
  ])("%s", async (_name, status, answer, retryable) => {
    const p = await stored();
    k.sink.failNext({ status });
    const r = await deliver(req(p.preorderId), { policy: FAST });
    expect(r).toEqual({ ...answer, sent: false, error: expect.stringContaining(String(status)) });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: answer.state, retryable, lastError: r.error });
  });

  it("unavailable on a re-drive → failed but re-drivable, with no platform retry asked for", async () => {
    const p = await stored();
    k.sink.failNext({ status: 503 });
    await deliver(req(p.preorderId), { policy: FAST }); // the trigger left it retrying
    k.sink.failNext({ status: 503 });
    const r = await deliver(req(p.preorderId, { mode: "redrive" }), { policy: FAST });
    expect(r).toEqual({ state: "failed", sent: false, retry: false, error: expect.stringMatching(/^re-drive failed: .*503/) });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "failed", retryable: true, lastError: r.error });
  });

  it("unavailable past the age limit → failed but re-drivable, saying how old it was in minutes", async () => {
    const p = await stored();
    k.sink.failNext({ status: 503 });
    const firstSeenAt = new Date(Date.now() - (23 * 60 + 7) * 60_000 - 1_000);
    const r = await deliver(req(p.preorderId, { firstSeenAt }), { policy: FAST });
    expect(r).toEqual({ state: "failed", sent: false, retry: false, error: expect.stringMatching(/^gave up after 1387 min: .*503/) });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "failed", retryable: true });
  });

  it("a document that fails the schema → invalid, never sent, never retried", async () => {
    const p = await stored({ email: "not an email" });
    const r = await deliver(req(p.preorderId), { policy: FAST });
    expect(r).toEqual({ state: "invalid", sent: false, retry: false, error: "schema validation failed" });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "invalid", retryable: false });
    expect(posts()).toBe(0);
  });

  it("no private key → failed (re-drivable once configured), no retry storm, nothing sent", async () => {
    const p = await stored();
    const key = process.env.KLAVIYO_PRIVATE_KEY;
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      expect(await deliver(req(p.preorderId), { policy: FAST })).toEqual({
        state: "failed",
        sent: false,
        retry: false,
        error: "KLAVIYO_PRIVATE_KEY is not configured",
      });
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = key;
    }
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "failed", retryable: true });
    expect(posts()).toBe(0);
  });

  it("a subscription with no list configured → failed (re-drivable), not retried", async () => {
    const p = await stored({ marketingConsent: { given: true, at: T().fromDate(new Date("2026-11-24T08:00:00Z")) } });
    process.env.KLAVIYO_LIST_ID = "";
    try {
      expect(await deliver(req(p.preorderId, { key: "subscribe" }), { policy: FAST })).toEqual({
        state: "failed",
        sent: false,
        retry: false,
        error: "KLAVIYO_LIST_ID is not configured: subscription is off",
      });
    } finally {
      process.env.KLAVIYO_LIST_ID = LIST;
    }
    expect(posts()).toBe(0);
  });

  it("a preorder that no longer exists → failed for good, not retried, nothing sent", async () => {
    const id = `kdgone${Date.now().toString(36)}`;
    expect(await deliver(req(id), { policy: FAST })).toEqual({ state: "failed", sent: false, retry: false, error: "preorder not found" });
    expect(await deliveryRecord(id, "created")).toMatchObject({ state: "failed", retryable: false, lastError: "preorder not found" });
    expect(posts()).toBe(0);
  });

  it("a subscription whose consent is gone by the time it is sent → failed for good, the shopper not subscribed", async () => {
    // withdrawn: the time it was given is kept, the flag is off
    const p = await stored({ marketingConsent: { given: false, at: T().fromDate(new Date("2026-11-24T08:00:00Z")) } });
    expect(await deliver(req(p.preorderId, { key: "subscribe" }), { policy: FAST })).toEqual({
      state: "failed",
      sent: false,
      retry: false,
      error: "the preorder carries no marketing consent",
    });
    expect(await deliveryRecord(p.preorderId, "subscribe")).toMatchObject({
      state: "failed",
      retryable: false,
      lastError: "the preorder carries no marketing consent",
    });
    expect(k.sink.subscriptions).toHaveLength(0);
  });

  it("a subscription with consent → sent to the list", async () => {
    const p = await stored({ marketingConsent: { given: true, at: T().fromDate(new Date("2026-11-24T08:00:00Z")) } });
    expect(await deliver(req(p.preorderId, { key: "subscribe" }), { policy: FAST })).toEqual({ state: "sent", sent: true, retry: false });
    expect(k.sink.subscriptions).toHaveLength(1);
    // a subscription is recorded without an event name: it is not an event
    expect((await deliveryRecord(p.preorderId, "subscribe"))?.event).toBeUndefined();
  });

  it("a status without its own event (refunded) → a profile update, recorded as one", async () => {
    const p = await stored({ status: "refunded" });
    expect(await deliver(req(p.preorderId, { key: "refunded" }), { policy: FAST })).toEqual({ state: "sent", sent: true, retry: false });
    expect(k.sink.profileImports).toHaveLength(1);
    expect(k.sink.events()).toHaveLength(0);
    expect(await deliveryRecord(p.preorderId, "refunded")).toMatchObject({ state: "sent", event: "profile update" });
  });

  it("the event's time is the transition's, not the document's last write", async () => {
    const p = await stored({ updatedAt: T().fromDate(new Date("2026-11-24T10:00:00.000Z")) });
    const transitionAt = new Date("2026-11-24T09:00:00.000Z");
    const snapshot = { ...p } as Record<string, unknown>;
    await deliver(req(p.preorderId, { snapshot, transitionAt }), { policy: FAST });
    expect(k.sink.events()[0].body.data.attributes.time).toBe("2026-11-24T09:00:00.000Z");
  });

  it("a re-drive of an event never sent keeps the transition's time", async () => {
    const p = await stored();
    const transitionAt = new Date("2026-11-24T09:00:00.000Z");
    const key = process.env.KLAVIYO_PRIVATE_KEY;
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      await deliver(req(p.preorderId, { transitionAt }), { policy: FAST });
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = key;
    }
    expect(await redeliver(p.preorderId, "created")).toEqual({ state: "sent", sent: true });
    expect(k.sink.events()[0].body.data.attributes.time).toBe("2026-11-24T09:00:00.000Z");
  });

  it("a platform retry of the trigger stops at failed; only a re-drive sends it again", async () => {
    const p = await stored();
    const key = process.env.KLAVIYO_PRIVATE_KEY;
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      await deliver(req(p.preorderId), { policy: FAST });
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = key;
    }
    expect(await deliver(req(p.preorderId), { policy: FAST })).toEqual({ state: "failed", sent: false, retry: false });
    expect(posts()).toBe(0);
    expect(await deliver(req(p.preorderId, { mode: "redrive" }), { policy: FAST })).toEqual({ state: "sent", sent: true, retry: false });
  });

  it("an invalid request is final: corrected data later does not make a duplicate send it", async () => {
    const p = await stored({ email: "not an email" });
    await deliver(req(p.preorderId), { policy: FAST });
    await db()
      .collection("preorders")
      .doc(p.preorderId)
      .update({ email: `fixed.${p.preorderId}@example.com` });
    expect(await deliver(req(p.preorderId), { policy: FAST })).toEqual({ state: "invalid", sent: false, retry: false });
    expect(await deliver(req(p.preorderId, { mode: "redrive" }), { policy: FAST })).toEqual({
      state: "invalid",
      sent: false,
      retry: false,
    });
    expect(posts()).toBe(0);
  });

  it("a shopper's second preorder carries the consent → that preorder's subscription is sent", async () => {
    const stamp = Date.now().toString(36);
    const first = await stored({}, `kds${stamp}a`);
    const second = await stored(
      { email: first.email, marketingConsent: { given: true, at: T().fromDate(new Date("2026-11-24T08:00:00Z")) } },
      `kds${stamp}b`,
    );
    expect(await deliver(req(second.preorderId, { key: "subscribe" }), { policy: FAST })).toEqual({
      state: "sent",
      sent: true,
      retry: false,
    });
    expect(k.sink.subscriptions).toHaveLength(1);
  });

  it("the console's re-send of a subscription once the list is configured → sent", async () => {
    const p = await stored({ marketingConsent: { given: true, at: T().fromDate(new Date("2026-11-24T08:00:00Z")) } });
    process.env.KLAVIYO_LIST_ID = "";
    try {
      await deliver(req(p.preorderId, { key: "subscribe" }), { policy: FAST });
    } finally {
      process.env.KLAVIYO_LIST_ID = LIST;
    }
    expect(await redeliver(p.preorderId, "subscribe")).toEqual({ state: "sent", sent: true });
    expect(k.sink.subscriptions).toHaveLength(1);
  });

  it("while the request is in flight the record says so and holds a lease that outlasts the send", async () => {
    const p = await stored();
    k.sink.failNext({ status: 202, delayMs: 800 });
    const deadline = Date.now() + 60_000;
    const sending = deliver(req(p.preorderId, { deadline }), { policy: FAST });
    await new Promise((r) => setTimeout(r, 400));
    // what a holder that crashes now leaves behind: retryable, so the re-drive's query finds it
    const rec = await deliveryRecord(p.preorderId, "created");
    expect(rec).toMatchObject({ state: "retrying", retryable: true, lastError: "in flight", attempts: 0 });
    expect(rec?.leaseUntil.toMillis()).toBeGreaterThanOrEqual(deadline);
    expect(rec?.leaseUntil.toMillis()).toBeLessThanOrEqual(deadline + 15_000 + 5_000); // the margin, plus the claim's own time
    expect(await sending).toEqual({ state: "sent", sent: true, retry: false });
  });
});

describe("deliver(): Firestore failing", () => {
  it("an error while claiming is thrown, so the trigger's platform retry comes; nothing sent, nothing recorded", async () => {
    const p = await stored();
    const unavailable = Object.assign(new Error("14 UNAVAILABLE: the store blinked"), { code: 14 });
    const spy = jest.spyOn(db(), "runTransaction").mockRejectedValueOnce(unavailable);
    try {
      await expect(deliver(req(p.preorderId), { policy: FAST })).rejects.toBe(unavailable);
    } finally {
      spy.mockRestore();
    }
    expect(posts()).toBe(0);
    expect(await deliveryRecord(p.preorderId, "created")).toBeUndefined();
  });
});

describe("deliver(): Klaviyo asked us to wait (a recorded Retry-After)", () => {
  it("a wait past this invocation's deadline → no request; the trigger hands it back to the platform", async () => {
    const p = await stored();
    const until = Date.now() + 60_000;
    await waiting(p, until);
    const r = await deliver(req(p.preorderId, { deadline: Date.now() + 10_000 }), { policy: FAST });
    expect(r).toEqual({
      state: "retrying",
      sent: false,
      retry: true,
      error: `Klaviyo asked to wait until ${new Date(until).toISOString()}`,
    });
    expect(posts()).toBe(0);
    const rec = await deliveryRecord(p.preorderId, "created");
    expect(rec).toMatchObject({ state: "retrying", retryable: true, lastError: r.error, leaseOwner: null });
    expect(rec?.notBefore.toMillis()).toBe(until);
  });

  it("a wait that ends too close to the deadline to send → no request, handed back", async () => {
    const p = await stored();
    const until = Date.now() + 2_000;
    await waiting(p, until);
    const started = Date.now();
    const r = await deliver(req(p.preorderId, { deadline: until + 500 }), { policy: { ...FAST, minRequestMs: 1_000 } });
    expect(r).toEqual({
      state: "retrying",
      sent: false,
      retry: true,
      error: `Klaviyo asked to wait until ${new Date(until).toISOString()}`,
    });
    expect(Date.now() - started).toBeLessThan(1_500); // it did not sit out a wait it could not use
    expect(posts()).toBe(0);
  });

  it("…and on a re-drive → no request, and nothing asks the platform to retry", async () => {
    const p = await stored();
    await waiting(p, Date.now() + 60_000);
    const r = await deliver(req(p.preorderId, { mode: "redrive", deadline: Date.now() + 10_000 }), { policy: FAST });
    expect(r).toMatchObject({ state: "retrying", sent: false, retry: false });
    expect(posts()).toBe(0);
  });

  it("a wait that fits → waits it out, then sends", async () => {
    const p = await stored();
    const started = Date.now();
    await waiting(p, started + 700);
    expect(await deliver(req(p.preorderId), { policy: FAST })).toEqual({ state: "sent", sent: true, retry: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(k.sink.events()).toHaveLength(1);
  });

  it("a wait that has passed → sends at once", async () => {
    const p = await stored();
    await waiting(p, Date.now() - 1_000);
    const started = Date.now();
    expect(await deliver(req(p.preorderId, { deadline: Date.now() + 3_000 }), { policy: FAST })).toEqual({
      state: "sent",
      sent: true,
      retry: false,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("deliver(): a lease held by another invocation", () => {
  it.each([
    [
      "still held when the wait is over → busy: the trigger throws so the platform retries later",
      { leaseMs: 30_000, holderWrites: null, waitMs: 300 },
      { state: "busy", sent: false, retry: true, error: "leased by another invocation" },
    ],
    [
      "released by its holder without an outcome → stand down: the holder's own retry owns it",
      { leaseMs: 30_000, holderWrites: { leaseOwner: null, leaseUntil: null }, waitMs: 3_000 },
      { state: "retrying", sent: false, retry: false },
    ],
    [
      "settled by its holder → stand down with the holder's outcome",
      { leaseMs: 30_000, holderWrites: { state: "sent", leaseOwner: null, leaseUntil: null }, waitMs: 3_000 },
      { state: "sent", sent: false, retry: false },
    ],
    [
      "expiring while it waits (a crashed holder) → taken over and sent once",
      { leaseMs: 250, holderWrites: null, waitMs: 3_000 },
      { state: "sent", sent: true, retry: false },
    ],
  ])("%s", async (_name, { leaseMs, holderWrites, waitMs }, answer) => {
    const p = await stored();
    await leased(p, Date.now() + leaseMs);
    if (holderWrites) setTimeout(() => void ref(p.preorderId, "created").update(holderWrites), 150);
    expect(await deliver(req(p.preorderId), { policy: FAST, waitForHolderMs: waitMs })).toEqual(answer);
    expect(posts()).toBe(answer.sent ? 1 : 0);
  });

  it("a waiting duplicate polls with a growing pause: a handful of reads, not thousands", async () => {
    const p = await stored();
    await leased(p, Date.now() + 30_000);
    const { DocumentReference } = firestoreModule();
    const reads = jest.spyOn(DocumentReference.prototype, "get");
    try {
      await deliver(req(p.preorderId), { policy: FAST, waitForHolderMs: 2_000 });
      // 100, 200, 400, 800 ms pauses (the next would overrun): 4 reads
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(6);
    } finally {
      reads.mockRestore();
    }
  });
});
