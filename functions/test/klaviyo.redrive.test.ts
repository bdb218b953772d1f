/**
 * klaviyo/redrive.ts: re-driving deliveries the platform's retries did not finish, through the same
 * exactly-once path (issue #13 item 3).
 */
import { onPreorderWritten } from "../src/klaviyo/handler";
import { redeliver, redriveStuck } from "../src/klaviyo/redrive";
import { newPreorder } from "../src/preorder/new-preorder";
import { db, firestoreModule, now } from "../src/shared/firestore";
import { deliveryRecord, stages, startSink, triggerEvent } from "./helpers/klaviyo";

let k: Awaited<ReturnType<typeof startSink>>;
beforeAll(async () => {
  k = await startSink();
});
afterAll(() => k.close());
beforeEach(async () => {
  k.sink.reset();
  // files run one after another against one Firestore: start from no delivery records at all
  const all = await db().collection("klaviyo_deliveries").get();
  await Promise.all(all.docs.map((d) => d.ref.delete()));
});

let n = 0;
function preorder() {
  const id = `kr${Date.now().toString(36)}${n++}`;
  return {
    ...newPreorder({
      preorderId: id,
      preorderNumber: "ROL-12345678",
      email: `r.${id}@example.com`,
      color: "white",
      locale: "en" as const,
      amount: 9900,
      currency: "usd",
      stripe: { sessionId: `cs_${id}` },
    }),
    createdAt: now(),
    updatedAt: now(),
  };
}

/** A preorder whose Started delivery met `status` three times (retrying for 5xx, failed for 4xx). */
async function stuck(status: number) {
  const p = preorder();
  const [snap] = await stages(p.preorderId, [p]);
  k.sink.failNext({ count: 3, status });
  await onPreorderWritten(triggerEvent(p.preorderId, null, snap!)).catch(() => undefined);
  return p;
}
const age = (id: string, key: string, ms: number) =>
  db()
    .collection("klaviyo_deliveries")
    .doc(`${id}_${key}`)
    .update({ updatedAt: firestoreModule().Timestamp.fromMillis(Date.now() - ms) });

