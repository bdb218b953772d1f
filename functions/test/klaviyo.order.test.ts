/**
 * Issue #11: trigger events delivered at least once, in any order, concurrently. Each lifecycle's trigger
 * events (real snapshots of each stage) are fired in every order, once and twice, against the preorder as it
 * finally is (the late-delivery case); the local sink plays Klaviyo (unique_id per profile and metric, profile
 * properties applied in arrival order).
 */
import { onPreorderWritten } from "../src/klaviyo/handler";
import { newPreorder } from "../src/preorder/new-preorder";
import { firestoreModule, now } from "../src/shared/firestore";
import { validateKlaviyoCreateEvent } from "../src/klaviyo/schemas/validators";
import { deliveryRecord, stages, startSink, triggerEvent } from "./helpers/klaviyo";

let k: Awaited<ReturnType<typeof startSink>>;
beforeAll(async () => {
  k = await startSink();
});
afterAll(() => k.close());
beforeEach(() => k.sink.reset());

let n = 0;
const ts = (iso: string) => firestoreModule().Timestamp.fromDate(new Date(iso));
function base() {
  const id = `ko${Date.now().toString(36)}${n++}`;
  const created = ts("2026-11-24T09:00:00.000Z");
  return {
    ...newPreorder({
      preorderId: id,
      preorderNumber: "ROL-20261124",
      email: `shopper.${id}@example.com`,
      color: "black",
      locale: "zh-HK",
      amount: 9900,
      currency: "usd",
      stripe: { customerId: "cus_1", sessionId: `cs_${id}` },
    }),
    createdAt: created,
    updatedAt: created,
  };
}

const T = {
  failed: "2026-11-24T09:05:00.000Z",
  succeeded: "2026-11-24T09:07:00.000Z",
  refunded: "2026-11-24T12:00:00.000Z",
};

