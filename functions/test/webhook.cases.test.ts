/**
 * What a real Stripe account sends beyond our own sessions (issue #10 items 1–5, #16 item 2), each through
 * the real webhook over HTTP, the real Stripe SDK against the local Stripe server, and the embedded Firestore:
 * foreign payments that claim a preorder, sales of other products, refunds that come first, older API
 * versions, disputes, and transient failures during apply.
 */
import type Stripe from "stripe";
import { logger } from "firebase-functions/logger";
import { createCheckoutSession } from "../src/index";
import { db } from "../src/shared/firestore";
import { foreignPreorderId } from "../src/webhook/decide";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";
import { serveWebhook, type WebhookServer } from "./helpers/webhook";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const support = require("../../devtools/stripe-server/webhook-support");

const OFFER_LINK = "plink_cases_offer";
type Doc = Record<string, any>;

let stripe: LocalStripe;
let hook: WebhookServer;
beforeAll(async () => {
  stripe = await startLocalStripe();
  hook = await serveWebhook();
});
afterAll(async () => {
  await hook.close();
  await stripe.close();
});
beforeEach(() => {
  process.env.STRIPE_PAYMENT_LINKS = OFFER_LINK;
  delete process.env.STRIPE_PRICE_ID;
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.STRIPE_PAYMENT_LINKS;
  delete process.env.STRIPE_PRICE_ID;
});

const state = () => stripe.server.state;
const preorderDoc = async (id: string): Promise<Doc | undefined> => (await db().collection("preorders").doc(id).get()).data();
const ledger = async (id: string): Promise<Doc | undefined> => (await db().collection("stripe_events").doc(id).get()).data();
const byType = (events: Stripe.Event[], type: string): Stripe.Event => events.find((e) => e.type === type)!;
const deliverAll = async (events: Stripe.Event[]) => {
  const out = [];
  for (const e of events) out.push(await hook.deliver(e));
  return out;
};

async function preorder(color = "khaki") {
  const email = `cases.${Math.random().toString(36).slice(2, 10)}@example.com`;
  return createCheckoutSession.run({ data: { email, color }, rawRequest: {} as never, acceptsStreaming: false } as never);
}

describe("1. a payment that is not the preorder's own never marks it paid", () => {
  it("a $1 Payment Link session carrying the preorder's id as client_reference_id: mismatch, anomaly, flag, error log", async () => {
    const errors = jest.spyOn(logger, "error");
    const p = await preorder();
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: OFFER_LINK, amount: 100, clientReferenceId: p.preorderId });
    const events: Stripe.Event[] = state().pay(sessionId);
    const answers = await deliverAll(events);
    expect(answers.every((a) => a.status === 200)).toBe(true);

    const doc = (await preorderDoc(p.preorderId))!;
    expect(doc).toMatchObject({
      status: "created",
      flagged: true,
      stripe: { sessionId: p.sessionId, paymentIntentId: null },
      customer: null,
    });
    const completed = byType(events, "checkout.session.completed");
    expect(await ledger(completed.id)).toMatchObject({
      outcome: "mismatch",
      preorderId: p.preorderId,
      reason: expect.stringContaining(`session ${sessionId} is not this preorder's`),
    });
    // the PaymentIntent names no preorder: Stripe's session list ties it to the same foreign session
    expect(await ledger(byType(events, "payment_intent.succeeded").id)).toMatchObject({ outcome: "mismatch", preorderId: p.preorderId });
    const anomalies = await db().collection("anomalies").where("preorderId", "==", p.preorderId).get();
    expect(anomalies.docs.map((d) => d.get("eventType")).sort()).toEqual(["checkout.session.completed", "payment_intent.succeeded"]);
    expect(anomalies.docs[0]!.data()).toMatchObject({ reason: expect.any(String), eventId: expect.stringMatching(/^evt_/) });
    expect(errors).toHaveBeenCalledWith(
      expect.stringContaining("does not belong"),
      expect.objectContaining({ eventId: completed.id, preorderId: p.preorderId }),
    );

    // the preorder's own payment still goes through afterwards, and a repeat of the foreign event changes nothing
    await deliverAll(state().pay(p.sessionId));
    expect(await preorderDoc(p.preorderId)).toMatchObject({ status: "succeeded", flagged: true });
    expect((await hook.deliver(completed)).body.outcome).toBe("duplicate");
  });

  it("a PaymentIntent claiming the preorder in its metadata with another amount: mismatch; with the right amount: applied", async () => {
    const p = await preorder();
    const [paid] = [state().pay(p.sessionId)];
    const pi = byType(paid, "payment_intent.succeeded");
    const forged = structuredClone(pi) as Stripe.Event;
    forged.id = `${pi.id}forged`;
    Object.assign(forged.data.object, { id: "pi_forged_cheap", amount: 100 });
    expect((await hook.deliver(forged)).body.outcome).toBe("mismatch");
    expect(await preorderDoc(p.preorderId)).toMatchObject({ status: "created", flagged: true });
    expect((await hook.deliver(pi)).body.outcome).toBe("applied");
    expect(await preorderDoc(p.preorderId)).toMatchObject({
      status: "succeeded",
      stripe: { paymentIntentId: (pi.data.object as { id: string }).id },
    });
    // once the PaymentIntent is known, another one is refused whatever its amount
    const other = structuredClone(pi) as Stripe.Event;
    other.id = `${pi.id}other`;
    Object.assign(other.data.object, { id: "pi_forged_full" });
    expect((await hook.deliver(other)).body.outcome).toBe("mismatch");
  });
});

