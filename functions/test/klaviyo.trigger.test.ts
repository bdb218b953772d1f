/**
 * onPreorderWritten, wrapped by firebase-functions-test, with Firestore snapshots from the Firestore server
 * and the local Klaviyo sink as Klaviyo.
 */
import { verifyOrderSignature } from "../src/order/link";
import functionsTest from "firebase-functions-test";
import { onPreorderWritten } from "../src/index";
import { newPreorder } from "../src/preorder/new-preorder";
import { db, now } from "../src/shared/firestore";
import { validateKlaviyoCreateEvent } from "../src/klaviyo/schemas/validators";
import { onPreorderWritten as handler } from "../src/klaviyo/handler";
import { klaviyoConfig } from "../src/config";
import { stages, startSink, triggerEvent } from "./helpers/klaviyo";

const t = functionsTest({ projectId: "demo-rolitt" });
const wrapped = t.wrap(onPreorderWritten);
let k: Awaited<ReturnType<typeof startSink>>;
beforeAll(async () => {
  k = await startSink();
});
afterAll(async () => {
  await k.close();
  t.cleanup();
});
beforeEach(() => k.sink.reset());

let n = 0;
function preorder(overrides: Record<string, unknown> = {}) {
  const id = `kt${Date.now()}${n++}`;
  return {
    ...newPreorder({
      preorderId: id,
      preorderNumber: "ROL-12345678",
      email: `ada.${id}@example.com`, // one shopper per test: the profile counts the shopper's preorders
      color: "white",
      locale: "en",
      amount: 9900,
      currency: "usd",
      stripe: { customerId: "cus_1", sessionId: "cs_test_1" },
    }),
    createdAt: now(),
    updatedAt: now(),
    ...overrides,
  };
}

/** Write `before` then `after` to Firestore and fire the trigger with the real snapshots. */
async function transition(before: Record<string, any> | null, after: Record<string, any>, times = 1) {
  const ref = db().collection("preorders").doc(after.preorderId);
  let beforeSnap;
  if (before) {
    await ref.set(before);
    beforeSnap = await ref.get();
  } else {
    beforeSnap = t.firestore.makeDocumentSnapshot({}, `preorders/${after.preorderId}`);
  }
  await ref.set(after);
  const afterSnap = await ref.get();
  const change = t.makeChange(beforeSnap, afterSnap);
  const results = [];
  for (let i = 0; i < times; i++)
    results.push(
      await wrapped({ data: change, params: { preorderId: after.preorderId } } as never).then(
        () => "ok",
        (e: Error) => e,
      ),
    );
  return results;
}

const delivery = async (id: string, status: string) => (await db().collection("klaviyo_deliveries").doc(`${id}_${status}`).get()).data();

