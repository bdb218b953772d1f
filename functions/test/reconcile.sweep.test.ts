/**
 * reconcile/sweep.ts when the world moves while it asks Stripe: the webhook applies the payment, or the
 * preorder is gone, between the sweep's query and its transaction. Against the Firestore server, with the
 * session Stripe answers injected and a clock in 2001, so only this file's preorders are old enough to sweep.
 */
import type Stripe from "stripe";
import { newPreorder } from "../src/preorder/new-preorder";
import { sweepExpired } from "../src/reconcile/sweep";
import { db, firestoreModule } from "../src/shared/firestore";

const NOW = Date.UTC(2001, 0, 3);
const preorders = () => db().collection("preorders");
const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((id) => preorders().doc(id).delete()));
});

async function stale(id: string) {
  made.push(id);
  const at = firestoreModule().Timestamp.fromMillis(Date.UTC(2001, 0, 1));
  const doc = newPreorder({
    preorderId: id,
    preorderNumber: "ROL-20010101",
    email: `${id}@example.com`,
    color: "khaki",
    locale: "en",
    amount: 9900,
    currency: "usd",
  });
  await preorders()
    .doc(id)
    .set({ ...doc, stripe: { sessionId: `cs_${id}`, customerId: null, paymentIntentId: null }, createdAt: at, updatedAt: at });
}

const expiredSession = (id: string) =>
  ({
    object: "checkout.session",
    id: `cs_${id}`,
    mode: "payment",
    status: "expired",
    payment_status: "unpaid",
    expires_at: NOW / 1000 - 3600,
    client_reference_id: id,
    metadata: { preorder_id: id },
    amount_total: 9900,
    currency: "usd",
    payment_intent: null,
    customer_details: { email: `${id}@example.com` },
  }) as unknown as Stripe.Checkout.Session;

const deps = (whileAsking: (id: string) => Promise<unknown>) => ({
  retrieveSession: async (sessionId: string) => {
    const id = sessionId.slice("cs_".length);
    await whileAsking(id);
    return expiredSession(id);
  },
  nowMs: () => NOW,
  sleep: async () => undefined,
});

it("an expired session applies: the sweep's own case, for comparison", async () => {
  await stale("sweepRaceBase");
  expect(await sweepExpired(deps(async () => undefined))).toEqual({
    examined: 1,
    applied: 1,
    unchanged: 0,
    left: 0,
    errors: 0,
    changed: ["sweepRaceBase"],
  });
  // stamped like an event of the sweep's time: later webhook events are ordered against it
  expect((await preorders().doc("sweepRaceBase").get()).data()).toMatchObject({
    status: "expired",
    lastEventCreated: NOW / 1000,
    lastEventId: "sweep:cs_sweepRaceBase",
  });
});

it("a payment the webhook applies while the sweep asks Stripe wins: the preorder stays paid, counted unchanged", async () => {
  await stale("sweepRacePaid");
  const paidMeanwhile = (id: string) =>
    preorders()
      .doc(id)
      // the webhook's write: paid, with the buyer's details, so the expired session has nothing left to add
      .update({ status: "succeeded", lastEventCreated: NOW / 1000 + 60, customer: { name: "Ada Shopper", email: `${id}@example.com` } });
  expect(await sweepExpired(deps(paidMeanwhile))).toEqual({ examined: 1, applied: 0, unchanged: 1, left: 0, errors: 0, changed: [] });
  expect((await preorders().doc("sweepRacePaid").get()).get("status")).toBe("succeeded");
});

it("a preorder deleted while the sweep asks Stripe is not brought back, counted unchanged", async () => {
  await stale("sweepRaceGone");
  const deletedMeanwhile = (id: string) => preorders().doc(id).delete();
  expect(await sweepExpired(deps(deletedMeanwhile))).toEqual({ examined: 1, applied: 0, unchanged: 1, left: 0, errors: 0, changed: [] });
  expect((await preorders().doc("sweepRaceGone").get()).exists).toBe(false);
});
