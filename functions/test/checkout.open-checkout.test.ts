/**
 * Racing checkouts for one email and colour: the claim in `open_checkouts` that makes a second click wait for
 * the first instead of making a second order. Through the callable's `.run()` with the real Stripe SDK against
 * the local Stripe server and the real Admin SDK against the test Firestore.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { openCheckoutRef } from "../src/checkout/open-checkout";
import { firestoreModule } from "../src/shared/firestore";
import { callCheckout as call, failureOf, localStripePerTest, uniqueEmail as unique } from "./helpers/checkout";

const { Timestamp } = firestoreModule();
const stripe = localStripePerTest();

it("a call still preparing the same preorder is waited for at most 20 s, then the answer is 'aborted' and nothing is touched", async () => {
  const email = unique("busy");
  const open = openCheckoutRef(email, "khaki");
  // another call's claim, alive for 60 s more: far longer than a racer waits, even on a loaded machine
  const claim = { state: "pending", claimant: "other", claimedAt: Timestamp.fromMillis(Date.now() - 30_000) };
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