describe("redriveStuck", () => {
  it("re-drives deliveries left retrying or failed for a retryable reason, once, and never a sent or 4xx one", async () => {
    const a = await stuck(503);
    const b = await stuck(503);
    const refused = await stuck(400);
    const ok = preorder();
    const [okSnap] = await stages(ok.preorderId, [ok]);
    await onPreorderWritten(triggerEvent(ok.preorderId, null, okSnap!));
    expect(await deliveryRecord(a.preorderId, "created")).toMatchObject({ state: "retrying", retryable: true });
    expect(await deliveryRecord(refused.preorderId, "created")).toMatchObject({ state: "failed", retryable: false });
    for (const p of [a, b, refused, ok]) await age(p.preorderId, "created", 3_600_000);
    k.sink.reset();

    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 60_000 })).toEqual({
      examined: 2,
      redriven: 2,
      sent: 2,
      stillFailing: 0,
    });
    expect(
      k.sink
        .events()
        .map((e: any) => e.body.data.attributes.unique_id)
        .sort(),
    ).toEqual([`${a.preorderId}:created`, `${b.preorderId}:created`].sort());
    expect(await deliveryRecord(a.preorderId, "created")).toMatchObject({ state: "sent", retryable: false });
    expect(await deliveryRecord(refused.preorderId, "created")).toMatchObject({ state: "failed", retryable: false });

    // a second run finds nothing left
    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 0 })).toEqual({
      examined: 0,
      redriven: 0,
      sent: 0,
      stillFailing: 0,
    });
    expect(k.sink.received).toHaveLength(2);
  });

  it("leaves recent records to the platform's own retries (olderThanMs)", async () => {
    await stuck(503);
    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 3_600_000 })).toMatchObject({ examined: 0 });
  });

  it("counts what still fails, keeps it retryable and failed with the reason", async () => {
    const p = await stuck(503);
    k.sink.reset();
    k.sink.failNext({ count: 3, status: 500 });
    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 0 })).toEqual({
      examined: 1,
      redriven: 1,
      sent: 0,
      stillFailing: 1,
    });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({
      state: "failed",
      retryable: true,
      lastError: expect.stringContaining("500"),
    });
  });

  it("a key configured since the failure: the delivery goes out", async () => {
    const key = process.env.KLAVIYO_PRIVATE_KEY;
    const p = preorder();
    const [snap] = await stages(p.preorderId, [p]);
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      await onPreorderWritten(triggerEvent(p.preorderId, null, snap!));
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = key;
    }
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "failed", retryable: true });
    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 0 })).toMatchObject({ examined: 1, sent: 1 });
    expect(k.sink.events()).toHaveLength(1);
  });

  it("keeps to perSecond", async () => {
    for (let i = 0; i < 3; i++) await stuck(503);
    k.sink.reset();
    const started = Date.now();
    // 1 a second: a second apart, far longer than a re-drive itself takes even on a loaded machine (under
    // Stryker, 500 ms apart was not), so only the pacing makes the run this long
    expect(await redriveStuck({ limit: 10, perSecond: 1, olderThanMs: 0 })).toMatchObject({ examined: 3, sent: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 1000 - 20);
  });

  it("limit bounds one run", async () => {
    for (let i = 0; i < 3; i++) await stuck(503);
    expect(await redriveStuck({ limit: 2, perSecond: 50, olderThanMs: 0 })).toMatchObject({ examined: 2, sent: 2 });
    expect(await redriveStuck({ limit: 2, perSecond: 50, olderThanMs: 0 })).toMatchObject({ examined: 1, sent: 1 });
  });

  it("a limit of 1,000, the most one run may take, is allowed", async () => {
    await expect(redriveStuck({ limit: 1000, perSecond: 50, olderThanMs: 3_600_000 })).resolves.toMatchObject({ examined: 0 });
  });

  it("a record written before deliveries had a key (status only) is re-driven; a malformed one is skipped, not counted", async () => {
    const legacy = await stuck(503);
    const records = db().collection("klaviyo_deliveries");
    await records.doc(`${legacy.preorderId}_created`).update({ key: firestoreModule().FieldValue.delete() });
    const old = firestoreModule().Timestamp.fromMillis(Date.now() - 3_600_000);
    await records.doc("no-preorder_created").set({ key: "created", status: "created", state: "retrying", retryable: true, updatedAt: old });
    await records.doc("x_paid").set({ preorderId: "x", key: "paid", state: "retrying", retryable: true, updatedAt: old });
    k.sink.reset();
    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 0 })).toEqual({
      examined: 3,
      redriven: 1,
      sent: 1,
      stillFailing: 0,
    });
    expect(k.sink.events()).toHaveLength(1);
  });

  it("a record whose re-drive throws is counted as still failing, and the run goes on to the next", async () => {
    const p = await stuck(503);
    const old = firestoreModule().Timestamp.fromMillis(Date.now() - 3_600_000);
    // a preorder id no document path can hold: the re-drive of this record throws
    await db()
      .collection("klaviyo_deliveries")
      .doc("broken")
      .set({ preorderId: "a/b", key: "created", state: "retrying", retryable: true, updatedAt: old });
    k.sink.reset();
    expect(await redriveStuck({ limit: 10, perSecond: 50, olderThanMs: 0 })).toEqual({
      examined: 2,
      redriven: 2,
      sent: 1,
      stillFailing: 1,
    });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "sent" });
  });

  it.each([
    [{ limit: 0, perSecond: 1, olderThanMs: 0 }, /limit/],
    [{ limit: 1.5, perSecond: 1, olderThanMs: 0 }, /limit/],
    [{ limit: 1001, perSecond: 1, olderThanMs: 0 }, /limit/],
    [{ limit: 1, perSecond: 0, olderThanMs: 0 }, /perSecond/],
    [{ limit: 1, perSecond: 1, olderThanMs: -1 }, /olderThanMs/],
  ])("bad options %p → a clear error", async (o, msg) => {
    await expect(redriveStuck(o)).rejects.toThrow(msg);
  });
});

