/**
 * getOffer and getOrderStatus, the real exports served over HTTP as Cloud Functions does, against the
 * embedded Firestore and the local Stripe server.
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { getOffer, getOrderStatus } from "../src/index";
import { signOrderId } from "../src/order/link";
import { newPreorder } from "../src/preorder/new-preorder";
import { COLLECTIONS, db, firestoreModule, now } from "../src/shared/firestore";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";

process.env.ORDER_LINK_SECRET = "order_link_test_secret";
let url = "";
let server: import("node:http").Server;
let stripe: LocalStripe;

beforeAll(async () => {
  stripe = await startLocalStripe();
  const app = express();
  app.use(express.json());
  app.use("/api/offer", (req, res) => getOffer(req as never, res));
  app.use("/api/order-status", (req, res) => getOrderStatus(req as never, res));
  server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(() => r(undefined)));
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
