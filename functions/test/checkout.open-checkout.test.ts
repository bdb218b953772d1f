/**
 * Racing checkouts for one email and colour: the claim in `open_checkouts` that makes a second click wait for
 * the first instead of making a second order. Through the callable's `.run()` with the real Stripe SDK against
 * the local Stripe server and the real Admin SDK against the test Firestore. Where a race needs one order of
 * events, the Admin SDK's own read or delete of the claim is held (then sent unchanged) until the other side
 * has acted: no timing margins.
 */
import { HttpsError } from "firebase-functions/v2/https";
import type * as AdminFirestore from "firebase-admin/firestore";
import { openCheckoutRef } from "../src/checkout/open-checkout";
import { db, firestoreModule } from "../src/shared/firestore";
import { callCheckout as call, failureOf, localStripePerTest, uniqueEmail as unique } from "./helpers/checkout";

const { Timestamp, DocumentReference } = firestoreModule();
const stripe = localStripePerTest();
/** Claims as the callable writes them carry the TTL field (checkout.abuse checks every claim has one). */
const aDayOn = () => Timestamp.fromMillis(Date.now() + 24 * 3600_000);
afterEach(() => jest.restoreAllMocks());

type Ref = AdminFirestore.DocumentReference;
const sessionRequests = () =>
  stripe()
    .requests()
    .filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions");
const preordersOf = async (email: string) => (await db().collection("preorders").where("email", "==", email).get()).docs;

/** The first `n` reads of `ref` are answered only once all `n` have been read: n calls see the same version. */
function readTogether(ref: Ref, n: number): void {
  const read = DocumentReference.prototype.get;
  let arrived = 0;
  let allRead!: () => void;
  const together = new Promise<void>((r) => (allRead = r));
  jest.spyOn(DocumentReference.prototype, "get").mockImplementation(async function (this: Ref) {
    const snap = await read.call(this);
    if (this.path !== ref.path || arrived >= n) return snap;
    if (++arrived === n) allRead();
    await together;
    return snap;
  } as never);
}

/** Holds the next delete of `ref` until `letGo()`; `held` resolves once it waits. */
function holdDelete(ref: Ref): { held: Promise<void>; letGo: () => void } {
  const remove = DocumentReference.prototype.delete;
  let letGo!: () => void;
  const gate = new Promise<void>((r) => (letGo = r));
  let waiting!: () => void;
  const held = new Promise<void>((r) => (waiting = r));
  const spy = jest.spyOn(DocumentReference.prototype, "delete").mockImplementation(async function (this: Ref, ...args) {
    if (this.path === ref.path) {
      spy.mockRestore();
      waiting();
      await gate;
    }
    return remove.apply(this, args);
  });
  return { held, letGo };
}

it("a call still preparing the same preorder is waited for at most 20 s, then the answer is 'aborted' and nothing is touched", async () => {
  const email = unique("busy");
  const open = openCheckoutRef(email, "khaki");
  // another call's claim, alive for 60 s more: far longer than a racer waits, even on a loaded machine
  const claim = { state: "pending", claimant: "other", claimedAt: Timestamp.fromMillis(Date.now() - 30_000), expireAt: aDayOn() };
  await open.set(claim);
  const started = Date.now();
  const err = await failureOf(call({ email, color: "khaki" }));
  const waited = Date.now() - started;
  expect(err).toBeInstanceOf(HttpsError);
  expect([(err as HttpsError).code, (err as HttpsError).message]).toEqual([
    "aborted",
    "The same preorder is still being prepared, please retry",
  ]);
  expect(waited).toBeGreaterThanOrEqual(20_000);
  expect(waited).toBeLessThan(45_000); // it gave up at its own deadline, not when the claim went stale
  expect((await open.get()).data()).toEqual(claim);
  expect(stripe().requests()).toHaveLength(0);
}, 70_000);

