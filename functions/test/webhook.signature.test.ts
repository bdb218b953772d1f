/** What reaches the webhook without a valid signature changes nothing. */
import { counts } from "./helpers/firestore";
import { serveWebhook, signature, TEST_SECRET, type WebhookServer } from "./helpers/webhook";
import { MAX_BODY_BYTES } from "../src/webhook/handler";
import * as verify from "../src/webhook/verify";

let hook: WebhookServer;
beforeAll(async () => {
  hook = await serveWebhook();
});
afterAll(() => hook.close());
afterEach(() => jest.restoreAllMocks());

const COLLECTIONS = ["preorders", "stripe_events", "preorder_numbers"];
const event = (id = `evt_sig${Date.now()}${Math.random().toString(36).slice(2, 8)}`) =>
  JSON.stringify({
    id,
    object: "event",
    type: "customer.created",
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: "cus_1", object: "customer" } },
  });
const now = () => Math.floor(Date.now() / 1000);

describe("stripeWebhook signature checks", () => {
  const body = event();
  // The reason is what Stripe's Dashboard shows beside a refused delivery: it must say what was wrong.
  const cases: Array<[string, () => Record<string, string>, string, number, string]> = [
    ["no header", () => ({}), body, 400, "missing Stripe-Signature header"],
    ["an empty header", () => ({ "stripe-signature": "" }), body, 400, "missing Stripe-Signature header"],
    ["a malformed header", () => ({ "stripe-signature": "garbage" }), body, 400, "malformed Stripe-Signature header"],
    ["a header without v1", () => ({ "stripe-signature": `t=${now()}` }), body, 400, "malformed Stripe-Signature header"],
    [
      "the wrong secret",
      () => ({ "stripe-signature": signature(body, { secret: "whsec_wrong" }) }),
      body,
      400,
      "no signature matches a configured secret",
    ],
    [
      "a tampered body",
      () => ({ "stripe-signature": signature(body) }),
      body.replace("customer.created", "charge.refunded"),
      400,
      "no signature matches a configured secret",
    ],
    [
      "a timestamp 6 minutes old",
      () => ({ "stripe-signature": signature(body, { timestamp: now() - 360 }) }),
      body,
      400,
      "timestamp outside the tolerance zone",
    ],
    [
      "a timestamp 6 minutes ahead",
      () => ({ "stripe-signature": signature(body, { timestamp: now() + 360 }) }),
      body,
      400,
      "timestamp outside the tolerance zone",
    ],
    [
      "a v0 scheme only",
      () => ({ "stripe-signature": signature(body).replace("v1=", "v0=") }),
      body,
      400,
      "malformed Stripe-Signature header",
    ],
    ["an empty body", () => ({ "stripe-signature": signature("") }), "", 400, "empty body"],
  ];

  it.each(cases)("refuses %s with 400 and writes nothing", async (_label, headers, payload, status, reason) => {
    const before = await counts(...COLLECTIONS);
    const res = await hook.post(payload, headers());
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: reason });
    expect(await counts(...COLLECTIONS)).toEqual(before);
  });

  it("accepts a header with several v1 signatures when one is valid", async () => {
    const payload = event();
    const good = signature(payload);
    const t = good.split(",")[0];
    const header = `${t},v1=${"0".repeat(64)},${good.split(",")[1]},v1=${"f".repeat(64)}`;
    const res = await hook.post(payload, { "stripe-signature": header });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: "ignored" });
  });

  it("accepts events signed with any secret of a rotation, and only those", async () => {
    process.env.STRIPE_WEBHOOK_SECRET = `whsec_new_secret, ${TEST_SECRET}`;
    try {
      const a = event();
      expect((await hook.post(a, { "stripe-signature": signature(a, { secret: "whsec_new_secret" }) })).status).toBe(200);
      const b = event();
      expect((await hook.post(b, { "stripe-signature": signature(b) })).status).toBe(200);
      const c = event();
      expect((await hook.post(c, { "stripe-signature": signature(c, { secret: "whsec_retired" }) })).status).toBe(400);
    } finally {
      process.env.STRIPE_WEBHOOK_SECRET = TEST_SECRET;
    }
  });

  it("fails closed with 500 when no secret is configured", async () => {
    const before = await counts(...COLLECTIONS);
    process.env.STRIPE_WEBHOOK_SECRET = "";
    try {
      const payload = event();
      const res = await hook.post(payload, { "stripe-signature": signature(payload) });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: "webhook not configured" });
    } finally {
      process.env.STRIPE_WEBHOOK_SECRET = TEST_SECRET;
    }
    expect(await counts(...COLLECTIONS)).toEqual(before);
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers %s with 405 and Allow: POST", async (method) => {
    const res = await hook.post(event(), {}, method);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.body).toEqual({ error: "method not allowed" });
  });

  it("takes a body of exactly the size limit (it is then refused for its signature, not its size)", async () => {
    const payload = JSON.stringify({ pad: "" });
    const exact = payload.replace('""', `"${"x".repeat(MAX_BODY_BYTES - payload.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    const res = await hook.post(exact, { "stripe-signature": signature(exact, { secret: "whsec_wrong" }) });
    expect(res).toMatchObject({ status: 400, body: { error: "no signature matches a configured secret" } });
  });

  it("answers 500 (Stripe retries) when verifying fails for a reason other than the request", async () => {
    jest.spyOn(verify, "verifyEvent").mockRejectedValueOnce(new Error("the Stripe SDK failed to load"));
    const payload = event();
    const res = await hook.post(payload, { "stripe-signature": signature(payload) });
    expect(res.status).toBe(500);
  });

  it("refuses an oversized body with 413", async () => {
    const payload = JSON.stringify({ id: "evt_big", pad: "x".repeat(600 * 1024) });
    const res = await hook.post(payload, { "stripe-signature": signature(payload) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: "body too large" });
  });

  it("refuses a signed body that is not a usable event with 400", async () => {
    for (const [payload, reason] of [
      ["not json", "body is not JSON"],
      ["[]", "malformed event"],
      ["{}", "malformed event"],
      [JSON.stringify({ id: "evt_x", type: "a" }), "malformed event"],
      [JSON.stringify({ id: 1, type: "x", created: 1, data: { object: {} } }), "malformed event"],
    ]) {
      const res = await hook.post(payload, { "stripe-signature": signature(payload) });
      expect([payload, res.status, res.body]).toEqual([payload, 400, { error: reason }]);
    }
  });
});
