/**
 * Issue #10 items 6–7: the email → Stripe customer mapping heals, is kept per Stripe mode, and a stranger who
 * types someone's email neither sees nor changes anything of theirs. Through the callable's `.run()`, the
 * real Stripe SDK and the local Stripe server (which records every request's parameters).
 */
import { emailKey, findOrCreateCustomer, isMissingCustomerError, replaceMissingCustomer } from "../src/checkout/customer";
import * as firestoreShared from "../src/shared/firestore";
import { db, firestoreModule } from "../src/shared/firestore";
import { callCheckout as call, localStripePerTest, uniqueEmail as unique } from "./helpers/checkout";

const { Timestamp } = firestoreModule();
const stripe = localStripePerTest();

const customerOf = async (preorderId: string) =>
  (await db().collection("preorders").doc(preorderId).get()).get("stripe.customerId") as string;
const sessionRequests = () =>
  stripe()
    .requests()
    .filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions");

/** Delete a customer the way the Dashboard or the API does. */
async function deleteCustomer(id: string) {
  const res = await fetch(`${stripe().url}/v1/customers/${id}`, {
    method: "DELETE",
    headers: { authorization: "Bearer sk_test_local_only" },
  });
  expect(await res.json()).toEqual({ id, object: "customer", deleted: true });
}

