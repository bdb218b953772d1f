/** What reaches the webhook without a valid signature changes nothing. */
import { counts } from "./helpers/firestore";
import { serveWebhook, signature, TEST_SECRET, type WebhookServer } from "./helpers/webhook";

let hook: WebhookServer;
beforeAll(async () => {
  hook = await serveWebhook();
});
afterAll(() => hook.close());

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
  const cases: Array<[string, () => Record<string, string>, string, number]> = [
    ["no header", () => ({}), body, 400],
    ["an empty header", () => ({ "stripe-signature": "" }), body, 400],
    ["a malformed header", () => ({ "stripe-signature": "garbage" }), body, 400],
    ["a header without v1", () => ({ "stripe-signature": `t=${now()}` }), body, 400],
    ["the wrong secret", () => ({ "stripe-signature": signature(body, { secret: "whsec_wrong" }) }), body, 400],
    ["a tampered body", () => ({ "stripe-signature": signature(body) }), body.replace("customer.created", "charge.refunded"), 400],
    ["a timestamp 6 minutes old", () => ({ "stripe-signature": signature(body, { timestamp: now() - 360 }) }), body, 400],
    ["a timestamp 6 minutes ahead", () => ({ "stripe-signature": signature(body, { timestamp: now() + 360 }) }), body, 400],
    ["a v0 scheme only", () => ({ "stripe-signature": signature(body).replace("v1=", "v0=") }), body, 400],
  ];

  it.each(cases)("refuses %s with 400 and writes nothing", async (_label, headers, payload, status) => {
    const before = await counts(...COLLECTIONS);
    const res = await hook.post(payload, headers());
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe("string");
    expect(await counts(...COLLECTIONS)).toEqual(before);
  });

  it("accepts a header with several v1 signatures when one is valid", async () => {
    const payload = event();
    const good = signature(payload);
    const t = good.split(",")[0];
    const header = `${t},v1=${"0".repeat(64)},${good.split(",")[1]},v1=${"f".repeat(64)}`;
    const res = await hook.post(payload, { "stripe-signature": header });
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe("ignored");
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
    } finally {
      process.env.STRIPE_WEBHOOK_SECRET = TEST_SECRET;
    }
    expect(await counts(...COLLECTIONS)).toEqual(before);
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers %s with 405 and Allow: POST", async (method) => {
    const res = await hook.post(event(), {}, method);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("refuses an oversized body with 413", async () => {
    const payload = JSON.stringify({ id: "evt_big", pad: "x".repeat(600 * 1024) });
    const res = await hook.post(payload, { "stripe-signature": signature(payload) });
    expect(res.status).toBe(413);
  });

  it("refuses a signed body that is not a usable event with 400", async () => {
    for (const payload of [
      "not json",
      "[]",
      "{}",
      JSON.stringify({ id: "evt_x", type: "a" }),
      JSON.stringify({ id: 1, type: "x", created: 1, data: { object: {} } }),
    ]) {
      const res = await hook.post(payload, { "stripe-signature": signature(payload) });
      expect([payload, res.status]).toEqual([payload, 400]);
    }
  });
});
