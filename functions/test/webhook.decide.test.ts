/**
 * The webhook's pure core, table-driven and without I/O: what each Stripe event proves (events.ts) and what
 * the decision writes for it (decide.ts). The integration suites reach these through HTTP and Firestore; here
 * every branch is pinned so that a changed operator or constant fails a named case.
 */
import type Stripe from "stripe";
import {
  decide,
  disputeState,
  foreignPreorderId,
  foreignPreorderNumber,
  holdFor,
  mismatch,
  needsLineItems,
  type OfferMatch,
  notTheOffer,
  type Stored,
} from "../src/webhook/decide";
import { disputedCharge, HANDLED_EVENT_TYPES, shippingOf, toPreorderChange, type PreorderChange } from "../src/webhook/events";

const ADDRESS = { city: "Hong Kong", country: "HK", line1: "1 Harbour Road", line2: null, postal_code: null, state: null };

function stored(over: Partial<Stored> = {}): Stored {
  return {
    status: "created",
    stripe: { customerId: "cus_1", sessionId: "cs_1", paymentIntentId: null },
    customer: null,
    errorReason: null,
    amountRefunded: 0,
    lastEventCreated: null,
    lastEventId: null,
    amount: 9900,
    currency: "usd",
    hold: null,
    flagged: false,
    dispute: null,
    ...over,
  };
}

function change(over: Partial<PreorderChange> = {}): PreorderChange {
  return {
    eventId: "evt_b",
    eventType: "checkout.session.completed",
    created: 100,
    preorderId: "p1",
    paymentIntentId: null,
    sessionId: "cs_1",
    amount: null,
    currency: null,
    status: "succeeded",
    facts: {},
    errorReason: null,
    foreign: null,
    dispute: null,
    ...over,
  };
}

/** A PaymentIntent / charge event's change: tied by PaymentIntent or amount, not by session. */
const piChange = (over: Partial<PreorderChange> = {}) =>
  change({ eventType: "payment_intent.succeeded", sessionId: null, paymentIntentId: "pi_1", amount: 9900, currency: "usd", ...over });

describe("mismatch: only the preorder's own payment may change it", () => {
  const cases: Array<[string, Stored, PreorderChange, string | null]> = [
    ["its own session", stored(), change(), null],
    ["another session", stored(), change({ sessionId: "cs_2" }), "session cs_2 is not this preorder's (cs_1)"],
    [
      "a session when none is stored",
      stored({ stripe: { customerId: null, sessionId: null, paymentIntentId: null } }),
      change(),
      "session cs_1 is not this preorder's (none)",
    ],
    [
      "its own PaymentIntent",
      stored({ stripe: { customerId: null, sessionId: "cs_1", paymentIntentId: "pi_1" } }),
      piChange({ amount: 1 }),
      null,
    ],
    [
      "another PaymentIntent, even of the right amount",
      stored({ stripe: { customerId: null, sessionId: "cs_1", paymentIntentId: "pi_9" } }),
      piChange(),
      "payment intent pi_1 is not this preorder's (pi_9)",
    ],
    ["an unknown PaymentIntent of the right amount and currency", stored(), piChange(), null],
    ["an unknown PaymentIntent of another amount", stored(), piChange({ amount: 100 }), "100 usd is not this preorder's 9900 usd"],
    ["an unknown PaymentIntent of another currency", stored(), piChange({ currency: "hkd" }), "9900 hkd is not this preorder's 9900 usd"],
    [
      "no PaymentIntent and no amount",
      stored(),
      piChange({ paymentIntentId: null, amount: null, currency: null }),
      "nothing ties this event to the preorder's payment",
    ],
    ["an amount without a currency", stored(), piChange({ currency: null }), "nothing ties this event to the preorder's payment"],
    ["a currency without an amount", stored(), piChange({ amount: null }), "nothing ties this event to the preorder's payment"],
    ["a PaymentIntent of the right amount when none is stored", stored(), piChange({ paymentIntentId: "pi_x" }), null],
  ];
  it.each(cases)("%s", (_l, s, c, reason) => expect(mismatch(s, c)).toBe(reason));

  it("decide records a mismatch and writes nothing", () => {
    expect(decide(stored(), change({ sessionId: "cs_evil", facts: { customerId: "cus_x" } }))).toEqual({
      outcome: "mismatch",
      reason: "session cs_evil is not this preorder's (cs_1)",
    });
  });
});