describe("onPreorderWritten", () => {
  it("a new preorder → one Rolitt Preorder Started, valid against Klaviyo's schema", async () => {
    const p = preorder({ locale: "zh-HK" });
    await transition(null, p);
    const events = k.sink.events();
    expect(events).toHaveLength(1);
    const body = events[0].body;
    expect(validateKlaviyoCreateEvent(body)).toBe(true);
    expect(events[0].revision).toBe("2026-07-15");
    expect(body.data.attributes).toEqual({
      properties: {
        color: "white",
        preorder_id: p.preorderId,
        preorder_number: "ROL-12345678",
        locale: "zh-HK",
        source: "Stripe Checkout",
        color_name: "白色",
        ship_window: "2027 年 3 月起出貨",
        order_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:5000\/order\?id=.+&sig=.+&lang=zh-HK$/),
      },
      time: p.updatedAt.toDate().toISOString(),
      unique_id: `${p.preorderId}:created`,
      metric: { data: { type: "metric", attributes: { name: "Rolitt Preorder Started" } } },
      profile: {
        data: {
          type: "profile",
          attributes: {
            email: p.email,
            locale: "zh-HK",
            properties: {
              preorder_paid: false,
              preorder_status: "created",
              preorder_number: "ROL-12345678",
              yoyo_color: "white",
              stripe_order_id: "cs_test_1",
              preorder_count: 1,
              preorder_paid_count: 0,
            },
          },
        },
      },
    });
    expect(await delivery(p.preorderId, "created")).toMatchObject({
      state: "sent",
      attempts: 1,
      lastError: null,
      event: "Rolitt Preorder Started",
    });
  });

  it("created → succeeded → one Rolitt Preorder Success with the amount in major units", async () => {
    const before = preorder();
    const after = {
      ...before,
      status: "succeeded",
      amount: 128000,
      currency: "hkd",
      stripe: { ...before.stripe, paymentIntentId: "pi_1" },
      updatedAt: now(),
    };
    await transition(before, after);
    const [event] = k.sink.events();
    expect(k.sink.events()).toHaveLength(1);
    expect(event.body.data.attributes).toMatchObject({
      value: 1280,
      value_currency: "HKD",
      unique_id: `${before.preorderId}:succeeded`,
      properties: { amount: 1280, currency: "hkd", session_id: "cs_test_1", payment_intent_id: "pi_1", source: "Stripe Webhook" },
      metric: { data: { attributes: { name: "Rolitt Preorder Success" } } },
    });
  });

  it("the Success event carries the colour's name, the ship window and a signed order link the lookup page accepts", async () => {
    const before = { ...preorder(), locale: "zh-CN" };
    await transition(before, { ...before, status: "succeeded", stripe: { ...before.stripe, paymentIntentId: "pi_1" }, updatedAt: now() });
    const props = k.sink.events()[0].body.data.attributes.properties;
    expect(props).toMatchObject({ color_name: "白色", ship_window: "2027 年 3 月起发货" });
    const link = new URL(props.order_url);
    expect([link.pathname, link.searchParams.get("id"), link.searchParams.get("lang")]).toEqual(["/order", before.preorderId, "zh-CN"]);
    expect(verifyOrderSignature(before.preorderId, link.searchParams.get("sig")!, process.env.ORDER_LINK_SECRET!)).toBe(true);
  });

  it("created → failed → one Rolitt Preorder Failed with the reason", async () => {
    const before = preorder();
    await transition(before, { ...before, status: "failed", errorReason: "Your card was declined.", updatedAt: now() });
    expect(
      k.sink.events().map((e: any) => [e.body.data.attributes.metric.data.attributes.name, e.body.data.attributes.properties.error_reason]),
    ).toEqual([["Rolitt Preorder Failed", "Your card was declined."]]);
  });

  it("writes that do not change the status send nothing and record nothing", async () => {
    const before = preorder({ status: "succeeded" });
    await transition(before, { ...before, customer: { name: "Ada", phone: null, shipping: null }, updatedAt: now() });
    expect(k.sink.received).toHaveLength(0);
    expect(await delivery(before.preorderId, "succeeded")).toBeUndefined();
  });

  it("statuses without a seed event (expired, refunded) send no event, only a profile update with the truth", async () => {
    const before = preorder({ status: "succeeded", email: `refund.${Date.now()}@example.com` });
    await transition(before, { ...before, status: "refunded", updatedAt: now() });
    const created = preorder({ email: `expire.${Date.now()}@example.com` });
    await transition(created, { ...created, status: "expired", updatedAt: now() });
    expect(k.sink.received).toHaveLength(0);
    expect(k.sink.profileImports.map((r: any) => [r.status, r.body.data.attributes.properties.preorder_status])).toEqual([
      [200, "refunded"],
      [200, "expired"],
    ]);
    expect(k.sink.profile(before.email).properties).toMatchObject({ preorder_paid: false, preorder_status: "refunded" });
    expect(await delivery(before.preorderId, "refunded")).toMatchObject({ state: "sent", retryable: false });
  });

  it("a document with an invalid email → invalid with ajv's errors, nothing sent", async () => {
    const p = preorder({ email: "not an email" });
    await transition(null, p);
    expect(k.sink.received).toHaveLength(0);
    const record = await delivery(p.preorderId, "created");
    expect(record).toMatchObject({ state: "invalid", lastError: "schema validation failed" });
    expect(record!.errors[0]).toMatchObject({
      schema: "Rolitt Preorder Started",
      errors: [{ instancePath: "/customer_properties/$email", keyword: "format" }],
    });
  });

  it("the same trigger event delivered three times → one event at the sink", async () => {
    const p = preorder();
    const results = await transition(null, p, 3);
    expect(results).toEqual(["ok", "ok", "ok"]);
    expect(k.sink.received).toHaveLength(1);
    expect(await delivery(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 1 });
  });

  it("429 with Retry-After, then 202 → one event", async () => {
    k.sink.failNext({ count: 1, status: 429, retryAfter: 1 });
    const p = preorder();
    const started = Date.now();
    expect(await transition(null, p)).toEqual(["ok"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(k.sink.received.map((r: any) => r.status)).toEqual([429, 202]);
    expect(k.sink.events()).toHaveLength(1);
    expect(await delivery(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 2 });
  });

  it("repeated 5xx → bounded retries, the function fails, a later attempt succeeds once", async () => {
    k.sink.failNext({ count: 3, status: 503 });
    const p = preorder();
    const [first] = await transition(null, p);
    expect(first).toBeInstanceOf(Error);
    expect(k.sink.received.map((r: any) => r.status)).toEqual([503, 503, 503]);
    expect(await delivery(p.preorderId, "created")).toMatchObject({
      state: "retrying",
      attempts: 3,
      lastError: expect.stringContaining("503"),
    });

    // the platform's retry delivers the same trigger event again
    const ref = db().collection("preorders").doc(p.preorderId);
    const snap = await ref.get();
    await wrapped({
      data: t.makeChange(t.firestore.makeDocumentSnapshot({}, `preorders/${p.preorderId}`), snap),
      params: { preorderId: p.preorderId },
    } as never);
    expect(k.sink.events()).toHaveLength(1);
    expect(await delivery(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 4 });
  });

  it("another 4xx → failed, no retry", async () => {
    k.sink.failNext({ count: 1, status: 400 });
    const p = preorder();
    expect(await transition(null, p)).toEqual(["ok"]);
    expect(k.sink.received).toHaveLength(1);
    expect(await delivery(p.preorderId, "created")).toMatchObject({
      state: "failed",
      attempts: 1,
      lastError: expect.stringContaining("400"),
    });
  });

  it("no Klaviyo key → a record that says so, nothing sent", async () => {
    const key = process.env.KLAVIYO_PRIVATE_KEY;
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      const p = preorder();
      await transition(null, p);
      expect(k.sink.received).toHaveLength(0);
      expect(await delivery(p.preorderId, "created")).toMatchObject({
        state: "failed",
        lastError: "KLAVIYO_PRIVATE_KEY is not configured",
      });
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = key;
    }
  });

  it("an event older than the maximum age stops retrying and is recorded as failed", async () => {
    process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES = "0";
    k.sink.failNext({ count: 3, status: 500 });
    try {
      const p = preorder();
      expect(await transition(null, p)).toEqual(["ok"]);
      expect(await delivery(p.preorderId, "created")).toMatchObject({
        state: "failed",
        retryable: true,
        lastError: expect.stringContaining("gave up"),
      });
    } finally {
      delete process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES;
    }
  });
});