describe("2. which foreign sessions become preorders", () => {
  it("a configured Payment Link's sale becomes a preorder without reading line items", async () => {
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: OFFER_LINK, email: "link@example.com" });
    const before = stripe.requests().length;
    await deliverAll(state().pay(sessionId));
    expect(await preorderDoc(foreignPreorderId(sessionId))).toMatchObject({
      status: "succeeded",
      origin: "stripe",
      email: "link@example.com",
    });
    // its ROL- number is reserved to it, so no other preorder can draw it
    const { preorderNumber } = (await preorderDoc(foreignPreorderId(sessionId)))!;
    expect((await db().collection("preorder_numbers").doc(preorderNumber).get()).data()).toMatchObject({
      preorderId: foreignPreorderId(sessionId),
    });
    expect(
      stripe
        .requests()
        .slice(before)
        .filter((r) => r.path.endsWith("/line_items")),
    ).toHaveLength(0);
  });

  it("a session carrying the configured Price becomes a preorder (line items read once)", async () => {
    const price = stripe.server.addPrice({ unit_amount: 9900, currency: "usd" });
    process.env.STRIPE_PRICE_ID = price;
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: "plink_unlisted", price, email: "price@example.com" });
    const before = stripe.requests().length;
    const events = state().pay(sessionId);
    await hook.deliver(byType(events, "checkout.session.completed"));
    expect(await preorderDoc(foreignPreorderId(sessionId))).toMatchObject({ status: "succeeded", amount: 9900 });
    expect(
      stripe
        .requests()
        .slice(before)
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual([`GET /v1/checkout/sessions/${sessionId}/line_items`]);
  });

  it.each([
    ["another Payment Link", { paymentLink: "plink_tshirts" }, "not a sale of the offer (payment link plink_tshirts"],
    ["another Price", { paymentLink: "plink_tshirts", priceOther: true }, "not a sale of the offer"],
    ["no offer configured at all", { paymentLink: OFFER_LINK, unconfigured: true }, "no Payment Link or Price is configured"],
  ])("a sale of %s is ledgered ignored with the reason and never becomes a preorder", async (_l, opts: Doc, reason) => {
    if (opts.unconfigured) delete process.env.STRIPE_PAYMENT_LINKS;
    let price: string | undefined;
    if (opts.priceOther) {
      process.env.STRIPE_PRICE_ID = stripe.server.addPrice({ unit_amount: 9900, currency: "usd" });
      price = stripe.server.addPrice({ unit_amount: 2500, currency: "usd" });
    }
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: opts.paymentLink, price, amount: 2500 });
    const events = state().pay(sessionId);
    const completed = byType(events, "checkout.session.completed");
    const res = await hook.deliver(completed);
    expect(res).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    expect(await ledger(completed.id)).toMatchObject({ outcome: "ignored", preorderId: null, reason: expect.stringContaining(reason) });
    expect(await preorderDoc(foreignPreorderId(sessionId))).toBeUndefined();
    // its refund is not ours either
    const refund = byType(state().refund(sessionId), "charge.refunded");
    expect((await hook.deliver(refund)).body.outcome).toBe("ignored");
  });
});