describe("decide without a stored preorder", () => {
  const foreign = {
    sessionId: "cs_f",
    paymentLink: "plink_1",
    email: "a@x.com",
    color: "unspecified",
    locale: "en" as const,
    amount: 12800,
    currency: "hkd",
  };

  it("a paid foreign session becomes a preorder with every field", () => {
    const d = decide(
      null,
      change({ sessionId: "cs_f", foreign, facts: { customerId: "cus_f", paymentIntentId: "pi_f" }, created: 7, eventId: "evt_f" }),
    );
    expect(d).toEqual({
      outcome: "applied",
      create: {
        preorderId: "stripe-cs_f",
        preorderNumber: foreignPreorderNumber("cs_f"),
        email: "a@x.com",
        color: "unspecified",
        locale: "en",
        status: "succeeded",
        amount: 12800,
        currency: "hkd",
        stripe: { customerId: "cus_f", sessionId: "cs_f", paymentIntentId: "pi_f" },
        customer: null,
        errorReason: null,
        amountRefunded: 0,
        lastEventCreated: 7,
        lastEventId: "evt_f",
        origin: "stripe",
        hold: null,
        flagged: false,
        dispute: null,
      },
    });
  });

  it("keeps the customer details and leaves missing ids null", () => {
    const customer = { name: "N", phone: null, shipping: null };
    const d = decide(null, change({ foreign, facts: { customer } }));
    expect(d.create).toMatchObject({ customer, stripe: { customerId: null, sessionId: "cs_f", paymentIntentId: null } });
  });

  it.each([
    ["a foreign session that is not paid", change({ foreign, status: "failed" })],
    ["an event of no foreign session", change()],
  ])("%s is ignored", (_l, c) => expect(decide(null, c)).toEqual({ outcome: "ignored", reason: "no preorder for this event" }));

  it("preorder ids and numbers derive from the session id", () => {
    expect(foreignPreorderId("cs_x")).toBe("stripe-cs_x");
    const n = foreignPreorderNumber("cs_test_abc");
    expect(n).toMatch(/^ROL-[1-9]\d{9}$/);
    expect(foreignPreorderNumber("cs_test_abc")).toBe(n);
    expect(foreignPreorderNumber("cs_test_abd")).not.toBe(n);
    const values = Array.from({ length: 200 }, (_, i) => Number(foreignPreorderNumber(`cs_${i}`).slice(4)));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(1_000_000_000);
    expect(Math.max(...values)).toBeLessThan(10_000_000_000);
  });
});