describe("retries that fit the platform (issues #11.4, #16)", () => {
  const FAST = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 300, minRequestMs: 100 };
  async function created() {
    const p = preorder();
    const [snap] = await stages(p.preorderId, [p]);
    return { p, event: triggerEvent(p.preorderId, null, snap!) };
  }

  it("a Retry-After longer than the invocation's budget: no early retry, the platform's retry waits it out", async () => {
    const { p, event } = await created();
    k.sink.failNext({ count: 1, status: 429, retryAfter: 120 });
    const started = Date.now();
    await expect(handler(event)).rejects.toThrow(/will retry/);
    expect(Date.now() - started).toBeLessThan(5_000); // no in-process wait, no second request
    expect(k.sink.received.map((r: any) => r.status)).toEqual([429]);
    const record = await delivery(p.preorderId, "created");
    expect(record).toMatchObject({ state: "retrying", retryable: true, attempts: 1 });
    expect(record!.notBefore.toMillis()).toBeGreaterThan(Date.now() + 100_000);

    // the platform retries sooner than Klaviyo asked: no request, retry again later
    await expect(handler(event)).rejects.toThrow(/asked to wait/);
    expect(k.sink.received).toHaveLength(1);

    // once the wait has passed, one request
    await db().collection("klaviyo_deliveries").doc(`${p.preorderId}_created`).update({ notBefore: now() });
    await handler(event);
    expect(k.sink.events()).toHaveLength(1);
    expect(await delivery(p.preorderId, "created")).toMatchObject({ state: "sent", notBefore: null });
  });

  it("a Retry-After that fits the budget is waited in full, then sent once", async () => {
    const { p, event } = await created();
    k.sink.failNext({ count: 1, status: 429, retryAfter: 2 });
    const started = Date.now();
    await handler(event);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_950);
    expect(k.sink.received.map((r: any) => r.status)).toEqual([429, 202]);
    expect(await delivery(p.preorderId, "created")).toMatchObject({ state: "sent", attempts: 2 });
  });

  it("network errors are retryable: the delivery stays retrying and the function throws", async () => {
    const { p, event } = await created();
    const url = process.env.KLAVIYO_API_URL;
    process.env.KLAVIYO_API_URL = "http://127.0.0.1:9"; // nothing listens on the discard port
    try {
      await expect(handler(event, { policy: FAST })).rejects.toThrow(/network/);
    } finally {
      process.env.KLAVIYO_API_URL = url;
    }
    expect(await delivery(p.preorderId, "created")).toMatchObject({
      state: "retrying",
      retryable: true,
      attempts: 3,
      lastError: expect.stringMatching(/^network: /),
    });
    await handler(event);
    expect(k.sink.events()).toHaveLength(1);
  });

  it("timeouts are retryable: the delivery stays retrying and the function throws", async () => {
    const { p, event } = await created();
    k.sink.failNext({ count: 3, status: 202, delayMs: 1_000 });
    await expect(handler(event, { policy: FAST })).rejects.toThrow(/timeout/);
    expect(await delivery(p.preorderId, "created")).toMatchObject({
      state: "retrying",
      retryable: true,
      attempts: 3,
      lastError: expect.stringMatching(/^timeout: /),
    });
  });

  it("KLAVIYO_MAX_EVENT_AGE_MINUTES stays under the platform's 24 h retry window", () => {
    const saved = process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES;
    try {
      delete process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES;
      expect(klaviyoConfig().maxEventAgeMs).toBe(23 * 3_600_000);
      process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES = "1440";
      expect(klaviyoConfig().maxEventAgeMs).toBe(23 * 3_600_000);
      process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES = "90";
      expect(klaviyoConfig().maxEventAgeMs).toBe(90 * 60_000);
    } finally {
      if (saved === undefined) delete process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES;
      else process.env.KLAVIYO_MAX_EVENT_AGE_MINUTES = saved;
    }
  });
});