describe("3. a refund that arrives first is never lost", () => {
  it("a Payment Link sale's refund before its session event: 500 and nothing written, then refunded after redelivery", async () => {
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: OFFER_LINK, email: "first@example.com" });
    const paid = state().pay(sessionId);
    const refund = byType(state().refund(sessionId), "charge.refunded");
    const first = await hook.deliver(refund);
    expect(first.status).toBe(500);
    expect(await ledger(refund.id)).toBeUndefined();
    await hook.deliver(byType(paid, "checkout.session.completed"));
    expect((await hook.deliver(refund)).body.outcome).toBe("applied");
    expect(await preorderDoc(foreignPreorderId(sessionId))).toMatchObject({ status: "refunded", amountRefunded: 9900 });
  });

  it("our own preorder's refund before every other event finds it through Stripe's session list", async () => {
    const p = await preorder();
    state().pay(p.sessionId);
    const refund = byType(state().refund(p.sessionId), "charge.refunded");
    const before = stripe.requests().length;
    expect((await hook.deliver(refund)).body.outcome).toBe("applied");
    expect(
      stripe
        .requests()
        .slice(before)
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual(["GET /v1/checkout/sessions"]);
    expect(await preorderDoc(p.preorderId)).toMatchObject({ status: "refunded", amountRefunded: 9900 });
  });
});

describe("4. shipping details from any API version", () => {
  const versions = [
    ["2026-10-28.endive (the SDK's)", "2026-10-28.endive"],
    ["2025-03-31.basil", "2025-03-31.basil"],
    ["2024-06-20", "2024-06-20"],
    ["2019-12-03 (shipping)", "2019-12-03"],
  ];

  it.each(versions)("a paid session shaped as %s keeps the address", async (_l, version) => {
    const p = await preorder();
    const completed = support.asApiVersion(byType(state().pay(p.sessionId), "checkout.session.completed"), version);
    if (version === "2024-06-20") expect(completed.data.object).toMatchObject({ shipping_details: { name: "Ada Shopper" } });
    if (version === "2024-06-20") expect(completed.data.object.collected_information).toBeUndefined();
    expect((await hook.deliver(completed)).body.outcome).toBe("applied");
    expect((await preorderDoc(p.preorderId))!.customer).toEqual({
      name: "Ada Shopper",
      phone: "+85212345678",
      shipping: {
        name: "Ada Shopper",
        address: { city: "Hong Kong", country: "HK", line1: "1 Harbour Road", line2: null, postal_code: null, state: null },
      },
    });
  });

  it("warns once per instance when an event's api_version is not the SDK's", async () => {
    // a fresh module registry is a fresh instance
    await jest.isolateModulesAsync(async () => {
      const { logger: freshLogger } = await import("firebase-functions/logger");
      const warn = jest.spyOn(freshLogger, "warn");
      const { applyEvent } = await import("../src/webhook/apply");
      const own = await preorder();
      const pinned = byType(state().pay(own.sessionId), "checkout.session.completed");
      await applyEvent(pinned);
      expect(warn).not.toHaveBeenCalled();
      for (let i = 0; i < 2; i++) {
        const p = await preorder();
        await applyEvent(support.asApiVersion(byType(state().pay(p.sessionId), "checkout.session.completed"), "2024-06-20"));
      }
      const versionWarnings = warn.mock.calls.filter(([msg]) => String(msg).includes("api_version"));
      expect(versionWarnings).toHaveLength(1);
      expect(versionWarnings[0]![1]).toMatchObject({ eventApiVersion: "2024-06-20", sdkApiVersion: "2026-10-28.endive" });
    });
  });
});

