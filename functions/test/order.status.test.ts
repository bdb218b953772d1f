/**
 * getOffer and getOrderStatus, the real exports served over HTTP as Cloud Functions does, against the
 * embedded Firestore and the local Stripe server.
 */
import express from "express";
import { getOffer, getOrderStatus } from "../src/index";
import { signOrderId } from "../src/order/link";
import { newPreorder } from "../src/preorder/new-preorder";
import { COLLECTIONS, db, firestoreModule, now } from "../src/shared/firestore";
import { serve } from "./helpers/serve";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";

process.env.ORDER_LINK_SECRET = "order_link_test_secret";
let url = "";
let server: Awaited<ReturnType<typeof serve>>;
let stripe: LocalStripe;
const NOT_FOUND_BODY = { error: { code: "not_found", message: "No order matches these details." } };

beforeAll(async () => {
  stripe = await startLocalStripe();
  const app = express();
  app.use(express.json());
  app.use("/api/offer", (req, res) => getOffer(req as never, res));
  app.use("/api/order-status", (req, res) => getOrderStatus(req as never, res));
  server = await serve(app);
  url = server.url;
});
afterAll(async () => {
  await server.close();
  await stripe.close();
  delete process.env.STRIPE_PRICE_ID;
});

const get = async (path: string) => {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: await res.json(), headers: res.headers, text: "" };
};
const post = async (body: unknown, ip = "203.0.113.1") => {
  const res = await fetch(`${url}/api/order-status`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

async function seed(status: "created" | "succeeded" = "succeeded") {
  const ref = db().collection(COLLECTIONS.preorders).doc();
  const number = `ROL-${String(Math.floor(10_000_000 + Math.random() * 89_999_999))}`;
  const sessionId = `cs_test_${ref.id}abc`;
  await db().collection(COLLECTIONS.preorderNumbers).doc(number).create({ preorderId: ref.id, createdAt: now() });
  await ref.create({
    ...newPreorder({
      preorderId: ref.id,
      preorderNumber: number,
      email: "buyer@example.com",
      color: "white",
      locale: "en",
      amount: 9900,
      currency: "usd",
      status,
      stripe: { customerId: "cus_1", sessionId, paymentIntentId: "pi_1" },
    }),
    customer: { name: "Ada Buyer", phone: "+85212345678", shipping: null },
    createdAt: now(),
    updatedAt: now(),
  });
  return { id: ref.id, number, sessionId };
}

describe("getOffer", () => {
  it("answers the live offer with a short CDN cache", async () => {
    const res = await get("/api/offer");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=60, s-maxage=300");
    expect(res.body).toMatchObject({ amount: 9900, currency: "usd", decimals: 2, priceSource: "config" });
    expect(res.body.colors.map((c: { id: string }) => c.id)).toEqual(["khaki", "black", "white"]);
  });

  it("takes the amount and currency from the configured Stripe Price", async () => {
    const id = stripe.server.addPrice({ unit_amount: 12800, currency: "jpy" });
    process.env.STRIPE_PRICE_ID = id;
    try {
      const res = await get("/api/offer");
      expect(res.body).toMatchObject({ amount: 12800, currency: "jpy", decimals: 0, priceSource: "stripe-price" });
      expect(stripe.requests().filter((r) => r.path === `/v1/prices/${id}`)).toHaveLength(1);
      await get("/api/offer"); // cached for a minute in the instance
      expect(stripe.requests().filter((r) => r.path === `/v1/prices/${id}`)).toHaveLength(1);
    } finally {
      delete process.env.STRIPE_PRICE_ID;
    }
  });

  it("an unknown Price → 503, not cached, and no made-up price", async () => {
    process.env.STRIPE_PRICE_ID = "price_missing";
    try {
      const res = await get("/api/offer");
      expect(res.status).toBe(503);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.body.amount).toBeUndefined();
    } finally {
      delete process.env.STRIPE_PRICE_ID;
    }
  });

  it("refuses other methods", async () => {
    expect((await fetch(`${url}/api/offer`, { method: "POST" })).status).toBe(405);
  });
});

describe("getOrderStatus", () => {
  it("the success page's session id (with its preorder) → number, colour, state; no personal data", async () => {
    const o = await seed();
    const res = await get(`/api/order-status?session_id=${o.sessionId}&preorder_id=${o.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toMatchObject({ preorderNumber: o.number, status: "paid", color: { id: "white" }, refund: "none" });
    expect(JSON.stringify(res.body)).not.toMatch(/buyer@|Ada|\+852|cus_1|pi_1|cs_test/);
  });

  it("a session id that is not this preorder's → the same 404 as an unknown one", async () => {
    const o = await seed();
    const wrong = await get(`/api/order-status?session_id=cs_test_notthisone123&preorder_id=${o.id}`);
    const unknown = await get(`/api/order-status?session_id=${o.sessionId}&preorder_id=nosuchpreorder`);
    expect([wrong.status, unknown.status]).toEqual([404, 404]);
    expect(wrong.body).toEqual(unknown.body);
  });

  it("number + email: a match shows the order; a wrong email and an unknown number answer alike after the same reads", async () => {
    const o = await seed("created");
    const reads = jest.spyOn(firestoreModule().DocumentReference.prototype, "get");
    const ok = await post({ number: o.number.toLowerCase(), email: "  Buyer@Example.com " });
    const okReads = reads.mock.calls.length;
    const wrongEmail = await post({ number: o.number, email: "someone@example.com" }, "203.0.113.2");
    const wrongReads = reads.mock.calls.length - okReads;
    const unknown = await post({ number: "ROL-10000001", email: "buyer@example.com" }, "203.0.113.3");
    const unknownReads = reads.mock.calls.length - okReads - wrongReads;
    reads.mockRestore();
    expect(ok).toMatchObject({ status: 200, body: { preorderNumber: o.number, status: "processing" } });
    expect(wrongEmail.status).toBe(404);
    expect(unknown).toEqual(wrongEmail);
    expect([okReads, wrongReads, unknownReads]).toEqual([2, 2, 2]);
  });

  it("malformed input → 400 naming the field; then 10 lookups a minute per address", async () => {
    expect(await post({ number: "12345", email: "a@example.com" }, "198.51.100.9")).toMatchObject({
      status: 400,
      body: { error: { field: "number" } },
    });
    expect(await post({ number: "ROL-12345678", email: "nope" }, "198.51.100.9")).toMatchObject({
      status: 400,
      body: { error: { field: "email" } },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await post({ number: "ROL-12345678", email: "a@example.com" }, "198.51.100.10")).status);
    expect(statuses.slice(0, 10).every((s) => s === 404)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("a signed link shows the order; a forged one does not", async () => {
    const o = await seed();
    const sig = signOrderId(o.id, process.env.ORDER_LINK_SECRET!);
    expect((await get(`/api/order-status?id=${o.id}&sig=${sig}`)).body).toMatchObject({ preorderNumber: o.number });
    const forged = signOrderId(o.id, "guess");
    expect((await get(`/api/order-status?id=${o.id}&sig=${forged}`)).status).toBe(404);
  });

  it("no identifying parameter → 400; other methods → 405", async () => {
    expect((await get("/api/order-status")).status).toBe(400);
    expect((await fetch(`${url}/api/order-status`, { method: "DELETE" })).status).toBe(405);
  });
});

describe("getOrderStatus: what it refuses, and how it fails", () => {
  const bad = (res: { status: number; body: { error?: { field?: string; code?: string } } }) => [
    res.status,
    res.body.error?.code,
    res.body.error?.field,
  ];

  it("the success page without preorder_id finds the order by its session id alone", async () => {
    const o = await seed();
    const res = await get(`/api/order-status?session_id=${o.sessionId}`);
    expect(res).toMatchObject({ status: 200, body: { preorderNumber: o.number, status: "paid" } });
    expect(await get(`/api/order-status?session_id=cs_test_nosuchsession123`)).toMatchObject({ status: 404, body: NOT_FOUND_BODY });
  });

  const SESSION_WORDS = "session_id is not a Checkout Session id";
  it.each([
    ["a session id with something before it", "session_id=xcs_test_12345678", "session_id", SESSION_WORDS],
    ["a session id with something after it", "session_id=cs_test_12345678!", "session_id", SESSION_WORDS],
    ["a preorder id with a slash", "session_id=cs_test_12345678&preorder_id=a%2Fb", "preorder_id", "preorder_id is malformed"],
    [
      "a preorder id of 65 characters",
      `session_id=cs_test_12345678&preorder_id=${"a".repeat(65)}`,
      "preorder_id",
      "preorder_id is malformed",
    ],
    ["a signed-link id with a dot", "id=a.b&sig=x", "id", "id is malformed"],
    ["no identifying parameter", "", "session_id", "Give session_id, or id and sig; number and email go in a POST body"],
  ])("%s → 400 naming the field, in words", async (_, query, field, message) => {
    const res = await get(`/api/order-status?${query}`);
    expect(bad(res)).toEqual([400, "invalid_argument", field]);
    expect(res.body.error.message).toBe(message);
  });

  it("a preorder that never reached Stripe (no session yet) → 404, not a crash", async () => {
    const ref = db().collection(COLLECTIONS.preorders).doc();
    await ref.create({ preorderId: ref.id, status: "created", color: "white", createdAt: now(), updatedAt: now() });
    expect((await get(`/api/order-status?session_id=cs_test_12345678&preorder_id=${ref.id}`)).status).toBe(404);
  });

  it("a signed link without its signature → the same 404 as a forged one", async () => {
    const o = await seed();
    expect(await get(`/api/order-status?id=${o.id}`)).toMatchObject({ status: 404, body: NOT_FOUND_BODY });
  });

  const NUMBER_WORDS = "The preorder number looks like ROL-12345678";
  const EMAIL_WORDS = "Please enter a valid email address";
  it.each([
    ["no number", { email: "a@example.com" }, "number", "number is required"],
    ["a number that is not text", { number: 12345678, email: "a@example.com" }, "number", "number is required"],
    ["no email", { number: "ROL-12345678" }, "email", "email is required"],
    ["an email of 255 characters", { number: "ROL-12345678", email: `${"a".repeat(243)}@example.com` }, "email", EMAIL_WORDS],
    ["an email with a space before the @ part", { number: "ROL-12345678", email: "a b@example.com" }, "email", EMAIL_WORDS],
    ["an email with something after the domain", { number: "ROL-12345678", email: "a@example.com b" }, "email", EMAIL_WORDS],
    ["a number with more digits", { number: "ROL-123456789", email: "a@example.com" }, "number", NUMBER_WORDS],
    ["a number with something before it", { number: "XROL-12345678", email: "a@example.com" }, "number", NUMBER_WORDS],
    ["a number with letters for digits", { number: "ROL-ABCDEFGH", email: "a@example.com" }, "number", NUMBER_WORDS],
  ])("lookup form: %s → 400 naming the field, in words a shopper understands", async (_, body, field, message) => {
    // fewer than 10 lookups from its own address: the rate limit stays out of it
    const res = await post(body, "192.0.2.77");
    expect(bad(res)).toEqual([400, "invalid_argument", field]);
    expect(res.body.error.message).toBe(message);
  });

  it("an email of exactly 254 characters is a valid address (not refused as too long)", async () => {
    const email = `${"a".repeat(242)}@example.com`;
    expect(email).toHaveLength(254);
    expect((await post({ number: "ROL-12345678", email }, "192.0.2.200")).status).toBe(404);
  });

  it("a padded, lower-case number is the same number", async () => {
    const o = await seed();
    const res = await post({ number: `  ${o.number.toLowerCase()} `, email: "buyer@example.com" }, "192.0.2.201");
    expect(res).toMatchObject({ status: 200, body: { preorderNumber: o.number } });
  });

  it("a reservation pointing at a preorder of another number does not open that preorder", async () => {
    const o = await seed();
    const stray = "ROL-10000002";
    await db().collection(COLLECTIONS.preorderNumbers).doc(stray).set({ preorderId: o.id, createdAt: now() });
    expect((await post({ number: stray, email: "buyer@example.com" }, "192.0.2.202")).status).toBe(404);
  });

  it("an unknown number with the placeholder address answers 404 like any other miss", async () => {
    expect(await post({ number: "ROL-10000003", email: "nobody@invalid.invalid" }, "192.0.2.203")).toEqual({
      status: 404,
      body: NOT_FOUND_BODY,
    });
  });

  it("rate limit: the 11th lookup a minute → 429 with Retry-After, counted by the first forwarded address", async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 11; i++) {
      // the same client behind different proxies, with the spacing proxies use
      last = await fetch(`${url}/api/order-status`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": i % 2 ? "198.51.100.30 ,10.0.0.1" : "198.51.100.30, 10.0.0.2" },
        body: JSON.stringify({ number: "ROL-12345678", email: "a@example.com" }),
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(10).fill(404), 429]);
    expect(last!.headers.get("retry-after")).toBe("60");
    expect(await last!.json()).toEqual({ error: { code: "rate_limited", message: "Too many lookups, please wait a minute." } });
  });

  it("a lookup without X-Forwarded-For (a direct call) is keyed by the connection, not refused", async () => {
    const res = await fetch(`${url}/api/order-status`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ number: "ROL-12345678", email: "a@example.com" }),
    });
    expect(res.status).toBe(404);
  });

  it("other methods → 405 with Allow and a code", async () => {
    const res = await fetch(`${url}/api/order-status`, { method: "PUT" });
    expect(res.headers.get("allow")).toBe("GET, POST");
    expect(await res.json()).toEqual({ error: { code: "method_not_allowed", message: "Use GET or POST" } });
  });

  it("Firestore failing → 503 the shopper can retry, never a 404 that says the order does not exist", async () => {
    const o = await seed();
    const sig = signOrderId(o.id, process.env.ORDER_LINK_SECRET!);
    const reads = jest.spyOn(firestoreModule().DocumentReference.prototype, "get").mockRejectedValueOnce(new Error("14 UNAVAILABLE"));
    try {
      const res = await get(`/api/order-status?id=${o.id}&sig=${sig}`);
      expect(res).toMatchObject({ status: 503, body: { error: { code: "unavailable", message: "Please try again in a moment." } } });
      expect(res.headers.get("cache-control")).toBe("no-store");
    } finally {
      reads.mockRestore();
    }
  });
});

describe("getOffer: caching and refusals", () => {
  afterEach(() => {
    delete process.env.STRIPE_PRICE_ID;
    jest.restoreAllMocks();
  });

  it("HEAD is answered like GET", async () => {
    expect((await fetch(`${url}/api/offer`, { method: "HEAD" })).status).toBe(200);
  });

  it("other methods → 405 with Allow and a code", async () => {
    const res = await fetch(`${url}/api/offer`, { method: "POST" });
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(await res.json()).toEqual({ error: { code: "method_not_allowed", message: "Use GET" } });
  });

  it("a cached Price answers the same offer; a changed STRIPE_PRICE_ID is fetched at once", async () => {
    const a = stripe.server.addPrice({ unit_amount: 4900, currency: "usd" });
    const b = stripe.server.addPrice({ unit_amount: 5900, currency: "usd" });
    process.env.STRIPE_PRICE_ID = a;
    expect((await get("/api/offer")).body).toMatchObject({ amount: 4900 });
    expect(await get("/api/offer")).toMatchObject({ status: 200, body: { amount: 4900 } });
    process.env.STRIPE_PRICE_ID = b;
    expect((await get("/api/offer")).body).toMatchObject({ amount: 5900 });
  });

  it("the Price is fetched again once a minute has passed, not before", async () => {
    const id = stripe.server.addPrice({ unit_amount: 6900, currency: "usd" });
    process.env.STRIPE_PRICE_ID = id;
    const fetches = () => stripe.requests().filter((r) => r.path === `/v1/prices/${id}`).length;
    const t0 = Date.now();
    const clock = jest.spyOn(Date, "now").mockReturnValue(t0);
    await get("/api/offer");
    clock.mockReturnValue(t0 + 59_999);
    await get("/api/offer");
    expect(fetches()).toBe(1);
    clock.mockReturnValue(t0 + 60_000);
    await get("/api/offer");
    expect(fetches()).toBe(2);
  });

  it("a failure answers a coded 503", async () => {
    process.env.STRIPE_PRICE_ID = "price_missing";
    expect((await get("/api/offer")).body).toEqual({ error: { code: "unavailable", message: "The offer is not available right now." } });
  });
});
