/**
 * The two adapters every function shares: the Stripe client (endpoint, key, retries, one client per
 * configuration) against a tiny local HTTP server, and the Firestore adapter against the embedded Firestore.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { initializeApp } from "firebase-admin/app";
import { db, isAlreadyExists, now } from "../src/shared/firestore";
import { stripeClient } from "../src/shared/stripe-client";
import { fresh } from "./helpers/fresh";

/** An HTTP server that records each request and answers from a script (default: a customer, 200). */
async function fakeStripe(script: number[] = []) {
  const seen: Array<{ method?: string; url?: string; auth?: string; agent?: string }> = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, agent: req.headers["user-agent"] });
    const status = script[seen.length - 1] ?? 200;
    res.writeHead(status, { "content-type": "application/json", "request-id": `req_${seen.length}` });
    res.end(JSON.stringify(status === 200 ? { id: "cus_1", object: "customer" } : { error: { type: "api_error", message: "boom" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, url, close: () => new Promise((resolve) => server.close(resolve)) };
}

const env = { ...process.env };
afterEach(() => {
  process.env.STRIPE_API_URL = env.STRIPE_API_URL;
  if (env.STRIPE_API_URL === undefined) delete process.env.STRIPE_API_URL;
  process.env.STRIPE_SECRET_KEY = env.STRIPE_SECRET_KEY;
});

const apiField = (client: unknown, field: string): unknown => (client as { getApiField(f: string): unknown }).getApiField(field);

describe("stripeClient", () => {
  it("sends the secret key to STRIPE_API_URL's host and port over its protocol, naming this app", async () => {
    const fake = await fakeStripe();
    try {
      process.env.STRIPE_API_URL = fake.url;
      const customer = await (await stripeClient()).customers.retrieve("cus_1");
      expect(customer.id).toBe("cus_1");
      expect(fake.seen).toEqual([
        expect.objectContaining({ method: "GET", url: "/v1/customers/cus_1", auth: `Bearer ${env.STRIPE_SECRET_KEY}` }),
      ]);
      expect(fake.seen[0].agent).toContain("rolitt-preorder");
    } finally {
      await fake.close();
    }
  });

  it("retries a Stripe 5xx twice, then gives up with Stripe's error", async () => {
    const flaky = await fakeStripe([500, 500, 200]);
    const down = await fakeStripe([500, 500, 500, 500]);
    try {
      process.env.STRIPE_API_URL = flaky.url;
      await expect((await stripeClient()).customers.retrieve("cus_1")).resolves.toMatchObject({ id: "cus_1" });
      expect(flaky.seen).toHaveLength(3);

      process.env.STRIPE_API_URL = down.url;
      await expect((await stripeClient()).customers.retrieve("cus_1")).rejects.toMatchObject({ statusCode: 500, message: "boom" });
      expect(down.seen).toHaveLength(3);
    } finally {
      await flaky.close();
      await down.close();
    }
  }, 30_000);

  it("keeps one client per key and endpoint, and makes a new one when either changes", async () => {
    const first = await fakeStripe();
    const second = await fakeStripe();
    try {
      process.env.STRIPE_API_URL = first.url;
      const a = await stripeClient();
      expect(await stripeClient()).toBe(a);
      process.env.STRIPE_SECRET_KEY = "sk_test_other_local_key";
      const b = await stripeClient();
      expect(b).not.toBe(a);
      await b.customers.retrieve("cus_1");
      expect(first.seen.map((r) => r.auth)).toEqual(["Bearer sk_test_other_local_key"]);
      process.env.STRIPE_API_URL = second.url;
      const c = await stripeClient();
      expect(c).not.toBe(b);
      await c.customers.retrieve("cus_1");
      expect([first.seen.length, second.seen.length]).toEqual([1, 1]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it.each([
    ["http://127.0.0.1:12111", "127.0.0.1", 12111, "http"],
    ["http://stripe.local", "stripe.local", 80, "http"],
    ["https://stripe.example.test", "stripe.example.test", 443, "https"],
    ["https://stripe.example.test:8443/", "stripe.example.test", 8443, "https"],
  ])("STRIPE_API_URL %s → host %s, port %i, %s", async (url, host, port, protocol) => {
    process.env.STRIPE_API_URL = url;
    const client = await stripeClient();
    expect([apiField(client, "host"), Number(apiField(client, "port")), apiField(client, "protocol")]).toEqual([host, port, protocol]);
  });

  it("talks to api.stripe.com when STRIPE_API_URL is empty", async () => {
    process.env.STRIPE_API_URL = "";
    const client = await stripeClient();
    expect([apiField(client, "host"), Number(apiField(client, "port")), apiField(client, "protocol")]).toEqual([
      "api.stripe.com",
      443,
      "https",
    ]);
  });

  it("refuses to start without a secret key", async () => {
    process.env.STRIPE_SECRET_KEY = "";
    await expect(stripeClient()).rejects.toThrow("STRIPE_SECRET_KEY is not configured");
  });
});

describe("the Firestore adapter", () => {
  it("uses the default app even when the process already holds a named app of another project", async () => {
    initializeApp({ projectId: "someone-elses-project" }, "named");
    // projectId is public on the Firestore client but missing from firebase-admin's typings
    expect((db() as unknown as { projectId: string }).projectId).toBe(process.env.GCLOUD_PROJECT);
    expect(db()).toBe(db());
  });

  it("tells ALREADY_EXISTS from a create() on an existing document apart from every other failure", async () => {
    const ref = db()
      .collection("adapter_test")
      .doc(`d${Date.now()}${Math.random().toString(36).slice(2)}`);
    await ref.create({ n: 1 });
    const clash = await ref.create({ n: 2 }).catch((e: unknown) => e);
    expect(isAlreadyExists(clash)).toBe(true);
    expect((await ref.get()).data()).toEqual({ n: 1 });
    for (const other of [{ code: 5 }, { code: 10 }, { code: "6" }, { code: "ALREADY_EXISTS" }, new Error("x"), null, undefined, 6]) {
      expect(isAlreadyExists(other)).toBe(false);
    }
  });

  it("stamps a write with the current time as a Firestore Timestamp", () => {
    const before = Date.now();
    const t = now();
    expect(t.toMillis()).toBeGreaterThanOrEqual(before);
    expect(t.toMillis()).toBeLessThanOrEqual(Date.now());
    expect(typeof t.toDate).toBe("function");
  });

  it("names the collections of the data contract (README's collection table)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { COLLECTIONS } = fresh(() => require("../src/shared/firestore") as typeof import("../src/shared/firestore"));
    expect(COLLECTIONS).toMatchObject({
      preorders: "preorders",
      preorderNumbers: "preorder_numbers",
      stripeCustomers: "stripe_customers",
      paymentIntents: "stripe_payment_intents",
      stripeEvents: "stripe_events",
      klaviyoDeliveries: "klaviyo_deliveries",
    });
    expect(new Set(Object.values(COLLECTIONS)).size).toBe(Object.values(COLLECTIONS).length);
  });
});