describe("the customer mapping heals (#10.6)", () => {
  it("a mapped customer deleted in Stripe is replaced and the checkout succeeds", async () => {
    const email = unique("healed");
    const first = await call({ email, color: "khaki" });
    const dead = await customerOf(first.preorderId);
    await deleteCustomer(dead);

    const second = await call({ email, color: "black" });
    const replacement = await customerOf(second.preorderId);
    expect(replacement).not.toBe(dead);
    expect(stripe().server.state.customers.has(replacement)).toBe(true);
    expect(
      (
        await db()
          .collection("stripe_customers")
          .doc(`${emailKey(email)}_test`)
          .get()
      ).get("customerId"),
    ).toBe(replacement);
    // the session that reached Stripe names the live customer
    expect(sessionRequests().at(-1)!.params.customer).toBe(replacement);
    // under a key of its own: Stripe keeps the refused request's answer for its key (a 400) and would replay it
    expect(sessionRequests().map((r) => r.idempotencyKey)).toEqual([
      `rolitt-checkout-${first.preorderId}`,
      `rolitt-checkout-${second.preorderId}`,
      `rolitt-checkout-${second.preorderId}-healed`,
    ]);
    // and the next checkout uses the healed mapping without asking Stripe about customers
    const before = stripe().requests().length;
    await call({ email, color: "white" });
    expect(
      stripe()
        .requests()
        .slice(before)
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual(["POST /v1/checkout/sessions"]);
  });

  it("racing checkouts after a deletion agree on one replacement", async () => {
    const email = unique("healrace");
    const first = await call({ email, color: "khaki" });
    await deleteCustomer(await customerOf(first.preorderId));
    await db().collection("preorders").doc(first.preorderId).update({ status: "expired" });
    const results = await Promise.all(["khaki", "black", "white"].map((color) => call({ email, color })));
    const customers = new Set(await Promise.all(results.map((r) => customerOf(r.preorderId))));
    expect(customers.size).toBe(1);
    expect(stripe().server.state.listCustomers({ email }).data).toHaveLength(1);
  });

  it("mappings are kept per Stripe mode: a test-mode customer never reaches a live-mode session", async () => {
    const email = unique("modes");
    const test = await call({ email, color: "khaki" });
    const testCustomer = await customerOf(test.preorderId);
    // This local server keeps one account for both modes; removing the test customer stands for "live mode
    // has never heard of it", as on Stripe.
    await deleteCustomer(testCustomer);
    const key = process.env.STRIPE_SECRET_KEY;
    process.env.STRIPE_SECRET_KEY = "sk_live_local_only";
    try {
      const live = await call({ email, color: "black" });
      const liveCustomer = await customerOf(live.preorderId);
      expect(liveCustomer).not.toBe(testCustomer);
      // no live-mode request ever named the test customer
      expect(
        sessionRequests()
          .slice(1)
          .map((r) => r.params.customer),
      ).not.toContain(testCustomer);
      expect(
        (
          await db()
            .collection("stripe_customers")
            .doc(`${emailKey(email)}_live`)
            .get()
        ).get("customerId"),
      ).toBe(liveCustomer);
    } finally {
      process.env.STRIPE_SECRET_KEY = key;
    }
    expect(
      (
        await db()
          .collection("stripe_customers")
          .doc(`${emailKey(email)}_test`)
          .get()
      ).get("customerId"),
    ).toBe(testCustomer);
  });
});

describe("a stranger who types someone's email sees and changes nothing of theirs (#10.7)", () => {
  it("a customer made elsewhere is not adopted, and the session neither shows saved payment methods nor updates the customer", async () => {
    const email = unique("victim");
    const victim = stripe().server.state.createCustomer({ email, name: "Real Owner" });
    victim.address = { line1: "1 Owner Street", city: "Hong Kong", country: "HK", line2: null, postal_code: null, state: null };
    const result = await call({ email, color: "khaki" });

    const session = sessionRequests()[0]!.params;
    expect(session.customer).not.toBe(victim.id);
    expect(session.customer).toBe(await customerOf(result.preorderId));
    expect(session).not.toHaveProperty("customer_update");
    expect(session.saved_payment_method_options).toEqual({ payment_method_save: "disabled", payment_method_remove: "disabled" });
    // the owner's record is untouched, and ours carries no name or address of anyone
    expect(stripe().server.state.customers.get(victim.id)).toMatchObject({ name: "Real Owner", address: { line1: "1 Owner Street" } });
    expect(
      stripe()
        .requests()
        .filter((r) => r.path.startsWith(`/v1/customers/${victim.id}`)),
    ).toHaveLength(0);

    // the buyer's details come back on the preorder, not on a customer (through the webhook, see webhook.lifecycle)
    expect(stripe().server.state.customers.get(session.customer).metadata).toEqual({ source: "rolitt-preorder" });
  });
});

describe("healing the mapping, step by step (replaceMissingCustomer)", () => {
  const mapping = (email: string) =>
    db()
      .collection("stripe_customers")
      .doc(`${emailKey(email)}_test`);
  const client = async () => (await import("../src/shared/stripe-client")).stripeClient();

  it("a refusal while Stripe still has the customer changes nothing (the refusal was about something else)", async () => {
    const email = unique("alive");
    const live = await customerOf((await call({ email, color: "khaki" })).preorderId);
    const before = (await mapping(email).get()).data();
    expect(await replaceMissingCustomer(await client(), email, "test", live)).toBeNull();
    expect((await mapping(email).get()).data()).toEqual(before);
    expect(
      stripe()
        .requests()
        .filter((r) => r.method === "POST" && r.path === "/v1/customers"),
    ).toHaveLength(1);
  });

  it("a customer Stripe answers 404 for is gone: the replacement keeps when the email was first mapped and names what it replaced", async () => {
    const email = unique("never");
    const firstMapped = Timestamp.fromMillis(1_700_000_000_000);
    await mapping(email).set({ customerId: "cus_neverexisted", mode: "test", createdAt: firstMapped });
    const replacement = await replaceMissingCustomer(await client(), email, "test", "cus_neverexisted");
    expect(replacement).toMatch(/^cus_/);
    expect(stripe().server.state.customers.get(replacement!).metadata).toEqual({ source: "rolitt-preorder" });
    expect((await mapping(email).get()).data()).toMatchObject({
      customerId: replacement,
      replaced: "cus_neverexisted",
      createdAt: firstMapped,
    });
  });

  it("a racer that healed the mapping first wins: its customer is kept, even where this call found another", async () => {
    const email = unique("healedfirst");
    const theirs = stripe().server.state.createCustomer({ email, metadata: { source: "rolitt-preorder" } }).id;
    await mapping(email).set({ customerId: theirs, mode: "test" });
    // a newer customer of ours comes first in Stripe's list: this call alone would pick it
    const newer = stripe().server.state.createCustomer({ email, metadata: { source: "rolitt-preorder" } }).id;
    expect(await replaceMissingCustomer(await client(), email, "test", "cus_neverexisted")).toBe(theirs);
    expect((await mapping(email).get()).get("customerId")).toBe(theirs);
    expect(newer).not.toBe(theirs);
  });

  it("a customer of ours that Stripe still lists for the email is adopted: no second customer", async () => {
    const email = unique("adopt");
    const ours = stripe().server.state.createCustomer({ email, metadata: { source: "rolitt-preorder" } }).id;
    await mapping(email).set({ customerId: "cus_neverexisted", mode: "test" });
    expect(await replaceMissingCustomer(await client(), email, "test", "cus_neverexisted")).toBe(ours);
    expect((await mapping(email).get()).get("customerId")).toBe(ours);
    expect(
      stripe()
        .requests()
        .filter((r) => r.method === "POST" && r.path === "/v1/customers"),
    ).toHaveLength(0);
  });

  it("the customer Stripe just called missing is never adopted again, even while the email's list still shows it", async () => {
    const email = unique("stilllisted");
    const dead = stripe().server.state.createCustomer({ email, metadata: { source: "rolitt-preorder" } }).id;
    await mapping(email).set({ customerId: dead, mode: "test" });
    stripe().server.failNext({ status: 404, path: `/v1/customers/${dead}` });
    const replacement = await replaceMissingCustomer(await client(), email, "test", dead);
    expect(replacement).toMatch(/^cus_/);
    expect(replacement).not.toBe(dead);
    expect((await mapping(email).get()).get("customerId")).toBe(replacement);
  });

  it("racing replacements of one dead customer make one customer: the create is keyed on the email and the dead id", async () => {
    const email = unique("racekey");
    await mapping(email).set({ customerId: "cus_neverexisted", mode: "test" });
    // both racers' look-ups (retrieve, then list) answer slowly, so neither list sees the other's new customer
    stripe().server.failNext({ count: 4, status: 200, delayMs: 300, path: "/v1/customers" });
    const stripeClient = await client();
    const [a, b] = await Promise.all([1, 2].map(() => replaceMissingCustomer(stripeClient, email, "test", "cus_neverexisted")));
    expect(a).toBe(b);
    expect(
      stripe()
        .server.state.listCustomers({ email })
        .data.map((c: { id: string }) => c.id),
    ).toEqual([a]);
    const creates = stripe()
      .requests()
      .filter((r) => r.method === "POST" && r.path === "/v1/customers");
    expect(creates.map((r) => r.idempotencyKey)).toEqual(Array(2).fill(`rolitt-customer-test-${emailKey(email)}-after-cus_neverexisted`));
  });

  it("a Stripe failure while checking the customer (not a 404) is passed on: nothing is replaced", async () => {
    const email = unique("checkfails");
    const live = stripe().server.state.createCustomer({ email, metadata: { source: "rolitt-preorder" } }).id;
    await mapping(email).set({ customerId: live, mode: "test" });
    // the SDK tries three times (maxNetworkRetries 2)
    stripe().server.failNext({ count: 3, status: 500, path: `/v1/customers/${live}` });
    await expect(replaceMissingCustomer(await client(), email, "test", live)).rejects.toMatchObject({ statusCode: 500 });
    expect((await mapping(email).get()).data()).toEqual({ customerId: live, mode: "test" });
    expect(
      stripe()
        .requests()
        .filter((r) => r.path === "/v1/customers"),
    ).toHaveLength(0);
  });

  it("a failed mapping write (other than 'already mapped') is passed on, not read back as an unmapped customer", async () => {
    const email = unique("mapwrite");
    const unavailable = Object.assign(new Error("14 UNAVAILABLE: no connection"), { code: 14 });
    // our own clock helper stands in for the write: it is called only while the mapping is written
    const clock = jest.spyOn(firestoreShared, "now").mockImplementationOnce(() => {
      throw unavailable;
    });
    try {
      await expect(findOrCreateCustomer(await client(), email, "test")).rejects.toBe(unavailable);
    } finally {
      clock.mockRestore();
    }
    expect((await mapping(email).get()).exists).toBe(false);
    // the next try maps the customer Stripe made (the same one: the create is idempotent)
    const made = stripe().server.state.listCustomers({ email }).data[0].id;
    expect(await findOrCreateCustomer(await client(), email, "test")).toBe(made);
    expect((await mapping(email).get()).get("customerId")).toBe(made);
  });
});

describe("which Stripe refusals mean 'this customer is missing'", () => {
  it.each([
    [{ type: "StripeInvalidRequestError", code: "resource_missing", param: "customer" }, true],
    [{ type: "StripeInvalidRequestError", code: "resource_missing", param: "price" }, false],
    [{ type: "StripeInvalidRequestError", code: "parameter_invalid", param: "customer" }, false],
    [{ type: "StripeAPIError", code: "resource_missing", param: "customer" }, false],
    [null, false],
    [undefined, false],
  ])("%p → %p", (err, missing) => {
    expect(isMissingCustomerError(err)).toBe(missing);
  });
});