describe("5. disputes", () => {
  it("created puts the order on hold; closed won clears it; a repeat changes nothing", async () => {
    const p = await preorder();
    await deliverAll(state().pay(p.sessionId));
    const created = support.dispute(state(), p.sessionId);
    await deliverAll(created);
    const held = (await preorderDoc(p.preorderId))!;
    expect(held).toMatchObject({
      status: "succeeded",
      hold: { reason: "dispute" },
      dispute: { status: "needs_response", reason: "fraudulent" },
    });
    expect(held.hold.disputeId).toBe(held.dispute.id);
    expect(held.hold.since.toMillis()).toBe(created[0].data.object.created * 1000);
    const won = support.dispute(state(), p.sessionId, { outcome: "won" });
    await deliverAll(won);
    expect(await preorderDoc(p.preorderId)).toMatchObject({ hold: null, dispute: { status: "won", outcome: "won" } });
    expect((await hook.deliver(created[0])).body.outcome).toBe("duplicate");
    expect(await preorderDoc(p.preorderId)).toMatchObject({ hold: null });
  });

  it("closed (lost) before created ends lost and held; created afterwards is stale", async () => {
    const p = await preorder();
    await deliverAll(state().pay(p.sessionId));
    const created = support.dispute(state(), p.sessionId);
    const lost = support.dispute(state(), p.sessionId, { outcome: "lost" });
    expect((await hook.deliver(lost[0])).body.outcome).toBe("applied");
    expect((await hook.deliver(created[0])).body.outcome).toBe("stale");
    expect(await preorderDoc(p.preorderId)).toMatchObject({ hold: { reason: "dispute" }, dispute: { status: "lost", outcome: "lost" } });
  });

  it("a dispute that names only the charge (older versions) finds its PaymentIntent through the charge", async () => {
    const p = await preorder();
    await deliverAll(state().pay(p.sessionId));
    const created = support.dispute(state(), p.sessionId, { withoutPaymentIntent: true });
    expect(created[0].data.object.payment_intent).toBeNull();
    expect((await hook.deliver(created[0])).body.outcome).toBe("applied");
    expect(await preorderDoc(p.preorderId)).toMatchObject({ hold: { reason: "dispute" } });
  });
});

describe("transient failures during apply: 500, no ledger entry, a redelivery succeeds (#16)", () => {
  it("Firestore failing in the transaction", async () => {
    const p = await preorder();
    const completed = byType(state().pay(p.sessionId), "checkout.session.completed");
    jest.spyOn(db(), "runTransaction").mockRejectedValueOnce(Object.assign(new Error("14 UNAVAILABLE: simulated"), { code: 14 }));
    expect(await hook.deliver(completed)).toMatchObject({ status: 500, body: { error: "temporary failure, retry" } });
    expect(await ledger(completed.id)).toBeUndefined();
    expect(await preorderDoc(p.preorderId)).toMatchObject({ status: "created" });
    expect(await hook.deliver(completed)).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(await preorderDoc(p.preorderId)).toMatchObject({ status: "succeeded" });
  });

  it("Firestore failing while ledgering an ignored event", async () => {
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: "plink_elsewhere" });
    const completed = byType(state().pay(sessionId), "checkout.session.completed");
    const create = jest.spyOn(Object.getPrototypeOf(db().collection("stripe_events").doc("x")), "create");
    create.mockRejectedValueOnce(Object.assign(new Error("14 UNAVAILABLE: simulated"), { code: 14 }));
    expect((await hook.deliver(completed)).status).toBe(500);
    expect(await ledger(completed.id)).toBeUndefined();
    create.mockRestore();
    expect(await hook.deliver(completed)).toMatchObject({ status: 200, body: { outcome: "ignored" } });
  });

  it("Stripe failing during the session lookup", async () => {
    const p = await preorder();
    state().pay(p.sessionId);
    const refund = byType(state().refund(p.sessionId), "charge.refunded");
    // the SDK retries twice itself: three failures make the lookup fail
    stripe.server.failNext({ count: 3, status: 500, path: "/v1/checkout/sessions" });
    expect((await hook.deliver(refund)).status).toBe(500);
    expect(await ledger(refund.id)).toBeUndefined();
    expect(await hook.deliver(refund)).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(await preorderDoc(p.preorderId)).toMatchObject({ status: "refunded" });
  });
});