it("while the first call prepares the checkout, its claim lives a day (the TTL never removes a claim in use)", async () => {
  const email = unique("pending");
  const open = openCheckoutRef(email, "white");
  stripe().server.failNext({ status: 200, delayMs: 1_500, path: "/v1/checkout/sessions" });
  const first = call({ email, color: "white" });
  let claim = await open.get();
  while (!claim.exists) claim = await open.get();
  expect(claim.get("state")).toBe("pending");
  const ttl = claim.get("expireAt").toMillis() - Date.now();
  expect(ttl).toBeGreaterThan(23.9 * 3600_000);
  expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
  const result = await first;
  expect((await open.get()).data()).toMatchObject({ state: "open", preorderId: result.preorderId });
});

it("two clicks that both find an abandoned claim make one preorder and one session, and both get it", async () => {
  const email = unique("takeover");
  const open = openCheckoutRef(email, "black");
  // a call that died 2 minutes ago: its claim may be taken over
  await open.set({ state: "pending", claimant: "died", claimedAt: Timestamp.fromMillis(Date.now() - 120_000), expireAt: aDayOn() });
  readTogether(open, 2); // both calls read the abandoned claim before either takes it over
  // both settle before anything is checked: a call left running would spill into the next test
  const settled = await Promise.allSettled([call({ email, color: "black" }), call({ email, color: "black" })]);
  const [a, b] = settled.map((r) => {
    if (r.status === "rejected") throw r.reason;
    return r.value;
  });
  expect(b).toEqual(a);
  expect(sessionRequests()).toHaveLength(1);
  expect((await preordersOf(email)).map((d) => d.id)).toEqual([a.preorderId]);
  expect((await open.get()).data()).toMatchObject({ state: "open", preorderId: a.preorderId, sessionId: a.sessionId });
});

it("a call that fails after its claim was taken over leaves the new holder's checkout alone: the next click gets it back", async () => {
  const email = unique("overtaken");
  const open = openCheckoutRef(email, "white");
  stripe().server.failNext({ status: 429, path: "/v1/checkout/sessions" }); // not retried by the SDK
  const { held, letGo } = holdDelete(open);
  const first = failureOf(call({ email, color: "white" }));
  // the first call's Stripe call failed; it is about to give its claim back
  await Promise.race([held, first.then(() => Promise.reject(new Error("the first call ended without giving its claim back")))]);
  let second;
  try {
    // meanwhile its claim looks abandoned (the call has been slow for 2 minutes) and a second click takes it over
    await open.update({ claimedAt: Timestamp.fromMillis(Date.now() - 120_000) });
    second = await call({ email, color: "white" });
  } finally {
    letGo();
  }
  expect(((await first) as HttpsError).code).toBe("resource-exhausted");
  // a third click finds the second's checkout: no new session, no second preorder
  expect(await call({ email, color: "white" })).toEqual(second);
  expect(sessionRequests().filter((r) => !r.failed)).toHaveLength(1);
  expect((await preordersOf(email)).map((d) => d.id)).toEqual([second.preorderId]);
  expect((await open.get()).data()).toMatchObject({ state: "open", preorderId: second.preorderId });
});

it("a slow call whose claim was taken over meanwhile makes no second preorder: it asks for a retry, which gets the new holder's checkout", async () => {
  const email = unique("slow");
  const open = openCheckoutRef(email, "khaki");
  stripe().server.failNext({ status: 200, delayMs: 4_000, path: "/v1/checkout/sessions" }); // Stripe answers the first call slowly
  const first = failureOf(call({ email, color: "khaki" }));
  let claim = await open.get();
  while (!claim.exists) claim = await open.get();
  // the first call looks abandoned (slow for 2 minutes) and a second click takes its claim over
  await open.update({ claimedAt: Timestamp.fromMillis(Date.now() - 120_000) });
  const second = await call({ email, color: "khaki" });
  const err = (await first) as HttpsError;
  expect([err.code, err.message]).toEqual(["unavailable", "The preorder could not be created, please retry"]);
  expect((await preordersOf(email)).map((d) => d.id)).toEqual([second.preorderId]);
  expect((await open.get()).data()).toMatchObject({ state: "open", preorderId: second.preorderId, sessionId: second.sessionId });
  // the retry is handed the second call's checkout
  expect(await call({ email, color: "khaki" })).toEqual(second);
});