describe("decide: status moves", () => {
  const cases: Array<[string, Partial<Stored>, Partial<PreorderChange>, ReturnType<typeof decide>]> = [
    [
      "created → succeeded",
      {},
      { status: "succeeded" },
      { outcome: "applied", update: { status: "succeeded", errorReason: null, lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "created → failed keeps the reason",
      {},
      { status: "failed", errorReason: "declined" },
      { outcome: "applied", update: { status: "failed", errorReason: "declined", lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "failed → succeeded clears the reason",
      { status: "failed", errorReason: "declined", lastEventCreated: 200, lastEventId: "evt_z" },
      { status: "succeeded", errorReason: "ignored" },
      { outcome: "applied", update: { status: "succeeded", errorReason: null, lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    ["succeeded ↛ failed", { status: "succeeded" }, { status: "failed" }, { outcome: "stale", reason: "succeeded cannot become failed" }],
    [
      "refunded ↛ succeeded",
      { status: "refunded" },
      { status: "succeeded" },
      { outcome: "stale", reason: "refunded cannot become succeeded" },
    ],
    [
      "same status, newer by time: takes the newer reason",
      { status: "failed", errorReason: "old", lastEventCreated: 99, lastEventId: "evt_z" },
      { status: "failed", errorReason: "new" },
      { outcome: "applied", update: { errorReason: "new", lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "same status, same second, greater id: newer",
      { status: "failed", errorReason: "old", lastEventCreated: 100, lastEventId: "evt_a" },
      { status: "failed", errorReason: "new" },
      { outcome: "applied", update: { errorReason: "new", lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "same status, same second, smaller id: stale",
      { status: "failed", errorReason: "old", lastEventCreated: 100, lastEventId: "evt_c" },
      { status: "failed", errorReason: "new" },
      { outcome: "stale", reason: "an event newer than this one already set failed" },
    ],
    [
      "same status, same second, same id: stale",
      { status: "failed", errorReason: "old", lastEventCreated: 100, lastEventId: "evt_b" },
      { status: "failed", errorReason: "new" },
      { outcome: "stale", reason: "an event newer than this one already set failed" },
    ],
    [
      "same status, older: stale",
      { status: "succeeded", lastEventCreated: 101, lastEventId: "evt_a" },
      { status: "succeeded" },
      { outcome: "stale", reason: "an event newer than this one already set succeeded" },
    ],
    [
      "same status, nothing applied before: newer",
      { status: "created" },
      { status: "created" },
      { outcome: "applied", update: { lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "same status and time, no id stored: newer",
      { status: "created", lastEventCreated: 100, lastEventId: null },
      { status: "created" },
      { outcome: "applied", update: { lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "same failed status and reason: only the order fields",
      { status: "failed", errorReason: "same", lastEventCreated: 1, lastEventId: "evt_a" },
      { status: "failed", errorReason: "same" },
      { outcome: "applied", update: { lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
    [
      "a newer succeeded event never writes a reason",
      { status: "succeeded", errorReason: null, lastEventCreated: 1, lastEventId: "evt_a" },
      { status: "succeeded", errorReason: "x" },
      { outcome: "applied", update: { lastEventCreated: 100, lastEventId: "evt_b" } },
    ],
  ];
  it.each(cases)("%s", (_l, s, c, expected) => expect(decide(stored(s), change(c))).toEqual(expected));
});

describe("decide: facts fill gaps whatever the order", () => {
  const shipping = { name: "A", address: ADDRESS };
  const customer = { name: "A", phone: "+1", shipping };
  const done: Partial<Stored> = { status: "refunded", lastEventCreated: 500, lastEventId: "evt_z" };
  const cases: Array<[string, Partial<Stored>, Partial<PreorderChange>, Record<string, unknown> | null]> = [
    [
      "the PaymentIntent when unknown",
      done,
      { facts: { paymentIntentId: "pi_1" }, paymentIntentId: "pi_1" },
      { "stripe.paymentIntentId": "pi_1" },
    ],
    [
      "not the PaymentIntent when known",
      { ...done, stripe: { customerId: "cus_1", sessionId: "cs_1", paymentIntentId: "pi_1" } },
      { facts: { paymentIntentId: "pi_1" } },
      null,
    ],
    [
      "the customer id when unknown",
      { ...done, stripe: { customerId: null, sessionId: "cs_1", paymentIntentId: null } },
      { facts: { customerId: "cus_2" } },
      { "stripe.customerId": "cus_2" },
    ],
    ["not the customer id when known", done, { facts: { customerId: "cus_2" } }, null],
    ["the customer details when unknown", done, { facts: { customer } }, { customer }],
    ["not the customer details when known", { ...done, customer }, { facts: { customer: { ...customer, name: "B" } } }, null],
    ["a larger refunded amount", { ...done, amountRefunded: 100 }, { facts: { amountRefunded: 101 } }, { amountRefunded: 101 }],
    ["not an equal refunded amount", { ...done, amountRefunded: 100 }, { facts: { amountRefunded: 100 } }, null],
    ["not a smaller refunded amount", { ...done, amountRefunded: 100 }, { facts: { amountRefunded: 99 } }, null],
    ["a first refund of 1", done, { facts: { amountRefunded: 1 } }, { amountRefunded: 1 }],
  ];
  it.each(cases)("%s", (_l, s, c, update) => {
    const d = decide(stored(s), change({ status: "succeeded", ...c }));
    if (update) expect(d).toEqual({ outcome: "applied", update });
    else expect(d).toEqual({ outcome: "stale", reason: "refunded cannot become succeeded" });
  });

  it("a partial refund of a paid order keeps it succeeded; the full amount makes it refunded", () => {
    const paid = stored({
      status: "succeeded",
      lastEventCreated: 1,
      lastEventId: "evt_a",
      stripe: { customerId: null, sessionId: "cs_1", paymentIntentId: "pi_1" },
    });
    const partial = piChange({ eventType: "charge.refunded", status: "succeeded", facts: { amountRefunded: 2500 } });
    expect(decide(paid, partial)).toEqual({
      outcome: "applied",
      update: { amountRefunded: 2500, lastEventCreated: 100, lastEventId: "evt_b" },
    });
    const full = piChange({ eventType: "charge.refunded", status: "refunded", facts: { amountRefunded: 9900 } });
    expect(decide(paid, full).update).toMatchObject({ status: "refunded", amountRefunded: 9900 });
  });
});

describe("disputes", () => {
  const d = (status: string, over: Partial<{ id: string; reason: string; created: number }> = {}) => ({
    id: "dp_1",
    status,
    reason: "fraudulent",
    created: 1000,
    ...over,
  });
  const paid: Partial<Stored> = {
    status: "succeeded",
    lastEventCreated: 50,
    lastEventId: "evt_a",
    stripe: { customerId: null, sessionId: "cs_1", paymentIntentId: "pi_1" },
  };
  const disputeChange = (dispute: ReturnType<typeof d>, over: Partial<PreorderChange> = {}) =>
    piChange({ eventType: "charge.dispute.created", amount: null, currency: null, dispute, created: 40, ...over });
  const HOLD = { reason: "dispute", since: new Date(1_000_000), disputeId: "dp_1" };

  it.each([
    ["needs_response", { id: "dp_1", status: "needs_response", reason: "fraudulent" }, HOLD],
    ["warning_needs_response", { id: "dp_1", status: "warning_needs_response", reason: "fraudulent" }, HOLD],
    ["under_review", { id: "dp_1", status: "under_review", reason: "fraudulent" }, HOLD],
    ["won", { id: "dp_1", status: "won", reason: "fraudulent", outcome: "won" }, null],
    ["lost", { id: "dp_1", status: "lost", reason: "fraudulent", outcome: "lost" }, HOLD],
    ["warning_closed", { id: "dp_1", status: "warning_closed", reason: "fraudulent" }, null],
    ["prevented", { id: "dp_1", status: "prevented", reason: "fraudulent" }, null],
  ])("%s: state and hold", (status, state, hold) => {
    expect(disputeState(d(status))).toEqual(state);
    expect(holdFor(d(status))).toEqual(hold);
    const decision = decide(stored(paid), disputeChange(d(status)));
    expect(decision).toEqual({ outcome: "applied", update: { dispute: state, ...(hold ? { hold } : {}) } });
  });

  it("a later stage wins, an earlier one is stale, whatever the order", () => {
    const stages = ["warning_needs_response", "warning_under_review", "needs_response", "under_review", "won"];
    for (let i = 0; i < stages.length; i++) {
      for (let j = 0; j < stages.length; j++) {
        const s = stored({ ...paid, dispute: disputeState(d(stages[i]!)) });
        const out = decide(s, disputeChange(d(stages[j]!)));
        if (j > i) expect(out.update?.dispute).toEqual(disputeState(d(stages[j]!)));
        else expect(out.outcome).toBe("stale");
      }
    }
  });

  it.each([
    ["a greater dispute id at the same stage", { id: "dp_2" }, true],
    ["a smaller dispute id", { id: "dp_0" }, false],
    ["a smaller reason, same id", { reason: "abuse" }, false],
    ["a greater reason, same id", { reason: "zz" }, true],
  ])("ties at one stage are broken by value: %s", (_l, over, wins) => {
    const s = stored({ ...paid, dispute: disputeState(d("needs_response")) });
    const out = decide(s, disputeChange(d("needs_response", over)));
    expect(out.outcome === "applied").toBe(wins);
  });

  it("closed lost then won-stage values: lost vs won is decided by value, not arrival", () => {
    const lostFirst = decide(stored({ ...paid, dispute: disputeState(d("lost")) }), disputeChange(d("won")));
    const wonFirst = decide(stored({ ...paid, dispute: disputeState(d("won")) }), disputeChange(d("lost")));
    expect([lostFirst.outcome, wonFirst.outcome].sort()).toEqual(["applied", "stale"]);
  });

  it("an unknown status ranks below every known one", () => {
    const s = stored({ ...paid, dispute: disputeState(d("warning_needs_response")) });
    expect(decide(s, disputeChange(d("some_new_status"))).outcome).toBe("stale");
    expect(decide(stored(paid), disputeChange(d("some_new_status"))).update).toMatchObject({ dispute: { status: "some_new_status" } });
  });

  it("a hold set for another reason is not the webhook's to change", () => {
    const manual = { reason: "address check", since: new Date(5) };
    expect(decide(stored({ ...paid, hold: manual }), disputeChange(d("needs_response")))).toEqual({
      outcome: "applied",
      update: { dispute: disputeState(d("needs_response")) },
    });
    expect(decide(stored({ ...paid, hold: manual }), disputeChange(d("won"))).update).not.toHaveProperty("hold");
  });

  it("won clears the dispute's hold; won without a hold writes no hold field", () => {
    expect(decide(stored({ ...paid, hold: HOLD, dispute: disputeState(d("needs_response")) }), disputeChange(d("won"))).update).toEqual({
      dispute: disputeState(d("won")),
      hold: null,
    });
    expect(decide(stored({ ...paid, hold: undefined }), disputeChange(d("won"))).update).toEqual({ dispute: disputeState(d("won")) });
  });

  it("a dispute that overtook the payment also moves created → succeeded", () => {
    const out = decide(
      stored({ stripe: { customerId: null, sessionId: "cs_1", paymentIntentId: "pi_1" } }),
      disputeChange(d("needs_response")),
    );
    expect(out.update).toMatchObject({ status: "succeeded", hold: HOLD });
  });
});

describe("which foreign sessions sell the offer", () => {
  const offer: OfferMatch = { paymentLinks: ["plink_a", "plink_b"], priceId: "price_1" };
  const cases: Array<[string, string | null, typeof offer, string[] | null, string | null, boolean]> = [
    ["a listed Payment Link", "plink_b", offer, null, null, false],
    ["a listed Payment Link, no price configured", "plink_a", { ...offer, priceId: null }, null, null, false],
    ["the Price", "plink_x", offer, ["price_0", "price_1"], null, true],
    ["the Price, no link", null, offer, ["price_1"], null, true],
    ["another Price", "plink_x", offer, ["price_2"], "not a sale of the offer (payment link plink_x, price price_2)", true],
    ["no line items", null, offer, [], "not a sale of the offer (payment link none, price none)", true],
    [
      "another link, no price configured",
      "plink_x",
      { ...offer, priceId: null },
      null,
      "not a sale of the offer (payment link plink_x, price none)",
      false,
    ],
    [
      "nothing configured",
      "plink_a",
      { paymentLinks: [], priceId: null },
      null,
      "not a sale of the offer: no Payment Link or Price is configured",
      false,
    ],
    ["line items not looked up", "plink_x", offer, null, "not a sale of the offer (payment link plink_x, price none)", true],
  ];
  it.each(cases)("%s", (_l, link, o, prices, reason, lookup) => {
    expect(notTheOffer({ paymentLink: link }, o, prices)).toBe(reason);
    expect(needsLineItems({ paymentLink: link }, o)).toBe(lookup);
  });
});

// ---- events.ts ---------------------------------------------------------------------------------------------

const ev = (type: string, object: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  ({ id: "evt_1", type, created: 10, api_version: "2026-10-28.endive", data: { object }, ...over }) as unknown as Stripe.Event;

const session = (over: Record<string, unknown> = {}) => ({
  object: "checkout.session",
  id: "cs_1",
  mode: "payment",
  payment_status: "paid",
  payment_intent: "pi_1",
  customer: "cus_1",
  client_reference_id: "p_ref",
  metadata: { preorder_id: "p_meta" },
  customer_details: { email: "A@X.com ", name: "Ada", phone: "+852" },
  collected_information: { shipping_details: { name: "Ship", address: { ...ADDRESS, extra: "dropped" } } },
  amount_total: 9900,
  currency: "USD",
  payment_link: null,
  ...over,
});

describe("toPreorderChange: checkout sessions", () => {
  it("a paid completed session proves succeeded, with every fact", () => {
    expect(toPreorderChange(ev("checkout.session.completed", session()))).toEqual({
      kind: "change",
      change: {
        eventId: "evt_1",
        eventType: "checkout.session.completed",
        created: 10,
        preorderId: "p_meta",
        paymentIntentId: "pi_1",
        sessionId: "cs_1",
        amount: null,
        currency: null,
        status: "succeeded",
        facts: {
          paymentIntentId: "pi_1",
          customerId: "cus_1",
          customer: { name: "Ada", phone: "+852", shipping: { name: "Ship", address: ADDRESS } },
        },
        errorReason: null,
        foreign: null,
        dispute: null,
      },
    });
  });

  const mapped = (type: string, over: Record<string, unknown> = {}) => toPreorderChange(ev(type, session(over)));
  const changeOf = (type: string, over: Record<string, unknown> = {}) => {
    const m = mapped(type, over);
    if (m.kind !== "change") throw new Error(`ignored: ${m.reason}`);
    return m.change;
  };

  it.each([
    ["completed, no_payment_required", "checkout.session.completed", { payment_status: "no_payment_required" }, "succeeded", null],
    ["async succeeded", "checkout.session.async_payment_succeeded", {}, "succeeded", null],
    ["completed unpaid (delayed method) waits", "checkout.session.completed", { payment_status: "unpaid" }, "created", null],
    ["async succeeded but unpaid waits", "checkout.session.async_payment_succeeded", { payment_status: "unpaid" }, "created", null],
    ["async failed", "checkout.session.async_payment_failed", { payment_status: "unpaid" }, "failed", "The delayed payment failed"],
    ["expired", "checkout.session.expired", { payment_status: "unpaid", payment_intent: null }, "expired", null],
  ])("%s", (_l, type, over, status, reason) => {
    const c = changeOf(type, over);
    expect(c.status).toBe(status);
    expect(c.errorReason).toBe(reason);
    expect(c.sessionId).toBe("cs_1");
  });

  it.each([
    ["a subscription session", "checkout.session.completed", { mode: "subscription" }, "session mode subscription"],
    [
      "an unpaid session of no preorder",
      "checkout.session.completed",
      { payment_status: "unpaid", metadata: {}, client_reference_id: null },
      "unpaid session of no preorder",
    ],
  ])("ignores %s", (_l, type, over, reason) => expect(mapped(type, over)).toEqual({ kind: "ignored", reason }));

  it("claims by client_reference_id when metadata has no preorder_id; empty strings claim nothing", () => {
    expect(changeOf("checkout.session.completed", { metadata: {} }).preorderId).toBe("p_ref");
    expect(changeOf("checkout.session.completed", { metadata: { preorder_id: "" } }).preorderId).toBe("p_ref");
    expect(changeOf("checkout.session.completed", { metadata: null, client_reference_id: "" }).preorderId).toBeNull();
  });

  it("a paid session of no preorder is foreign: email, colour, locale, amount from the session", () => {
    const c = changeOf("checkout.session.completed", {
      metadata: { color: "x".repeat(40), locale: "zh-HK" },
      client_reference_id: null,
      payment_link: "plink_9",
      currency: "HKD",
      amount_total: 12800,
    });
    expect(c.foreign).toEqual({
      sessionId: "cs_1",
      paymentLink: "plink_9",
      email: "a@x.com",
      color: "x".repeat(32),
      locale: "zh-HK",
      amount: 12800,
      currency: "hkd",
    });
    const plain = changeOf("checkout.session.completed", {
      metadata: { locale: "fr" },
      client_reference_id: null,
      customer_details: null,
      customer_email: "b@y.com",
      payment_link: { id: "plink_obj" },
    });
    expect(plain.foreign).toMatchObject({ email: "b@y.com", color: "unspecified", locale: "en", paymentLink: "plink_obj" });
  });

  it.each([
    ["no email", { customer_details: null, customer_email: null }],
    ["an empty email", { customer_details: { email: "" }, customer_email: "" }],
    ["no amount", { amount_total: null }],
    ["no currency", { currency: null }],
  ])("a paid session of no preorder with %s is not a preorder", (_l, over) => {
    expect(changeOf("checkout.session.completed", { metadata: {}, client_reference_id: null, ...over }).foreign).toBeNull();
  });

  it("ids given as expanded objects, and no customer details at all", () => {
    const c = changeOf("checkout.session.completed", {
      payment_intent: { id: "pi_obj" },
      customer: { id: "cus_obj" },
      customer_details: null,
      collected_information: null,
    });
    expect(c.facts).toEqual({ paymentIntentId: "pi_obj", customerId: "cus_obj" });
    expect(c.paymentIntentId).toBe("pi_obj");
    expect(
      changeOf("checkout.session.expired", { payment_intent: null, customer: null, customer_details: null, collected_information: null })
        .facts,
    ).toEqual({});
  });

  it("name falls back to the shipping name; shipping without an address keeps null", () => {
    const c = changeOf("checkout.session.completed", {
      customer_details: { email: "a@x.com", name: null, phone: null },
      collected_information: { shipping_details: { name: "Ship", address: null } },
    });
    expect(c.facts.customer).toEqual({ name: "Ship", phone: null, shipping: { name: "Ship", address: null } });
    const d = changeOf("checkout.session.completed", { collected_information: null });
    expect(d.facts.customer).toEqual({ name: "Ada", phone: "+852", shipping: null });
    const e = changeOf("checkout.session.completed", {
      customer_details: null,
      collected_information: { shipping_details: { address: ADDRESS } },
    });
    expect(e.facts.customer).toEqual({ name: null, phone: null, shipping: { name: null, address: ADDRESS } });
  });
});

describe("shipping details in every API version", () => {
  const ship = (name: string) => ({ name, address: ADDRESS });
  it.each([
    ["basil and later: collected_information", { collected_information: { shipping_details: ship("c") } }, "c"],
    ["acacia and earlier: shipping_details", { shipping_details: ship("s") }, "s"],
    ["before 2020: shipping", { shipping: ship("o") }, "o"],
    [
      "acacia carries both: collected_information first",
      { collected_information: { shipping_details: ship("c") }, shipping_details: ship("s") },
      "c",
    ],
    [
      "shipping_details before shipping",
      { collected_information: { shipping_details: null }, shipping_details: ship("s"), shipping: ship("o") },
      "s",
    ],
  ])("%s", (_l, over, name) => expect(shippingOf(over as never)?.name).toBe(name));
  it("none at all", () => expect(shippingOf({} as never)).toBeNull());
});

describe("toPreorderChange: PaymentIntents, charges, disputes", () => {
  const pi = (over: Record<string, unknown> = {}) => ({
    object: "payment_intent",
    id: "pi_1",
    amount: 9900,
    currency: "USD",
    customer: "cus_1",
    metadata: { preorder_id: "p1" },
    last_payment_error: null,
    ...over,
  });

  it("payment_intent.succeeded", () => {
    expect(toPreorderChange(ev("payment_intent.succeeded", pi()))).toEqual({
      kind: "change",
      change: {
        eventId: "evt_1",
        eventType: "payment_intent.succeeded",
        created: 10,
        preorderId: "p1",
        paymentIntentId: "pi_1",
        sessionId: null,
        amount: 9900,
        currency: "usd",
        status: "succeeded",
        facts: { paymentIntentId: "pi_1", customerId: "cus_1" },
        errorReason: null,
        foreign: null,
        dispute: null,
      },
    });
  });

  it.each([
    ["the message", { message: "Declined.", decline_code: "x", code: "y" }, "Declined."],
    ["the decline code", { message: "", decline_code: "insufficient_funds", code: "card_declined" }, "insufficient_funds"],
    ["the code", { code: "card_declined" }, "card_declined"],
    ["a default", null, "Payment failed"],
    ["at most 500 characters", { message: "m".repeat(600) }, "m".repeat(500)],
  ])("payment_intent.payment_failed keeps %s", (_l, error, reason) => {
    const m = toPreorderChange(ev("payment_intent.payment_failed", pi({ last_payment_error: error, customer: null, metadata: {} })));
    expect(m).toMatchObject({
      kind: "change",
      change: { status: "failed", errorReason: reason, preorderId: null, facts: { paymentIntentId: "pi_1" } },
    });
    if (m.kind === "change") expect(m.change.facts).not.toHaveProperty("customerId");
  });

  const charge = (over: Record<string, unknown> = {}) => ({
    object: "charge",
    id: "ch_1",
    amount: 9900,
    amount_refunded: 9900,
    refunded: true,
    currency: "USD",
    payment_intent: "pi_1",
    metadata: {},
    ...over,
  });
  it.each([
    ["fully refunded", {}, "refunded", 9900],
    ["the whole amount without the flag", { refunded: false }, "refunded", 9900],
    ["partially refunded", { refunded: false, amount_refunded: 2500 }, "succeeded", 2500],
    ["one short of the whole", { refunded: false, amount_refunded: 9899 }, "succeeded", 9899],
  ])("charge.refunded %s", (_l, over, status, refunded) => {
    expect(toPreorderChange(ev("charge.refunded", charge(over)))).toEqual({
      kind: "change",
      change: {
        eventId: "evt_1",
        eventType: "charge.refunded",
        created: 10,
        preorderId: null,
        paymentIntentId: "pi_1",
        sessionId: null,
        amount: 9900,
        currency: "usd",
        status,
        facts: { amountRefunded: refunded, paymentIntentId: "pi_1" },
        errorReason: null,
        foreign: null,
        dispute: null,
      },
    });
  });
  it("a charge without a PaymentIntent, claiming by metadata", () => {
    expect(toPreorderChange(ev("charge.refunded", charge({ payment_intent: null, metadata: { preorder_id: "p9" } })))).toMatchObject({
      kind: "change",
      change: { paymentIntentId: null, preorderId: "p9", facts: { amountRefunded: 9900 } },
    });
  });

  const dispute = (over: Record<string, unknown> = {}) => ({
    object: "dispute",
    id: "dp_1",
    charge: "ch_1",
    payment_intent: "pi_1",
    status: "needs_response",
    reason: "fraudulent",
    created: 5,
    metadata: {},
    ...over,
  });
  it.each(["charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"])("%s", (type) => {
    expect(toPreorderChange(ev(type, dispute()))).toEqual({
      kind: "change",
      change: {
        eventId: "evt_1",
        eventType: type,
        created: 10,
        preorderId: null,
        paymentIntentId: "pi_1",
        sessionId: null,
        amount: null,
        currency: null,
        status: "succeeded",
        facts: { paymentIntentId: "pi_1" },
        errorReason: null,
        foreign: null,
        dispute: { id: "dp_1", status: "needs_response", reason: "fraudulent", created: 5 },
      },
    });
    expect(disputedCharge(ev(type, dispute()))).toBe("ch_1");
  });
  it("a dispute naming only the charge, one with no reason, one naming nothing", () => {
    const m = toPreorderChange(ev("charge.dispute.created", dispute({ payment_intent: null, reason: null, charge: { id: "ch_2" } })));
    expect(m).toMatchObject({ kind: "change", change: { paymentIntentId: null, facts: {}, dispute: { reason: "general" } } });
    if (m.kind === "change") expect(m.change.facts).toEqual({});
    expect(disputedCharge(ev("charge.dispute.closed", dispute({ charge: { id: "ch_2" } })))).toBe("ch_2");
    expect(toPreorderChange(ev("charge.dispute.created", dispute({ payment_intent: null, charge: null })))).toEqual({
      kind: "ignored",
      reason: "dispute names no charge",
    });
    expect(disputedCharge(ev("charge.refunded", charge()))).toBeNull();
  });

  it.each([
    ["checkout.session.completed", "not a session"],
    ["checkout.session.async_payment_succeeded", "not a session"],
    ["checkout.session.async_payment_failed", "not a session"],
    ["checkout.session.expired", "not a session"],
    ["payment_intent.succeeded", "not a payment intent"],
    ["payment_intent.payment_failed", "not a payment intent"],
    ["charge.refunded", "not a charge"],
    ["charge.dispute.created", "not a dispute"],
    ["charge.dispute.updated", "not a dispute"],
    ["charge.dispute.closed", "not a dispute"],
    ["customer.created", "unhandled type customer.created"],
    ["payment_intent.created", "unhandled type payment_intent.created"],
  ])("%s with the wrong object is ignored", (type, reason) => {
    expect(toPreorderChange(ev(type, { object: "invoice", id: "in_1" }))).toEqual({ kind: "ignored", reason });
  });

  it("every handled type maps its own object", () => {
    const objects: Record<string, Record<string, unknown>> = { checkout: session(), payment_intent: pi(), charge: charge() };
    for (const type of HANDLED_EVENT_TYPES) {
      const object = type.startsWith("checkout")
        ? objects.checkout!
        : type.startsWith("payment_intent")
          ? objects.payment_intent!
          : type.startsWith("charge.dispute")
            ? dispute()
            : objects.charge!;
      expect(toPreorderChange(ev(type, object)).kind).toBe("change");
    }
    expect(HANDLED_EVENT_TYPES).toHaveLength(10);
  });
});