describe("6. what the ledger and the PaymentIntent map keep", () => {
  // a copy under a new event id with some fields of its object replaced (typed loosely: spreading Stripe.Event,
  // a union of every event type, is more than the type checker can take)
  const fresh = (e: Stripe.Event, object: Doc): Stripe.Event => {
    const copy: Doc = JSON.parse(JSON.stringify(e));
    Object.assign(copy.data.object, object);
    return { ...copy, id: `evt_${Math.random().toString(36).slice(2, 14)}` } as Stripe.Event;
  };

  it("a paid preorder: each event ledgered with its type, time, mode and outcome; its PaymentIntent maps to it", async () => {
    const p = await preorder();
    const events: Stripe.Event[] = state().pay(p.sessionId);
    await deliverAll(events);
    const completed = byType(events, "checkout.session.completed");
    expect(await ledger(completed.id)).toMatchObject({
      type: "checkout.session.completed",
      created: completed.created,
      livemode: false,
      outcome: "applied",
      preorderId: p.preorderId,
    });
    const pi: string = (await preorderDoc(p.preorderId))!.stripe.paymentIntentId;
    expect(pi).toMatch(/^pi_/);
    expect((await db().collection("stripe_payment_intents").doc(pi).get()).data()).toMatchObject({ preorderId: p.preorderId });
  });

  it.each([
    ["a slash", "bad/id"],
    ["a dot segment", "../preorders"],
    ["161 characters", "a".repeat(161)],
  ])("a session whose client_reference_id has %s names no preorder: ignored with the reason, nothing created", async (_label, claimed) => {
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: OFFER_LINK, clientReferenceId: claimed });
    const completed = byType(state().pay(sessionId), "checkout.session.completed");
    expect(await hook.deliver(completed)).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    expect(await ledger(completed.id)).toMatchObject({ outcome: "ignored", preorderId: null, reason: "no preorder for this event" });
  });

  it("a live-mode event is ledgered as live", async () => {
    const p = await preorder();
    const completed = byType(state().pay(p.sessionId), "checkout.session.completed");
    const live = { ...(completed as Doc), livemode: true } as Stripe.Event;
    expect((await hook.deliver(live)).body.outcome).toBe("applied");
    expect(await ledger(live.id)).toMatchObject({ livemode: true, outcome: "applied" });
  });

  it("a PaymentIntent that belongs to no Checkout Session is ignored with that reason, and answered 200", async () => {
    const p = await preorder();
    const succeeded = byType(state().pay(p.sessionId), "payment_intent.succeeded");
    const stray = fresh(succeeded, { id: "pi_strayCases1", metadata: {} });
    expect(await hook.deliver(stray)).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    expect(await ledger(stray.id)).toMatchObject({
      outcome: "ignored",
      preorderId: null,
      reason: "payment intent pi_strayCases1 belongs to no Checkout Session",
    });
  });

  it("a dispute on a charge Stripe no longer has is ignored, not retried forever", async () => {
    const p = await preorder();
    await deliverAll(state().pay(p.sessionId));
    const created = support.dispute(state(), p.sessionId, { withoutPaymentIntent: true });
    const gone = fresh(created[0], { charge: "ch_goneCases1" });
    expect(await hook.deliver(gone)).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    expect(await ledger(gone.id)).toMatchObject({ outcome: "ignored", reason: "no preorder for this event" });
    expect(await preorderDoc(p.preorderId)).toMatchObject({ hold: null });
  });
});
