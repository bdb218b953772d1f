/**
 * The callable end to end in-process: its `.run()` with the real Stripe SDK speaking HTTP to the local
 * Stripe server and the real Admin SDK speaking gRPC to the Firestore server.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { db } from "../src/shared/firestore";
import { counts } from "./helpers/firestore";
import { callCheckout as call, failureOf, localStripePerTest, uniqueEmail as unique } from "./helpers/checkout";

const stripe = localStripePerTest();

describe("createCheckoutSession", () => {
  it("creates the preorder and a Checkout Session with the exact Stripe requests", async () => {
    const email = unique("Ada");
    const result = await call({ email: `  ${email.toUpperCase()} `, color: "black", locale: "zh-CN" });

    expect(result.preorderNumber).toMatch(/^ROL-\d{8}$/);
    expect(result.sessionId).toMatch(/^cs_test_/);
    expect(result.url).toBe(`${stripe().url}/c/pay/${result.sessionId}`);

    const reqs = stripe().requests();
    expect(reqs.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/customers", "POST /v1/customers", "POST /v1/checkout/sessions"]);
    const lower = email.toLowerCase();
    expect(reqs[0]!.params).toEqual({ email: lower, limit: "10" });
    expect(reqs[1]!.params).toEqual({ email: lower, metadata: { source: "rolitt-preorder" } });
    expect(reqs[1]!.idempotencyKey).toMatch(/^rolitt-customer-test-[0-9a-f]{64}$/);
    const customerId = stripe().server.state.listCustomers({ email: lower }).data[0].id;

    const metadata = {
      preorder_id: result.preorderId,
      preorder_number: result.preorderNumber,
      color: "black",
      email: lower,
      locale: "zh-CN",
    };
    expect(reqs[2]!.idempotencyKey).toBe(`rolitt-checkout-${result.preorderId}`);
    expect(reqs[2]!.params).toEqual({
      mode: "payment",
      customer: customerId,
      client_reference_id: result.preorderId,
      line_items: [
        {
          quantity: "1",
          price_data: {
            currency: "usd",
            unit_amount: "9900",
            product_data: { name: "Rolitt · 黑色", description: expect.stringContaining("2027") },
          },
        },
      ],
      metadata,
      payment_intent_data: { metadata },
      locale: "zh",
      shipping_address_collection: { allowed_countries: "US,CA,GB,IE,DE,FR,NL,AU,NZ,JP,SG,HK,TW,CN".split(",") },
      phone_number_collection: { enabled: "true" },
      saved_payment_method_options: { payment_method_save: "disabled", payment_method_remove: "disabled" },
      success_url: `http://127.0.0.1:5000/success?session_id={CHECKOUT_SESSION_ID}&preorder_id=${result.preorderId}&lang=zh-CN`,
      cancel_url: `http://127.0.0.1:5000/cancel?preorder_id=${result.preorderId}&color=black&lang=zh-CN`,
    });

    const doc = (await db().collection("preorders").doc(result.preorderId).get()).data()!;
    expect(doc).toMatchObject({
      preorderId: result.preorderId,
      preorderNumber: result.preorderNumber,
      email: lower,
      color: "black",
      locale: "zh-CN",
      status: "created",
      amount: 9900,
      currency: "usd",
      stripe: { customerId, sessionId: result.sessionId, paymentIntentId: null },
      errorReason: null,
      origin: "callable",
    });
    expect(doc.createdAt.toMillis()).toBeGreaterThan(Date.now() - 60_000);
    expect((await db().collection("preorder_numbers").doc(result.preorderNumber).get()).get("preorderId")).toBe(result.preorderId);
  });

  it("reuses the customer of a returning shopper: one Stripe call", async () => {
    const email = unique("returning");
    const first = await call({ email, color: "khaki" });
    const before = stripe().requests().length;
    const second = await call({ email, color: "white" });
    const calls = stripe().requests().slice(before);
    expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/checkout/sessions"]);
    const a = (await db().collection("preorders").doc(first.preorderId).get()).get("stripe.customerId");
    const b = (await db().collection("preorders").doc(second.preorderId).get()).get("stripe.customerId");
    expect(a).toBe(b);
    expect(first.preorderNumber).not.toBe(second.preorderNumber);
  });

  it("adopts a customer this shop made earlier for that email (mapping lost)", async () => {
    const email = unique("ours");
    const existing = stripe().server.state.createCustomer({ email, metadata: { source: "rolitt-preorder" } });
    const result = await call({ email, color: "khaki" });
    expect(
      stripe()
        .requests()
        .filter((r) => r.path === "/v1/customers" && r.method === "POST"),
    ).toHaveLength(0);
    expect((await db().collection("preorders").doc(result.preorderId).get()).get("stripe.customerId")).toBe(existing.id);
  });

  it("20 parallel calls for one email in three colours make one Stripe customer and 3 preorders", async () => {
    const email = unique("burst");
    const colors = ["khaki", "black", "white"];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call({ email, color: colors[i % 3] })));
    expect(stripe().server.state.listCustomers({ email }).data).toHaveLength(1);
    const ids = new Set(results.map((r) => r.preorderId));
    const numbers = new Set(results.map((r) => r.preorderNumber));
    expect(ids.size).toBe(3);
    expect(numbers.size).toBe(3);
    const customers = new Set(
      await Promise.all(results.map(async (r) => (await db().collection("preorders").doc(r.preorderId).get()).get("stripe.customerId"))),
    );
    expect(customers.size).toBe(1);
  });

  it("uses a configured Stripe Price id", async () => {
    const price = stripe().server.addPrice({ unit_amount: 128000, currency: "hkd" });
    process.env.STRIPE_PRICE_ID = price;
    try {
      const result = await call({ email: unique("price"), color: "khaki", locale: "zh-HK" });
      const session = stripe()
        .requests()
        .find((r) => r.path === "/v1/checkout/sessions")!;
      expect(session.params.line_items).toEqual([{ price, quantity: "1" }]);
      expect(session.params.locale).toBe("zh-HK");
      expect((await db().collection("preorders").doc(result.preorderId).get()).data()).toMatchObject({ amount: 128000, currency: "hkd" });
    } finally {
      delete process.env.STRIPE_PRICE_ID;
    }
  });

  const BAD_INPUTS: unknown[] = [
    null,
    [],
    "x",
    {},
    { email: "nope", color: "khaki" },
    { email: "a@b.co", color: "purple" },
    { email: "a@b.co", color: "khaki", locale: "de" },
    { email: "a@b.co", color: "khaki", extra: true },
    { email: `${"x".repeat(100_000)}@b.co`, color: "khaki" },
    { email: "a@b.co", color: { toString: "khaki" } },
  ];

  it.each(BAD_INPUTS.map((d, i) => [i, d]))("bad input #%s → invalid-argument, nothing written, no Stripe call", async (_i, data) => {
    const before = await counts("preorders", "preorder_numbers", "stripe_customers");
    const err = await failureOf<HttpsError>(call(data));
    expect(err).toBeInstanceOf(HttpsError);
    expect(err.code).toBe("invalid-argument");
    expect(err.message.length).toBeGreaterThan(0);
    expect(stripe().requests()).toHaveLength(0);
    expect(await counts("preorders", "preorder_numbers", "stripe_customers")).toEqual(before);
  });

  it("a Stripe outage → unavailable and no preorder left behind", async () => {
    stripe().server.failNext({ count: 10, status: 500, path: "/v1/checkout/sessions" });
    const before = await counts("preorders", "preorder_numbers");
    const err = await failureOf<HttpsError>(call({ email: unique("outage"), color: "khaki" }));
    expect(err.code).toBe("unavailable");
    // the SDK retried (maxNetworkRetries 2) before giving up
    expect(
      stripe()
        .requests()
        .filter((r) => r.path === "/v1/checkout/sessions"),
    ).toHaveLength(3);
    expect(await counts("preorders", "preorder_numbers")).toEqual(before);
  });

  it("a Stripe validation error → failed-precondition and no preorder", async () => {
    process.env.STRIPE_PRICE_ID = "price_does_not_exist";
    try {
      const before = await counts("preorders", "preorder_numbers");
      const err = await failureOf<HttpsError>(call({ email: unique("badprice"), color: "khaki" }));
      expect(err.code).toBe("failed-precondition");
      expect(await counts("preorders", "preorder_numbers")).toEqual(before);
    } finally {
      delete process.env.STRIPE_PRICE_ID;
    }
  });

  it("a missing Stripe key → failed-precondition that names it, and no Stripe call", async () => {
    const key = process.env.STRIPE_SECRET_KEY;
    delete process.env.STRIPE_SECRET_KEY;
    try {
      const err = await failureOf<HttpsError>(call({ email: unique("nokey"), color: "khaki" }));
      expect(err.code).toBe("failed-precondition");
      expect(err.message).toContain("STRIPE_SECRET_KEY");
      expect(stripe().requests()).toHaveLength(0);
    } finally {
      process.env.STRIPE_SECRET_KEY = key;
    }
  });

  it("enforces App Check when ENFORCE_APP_CHECK is true", async () => {
    process.env.ENFORCE_APP_CHECK = "true";
    try {
      const err = await failureOf<HttpsError>(call({ email: unique("appcheck"), color: "khaki" }));
      expect(err.code).toBe("unauthenticated");
      const ok = await call({ email: unique("appcheck"), color: "khaki" }, { app: { appId: "1:123:web:abc", token: {} } });
      expect(ok.sessionId).toMatch(/^cs_test_/);
    } finally {
      process.env.ENFORCE_APP_CHECK = "false";
    }
  });
});
