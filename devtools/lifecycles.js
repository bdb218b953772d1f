"use strict";
/**
 * Preorder lifecycles at scale, for the reconcile tests and the chaos run: each makes a preorder as the
 * callable would (the document, and a session with the callable's metadata on the local Stripe server),
 * then runs the shopper's actions on the local Stripe server, which records every event (GET /v1/events)
 * and returns them in Stripe's order, undelivered. `expected` is the status the preorder must end in.
 */

/**
 * The Payment Link that sells the offer: the webhook makes preorders only of foreign sessions from a link in
 * STRIPE_PAYMENT_LINKS (or carrying the offer's Price), so whoever runs these lifecycles lists it there.
 */
const OFFER_LINK = "plink_rolitt_offer";

/** Every lifecycle of DESIGN.md, with the status each must end in. */
const KINDS = {
  pay: { expected: "succeeded", steps: (s, id) => s.pay(id) },
  "decline then pay": { expected: "succeeded", steps: (s, id) => [...s.decline(id), ...s.pay(id)] },
  "decline twice then expire": {
    expected: "expired",
    steps: (s, id) => [...s.decline(id), ...s.decline(id, { message: "Your card has insufficient funds." }), ...s.expire(id)],
  },
  "async payment succeeded": { expected: "succeeded", steps: (s, id) => [...s.pay(id, { async: true }), ...s.settle(id, "succeeded")] },
  "async payment failed": { expected: "failed", steps: (s, id) => [...s.pay(id, { async: true }), ...s.settle(id, "failed")] },
  "pay then refund": { expected: "refunded", steps: (s, id) => [...s.pay(id), ...s.refund(id)] },
  "Payment Link sale": { expected: "succeeded", foreign: true, steps: (s, id) => s.pay(id) },
};
const KIND_NAMES = Object.keys(KINDS);

/**
 * @param {{stripe: any, db: FirebaseFirestore.Firestore, newPreorder: Function, kind: string, n: number, tag?: string}} o
 *   `stripe` is a StripeServer; `newPreorder` the built or source factory (functions/src/preorder/new-preorder).
 * @returns {Promise<{kind, preorderId, sessionId, expected, foreign, events}>} the preorder document is written; the events are not delivered
 */
async function makeLifecycle({ stripe, db, newPreorder, kind, n, tag = "rc" }) {
  const k = KINDS[kind];
  if (!k) throw new Error(`unknown lifecycle ${kind}`);
  if (k.foreign) {
    const sessionId = stripe.createForeignSession({
      email: `walkin.${tag}${n}@example.com`,
      amount: 12800,
      currency: "hkd",
      paymentLink: OFFER_LINK,
    });
    return {
      kind,
      preorderId: `stripe-${sessionId}`,
      sessionId,
      expected: k.expected,
      foreign: true,
      events: k.steps(stripe.state, sessionId),
    };
  }
  const preorderId = db.collection("preorders").doc().id;
  const metadata = {
    preorder_id: preorderId,
    preorder_number: `ROL-${String(10_000_000 + (n % 90_000_000))}`,
    color: ["khaki", "black", "white"][n % 3],
    email: `${tag}${n}@example.com`,
    locale: "en",
  };
  const customer = stripe.state.createCustomer({ email: metadata.email });
  const session = stripe.state.createSession(
    {
      mode: "payment",
      customer: customer.id,
      line_items: [{ price_data: { currency: "usd", unit_amount: "9900", product_data: { name: "Rolitt preorder" } }, quantity: "1" }],
      success_url: "http://127.0.0.1:5000/success.html?session_id={CHECKOUT_SESSION_ID}",
      client_reference_id: preorderId,
      metadata,
      payment_intent_data: { metadata },
    },
    stripe.prices,
  );
  const at = new Date();
  await db
    .collection("preorders")
    .doc(preorderId)
    .set({
      ...newPreorder({
        preorderId,
        preorderNumber: metadata.preorder_number,
        email: metadata.email,
        color: metadata.color,
        locale: "en",
        amount: 9900,
        currency: "usd",
        stripe: { customerId: customer.id, sessionId: session.id },
      }),
      createdAt: at,
      updatedAt: at,
    });
  return { kind, preorderId, sessionId: session.id, expected: k.expected, foreign: false, events: k.steps(stripe.state, session.id) };
}

module.exports = { KINDS, KIND_NAMES, OFFER_LINK, makeLifecycle };