/** The stages of a lifecycle: each status with its own update time and data. */
function lifecycle(statuses: string[]) {
  const p = base();
  let cur: Record<string, any> = { ...p };
  const docs = [cur];
  for (const s of statuses.slice(1)) {
    const extra =
      s === "failed"
        ? { errorReason: "Your card was declined." }
        : s === "succeeded"
          ? { errorReason: null, stripe: { ...p.stripe, paymentIntentId: "pi_1" } }
          : s === "refunded"
            ? { amountRefunded: 9900 }
            : {};
    cur = { ...cur, ...extra, status: s, updatedAt: ts(T[s as keyof typeof T]) };
    docs.push(cur);
  }
  return { p, docs };
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const names = (reqs: any[]) => reqs.map((r) => r.body?.data?.attributes?.metric?.data?.attributes?.name);

const CASES: Array<[string, string[], Record<string, unknown>, string[]]> = [
  [
    "created → failed → succeeded",
    ["created", "failed", "succeeded"],
    { preorder_paid: true, preorder_status: "succeeded", preorder_paid_count: 1 },
    ["Rolitt Preorder Started", "Rolitt Preorder Failed", "Rolitt Preorder Success"],
  ],
  [
    "created → succeeded → refunded",
    ["created", "succeeded", "refunded"],
    { preorder_paid: false, preorder_status: "refunded", preorder_paid_count: 0 },
    ["Rolitt Preorder Started", "Rolitt Preorder Success"],
  ],
];

describe.each(CASES)("%s", (_name, statuses, truth, metrics) => {
  const orders = permutations([0, 1, 2]);
  it.each(orders.flatMap((o) => [1, 2].map((times) => [o.join(","), times] as const)))(
    "trigger events in order [%s], each delivered %i×: one request per transition, the profile ends true",
    async (order, times) => {
      const { p, docs } = lifecycle(statuses);
      const snaps = await stages(p.preorderId, docs); // the preorder is now in its final state
      const events = [0, 1, 2].map((i) => triggerEvent(p.preorderId, i === 0 ? null : snaps[i - 1]!, snaps[i]!));
      const sequence = order.split(",").map(Number);
      for (let round = 0; round < times; round++) for (const i of sequence) await onPreorderWritten(events[i]!);

      // one event per notified transition, no request repeated, every body valid against Klaviyo's schema
      expect(k.sink.received.map((r: any) => r.status)).toEqual(metrics.map(() => 202));
      expect(names(k.sink.events()).sort()).toEqual([...metrics].sort());
      for (const r of k.sink.received) expect(validateKlaviyoCreateEvent(r.body)).toBe(true);
      // each event at its transition's own time
      for (const r of k.sink.events()) {
        const a = r.body.data.attributes;
        const i = metrics.indexOf(a.metric.data.attributes.name);
        expect(a.time).toBe(docs[i]!.updatedAt!.toDate().toISOString());
      }
      // every request carried the truth at send time, so the profile ends true whatever the order
      for (const r of k.sink.received) expect(r.body.data.attributes.profile.data.attributes.properties).toMatchObject(truth);
      expect(k.sink.profile(p.email)?.properties).toMatchObject({ ...truth, preorder_number: "ROL-20261124", yoyo_color: "black" });
      // the refund, which has no event, still updated the profile, once
      expect(k.sink.profileImports).toHaveLength(statuses.includes("refunded") ? 1 : 0);
      for (const s of statuses)
        expect(await deliveryRecord(p.preorderId, s)).toMatchObject({ state: "sent", retryable: false, attempts: 1 });
    },
  );
});

describe("a Started that fails with 5xx, retried after Success was sent", () => {
  it("is sent once, late, and leaves the profile paid", async () => {
    const { p, docs } = lifecycle(["created", "succeeded"]);
    const [createdSnap] = await stages(p.preorderId, [docs[0]!]);
    const startedEvent = triggerEvent(p.preorderId, null, createdSnap!);
    k.sink.failNext({ count: 3, status: 503, path: "/api/events" });
    await expect(onPreorderWritten(startedEvent)).rejects.toThrow(/will retry/);
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "retrying", retryable: true, attempts: 3 });

    const [, paidSnap] = await stages(p.preorderId, [docs[0]!, docs[1]!]);
    await onPreorderWritten(triggerEvent(p.preorderId, createdSnap!, paidSnap!));
    expect(k.sink.profile(p.email)?.properties).toMatchObject({ preorder_paid: true, preorder_status: "succeeded" });

    await onPreorderWritten(startedEvent); // the platform's retry
    expect(names(k.sink.events())).toEqual(["Rolitt Preorder Success", "Rolitt Preorder Started"]);
    const late = k.sink.events()[1].body.data.attributes;
    expect(late.time).toBe(docs[0]!.updatedAt.toDate().toISOString());
    expect(late.profile.data.attributes.properties).toMatchObject({ preorder_paid: true, preorder_status: "succeeded" });
    expect(k.sink.profile(p.email)?.properties).toMatchObject({ preorder_paid: true, preorder_status: "succeeded" });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 4 });
  });
});