describe("redeliver", () => {
  it("re-sends one stuck delivery with the profile as it is now", async () => {
    const p = await stuck(503);
    await stages(p.preorderId, [{ ...p, status: "succeeded", updatedAt: now() }]);
    k.sink.reset();
    expect(await redeliver(p.preorderId, "created")).toEqual({ state: "sent", sent: true });
    const body = k.sink.events()[0].body.data.attributes;
    expect(body.metric.data.attributes.name).toBe("Rolitt Preorder Started");
    expect(body.time).toBe(p.updatedAt.toDate().toISOString()); // the transition's own time, from the record
    expect(body.profile.data.attributes.properties).toMatchObject({ preorder_paid: true, preorder_status: "succeeded" });
  });

  it("re-sends the transition's own event properties (the failure reason then), with today's profile", async () => {
    const p = preorder();
    const [c, f] = await stages(p.preorderId, [p, { ...p, status: "failed", errorReason: "Your card was declined.", updatedAt: now() }]);
    k.sink.failNext({ count: 3, status: 503 });
    await onPreorderWritten(triggerEvent(p.preorderId, c!, f!)).catch(() => undefined);
    await stages(p.preorderId, [{ ...p, status: "succeeded", errorReason: null, updatedAt: now() }]);
    k.sink.reset();
    expect(await redeliver(p.preorderId, "failed")).toEqual({ state: "sent", sent: true });
    const a = k.sink.events()[0].body.data.attributes;
    expect(a.properties).toMatchObject({ error_reason: "Your card was declined." });
    expect(a.profile.data.attributes.properties).toMatchObject({ preorder_paid: true });
  });

  it("a sent delivery is never re-sent", async () => {
    const p = preorder();
    const [snap] = await stages(p.preorderId, [p]);
    await onPreorderWritten(triggerEvent(p.preorderId, null, snap!));
    k.sink.reset();
    expect(await redeliver(p.preorderId, "created")).toEqual({ state: "sent", sent: false });
    expect(k.sink.received).toHaveLength(0);
  });

  it("a 4xx-failed delivery is not re-sent", async () => {
    const p = await stuck(400);
    k.sink.reset();
    expect(await redeliver(p.preorderId, "created")).toEqual({ state: "failed", sent: false });
    expect(k.sink.received).toHaveLength(0);
  });

  it("an event the trigger could not send at all keeps the transition's time when re-sent later", async () => {
    const p = { ...preorder(), updatedAt: firestoreModule().Timestamp.fromDate(new Date("2026-11-24T09:00:00.000Z")) };
    const [snap] = await stages(p.preorderId, [p]);
    const key = process.env.KLAVIYO_PRIVATE_KEY;
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      await onPreorderWritten(triggerEvent(p.preorderId, null, snap!, "2026-11-24T09:00:01.000Z"));
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = key;
    }
    expect(await redeliver(p.preorderId, "created")).toEqual({ state: "sent", sent: true });
    expect(k.sink.events()[0].body.data.attributes.time).toBe("2026-11-24T09:00:00.000Z");
  });

  it("a delivery that never started → none, nothing sent", async () => {
    const p = preorder();
    await stages(p.preorderId, [p]);
    expect(await redeliver(p.preorderId, "succeeded")).toEqual({ state: "none", sent: false });
    expect(k.sink.received).toHaveLength(0);
  });

  it.each([
    ["", "created", /preorderId/],
    [123, "created", /preorderId/],
    ["a/b", "created", /preorderId/],
    ["abc", "paid", /key/],
  ])("bad input (%p, %p) → a clear error, nothing written", async (id, key, msg) => {
    await expect(redeliver(id as string, key)).rejects.toThrow(msg);
    expect((await db().collection("klaviyo_deliveries").get()).size).toBe(0);
  });
});