describe("concurrent duplicate triggers", () => {
  it("10 concurrent invocations of one transition → 1 POST, the others stand down", async () => {
    const { p, docs } = lifecycle(["created"]);
    const [snap] = await stages(p.preorderId, docs);
    const event = triggerEvent(p.preorderId, null, snap!);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => onPreorderWritten(event)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill("fulfilled"));
    expect(k.sink.received).toHaveLength(1);
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 1, leaseUntil: null });
  });

  it("10 concurrent retries of a delivery left retrying (record exists: the transaction's isolation decides) → 1 POST", async () => {
    const { p, docs } = lifecycle(["created"]);
    const [snap] = await stages(p.preorderId, docs);
    const event = triggerEvent(p.preorderId, null, snap!);
    k.sink.failNext({ count: 3, status: 503 });
    await expect(onPreorderWritten(event)).rejects.toThrow(/will retry/);
    k.sink.reset();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => onPreorderWritten(event)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill("fulfilled"));
    expect(k.sink.received).toHaveLength(1);
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 4 });
  });

  it("a lease held by a live invocation makes a duplicate wait for its outcome, then stand down", async () => {
    const { p, docs } = lifecycle(["created"]);
    const [snap] = await stages(p.preorderId, docs);
    const event = triggerEvent(p.preorderId, null, snap!);
    k.sink.failNext({ count: 1, status: 202, delayMs: 600 }); // the holder's request is slow
    const holder = onPreorderWritten(event);
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    await onPreorderWritten(event);
    expect(Date.now() - started).toBeGreaterThan(200); // it waited for the holder's outcome
    await holder;
    expect(k.sink.received).toHaveLength(1);
  });

  it("a crashed holder's expired lease is taken over by the platform's retry; an unexpired one makes it retry later", async () => {
    const { p, docs } = lifecycle(["created"]);
    const [snap] = await stages(p.preorderId, docs);
    const ref = (await import("../src/shared/firestore")).db().collection("klaviyo_deliveries").doc(`${p.preorderId}_created`);
    const T0 = firestoreModule().Timestamp;
    // a holder that crashed mid-send: its lease runs for 30 s more
    await ref.set({
      preorderId: p.preorderId,
      key: "created",
      state: "retrying",
      retryable: true,
      attempts: 0,
      leaseOwner: "dead",
      leaseUntil: T0.fromMillis(Date.now() + 30_000),
      updatedAt: now(),
    });
    await expect(onPreorderWritten(triggerEvent(p.preorderId, null, snap!), { waitForHolderMs: 300 })).rejects.toThrow(/leased by another/);
    expect(k.sink.received).toHaveLength(0);
    // its lease has run out: the retry takes over and sends once
    await ref.update({ leaseUntil: T0.fromMillis(Date.now() - 1) });
    await onPreorderWritten(triggerEvent(p.preorderId, null, snap!));
    expect(k.sink.received).toHaveLength(1);
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "sent", leaseOwner: null });
  });
});

describe("several preorders of one shopper", () => {
  it("paid wins over a later unpaid one; number, colour and order id are the latest preorder's", async () => {
    const a = lifecycle(["created", "succeeded"]);
    const email = a.p.email;
    await stages(a.p.preorderId, a.docs);
    const b = base();
    const later = {
      ...b,
      email,
      color: "white",
      preorderNumber: "ROL-99999999",
      createdAt: ts("2026-11-24T10:00:00.000Z"),
      updatedAt: ts("2026-11-24T10:00:00.000Z"),
    };
    const [bSnap] = await stages(b.preorderId, [later]);
    await onPreorderWritten(triggerEvent(b.preorderId, null, bSnap!));
    expect(k.sink.events()[0].body.data.attributes.profile.data.attributes.properties).toEqual({
      preorder_paid: true,
      preorder_status: "succeeded",
      preorder_number: "ROL-99999999",
      yoyo_color: "white",
      stripe_order_id: b.stripe.sessionId,
      preorder_count: 2,
      preorder_paid_count: 1,
    });
  });
});

describe("a refund applied before the payment (created → refunded in one write)", () => {
  it.each([
    ["in order", [0, 1]],
    ["refund's trigger first", [1, 0]],
  ])("%s: Started and Success are sent once each, and the profile ends refunded, not paid", async (_n, order) => {
    const { p, docs } = lifecycle(["created", "refunded"]);
    // the refund carries the payment's facts the webhook fills in from the charge
    docs[1] = { ...docs[1], stripe: { ...p.stripe, paymentIntentId: "pi_1" } };
    const snaps = await stages(p.preorderId, docs);
    const events = [triggerEvent(p.preorderId, null, snaps[0]!), triggerEvent(p.preorderId, snaps[0]!, snaps[1]!)];
    for (let round = 0; round < 2; round++) for (const i of order) await onPreorderWritten(events[i]!);

    expect(names(k.sink.events()).sort()).toEqual(["Rolitt Preorder Started", "Rolitt Preorder Success"]);
    for (const r of k.sink.received) expect(validateKlaviyoCreateEvent(r.body)).toBe(true);
    expect(k.sink.profile(p.email)?.properties).toMatchObject({ preorder_paid: false, preorder_status: "refunded" });
    expect(await deliveryRecord(p.preorderId, "succeeded")).toMatchObject({ state: "sent", attempts: 1 });
    expect(k.sink.profileImports).toHaveLength(1);
  });
});
