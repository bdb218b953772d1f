"use strict";
/**
 * What the webhook's harder cases need from the local Stripe server, kept apart from server.js / state.js so
 * that other branches' additions merge mechanically:
 * - API: list sessions by `payment_intent`, a session's line items, retrieve a charge;
 * - account actions: disputes (created / updated / closed), partial refunds (state.refund with `amount`);
 * - events shaped in older API versions (`asApiVersion`), and equal `created` stamps (`state.freezeClock`).
 * Shapes follow Stripe's resource fixtures (MIT, see FIXTURES-LICENSE).
 */
const crypto = require("node:crypto");
const { clone, randomId } = require("./state");

/** Stripe's dispute fixture (fixtures3.json `dispute`), reduced to the fields a webhook reads or logs. */
const DISPUTE_TEMPLATE = {
  id: "dp_template",
  object: "dispute",
  amount: 1000,
  balance_transactions: [],
  charge: "ch_template",
  created: 1234567890,
  currency: "usd",
  evidence_details: { due_by: 1723679999, has_evidence: false, past_due: false, submission_count: 0 },
  is_charge_refundable: true,
  livemode: false,
  metadata: {},
  payment_intent: null,
  payment_method_details: { card: { brand: "visa", case_type: "chargeback", network_reason_code: "10.4", network: "visa" }, type: "card" },
  reason: "general",
  status: "warning_needs_response",
};

const stripeError = (status, message, extra = {}) => ({
  status,
  body: { error: { type: "invalid_request_error", message, ...extra } },
});

/** A Checkout Session's line items as `GET /v1/checkout/sessions/:id/line_items` lists them. */
function lineItems(session, prices) {
  return (session._lineItems ?? []).map((item, i) => {
    const price = item.price
      ? (prices.get(item.price) ?? { id: item.price, object: "price", unit_amount: session.amount_total, currency: session.currency })
      : {
          id: `price_inline_${session.id.slice(-8)}_${i}`,
          object: "price",
          unit_amount: Number(item.price_data.unit_amount),
          currency: item.price_data.currency,
        };
    const quantity = Number(item.quantity ?? 1);
    return {
      id: `li_${crypto.createHash("sha256").update(`${session.id}:${i}`).digest("hex").slice(0, 24)}`,
      object: "item",
      amount_discount: 0,
      amount_subtotal: price.unit_amount * quantity,
      amount_tax: 0,
      amount_total: price.unit_amount * quantity,
      currency: price.currency,
      description: item.price_data?.product_data?.name ?? "Rolitt",
      price: { ...price, active: true, livemode: false, type: "one_time" },
      quantity,
    };
  });
}

const list = (url, data, limit = 10) => ({
  object: "list",
  url,
  has_more: data.length > Number(limit),
  data: data.slice(0, Number(limit)),
});

/** The API routes of this module; null when the request is none of them. */
function handleWebhookSupport(state, prices, method, path, params) {
  let m;
  if (method === "GET" && path === "/v1/checkout/sessions") {
    const all = [...state.sessions.values()]
      .filter((s) => params.payment_intent === undefined || s.payment_intent === params.payment_intent)
      .reverse()
      .map((s) => state.view(s));
    return { status: 200, body: list("/v1/checkout/sessions", all, params.limit ?? 10) };
  }
  if (method === "GET" && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)\/line_items$/))) {
    const session = state.sessions.get(m[1]);
    if (!session) return stripeError(404, `No such checkout.session: '${m[1]}'`, { code: "resource_missing" });
    return { status: 200, body: list(path, lineItems(session, prices), params.limit ?? 10) };
  }
  if (method === "GET" && (m = path.match(/^\/v1\/charges\/([^/]+)$/))) {
    const charge = state.charges.get(m[1]);
    return charge ? { status: 200, body: clone(charge) } : stripeError(404, `No such charge: '${m[1]}'`, { code: "resource_missing" });
  }
  // GET /v1/refunds/:id and /v1/disputes/:id, as the console's search asks Stripe for the PaymentIntent
  if (method === "GET" && (m = path.match(/^\/v1\/refunds\/([^/]+)$/))) {
    const refund = state.refunds?.get(m[1]);
    return refund ? { status: 200, body: clone(refund) } : stripeError(404, `No such refund: '${m[1]}'`, { code: "resource_missing" });
  }
  if (method === "GET" && (m = path.match(/^\/v1\/disputes\/([^/]+)$/))) {
    const d = [...(state.disputes?.values() ?? [])].find((x) => x.id === m[1]);
    return d ? { status: 200, body: clone(d) } : stripeError(404, `No such dispute: '${m[1]}'`, { code: "resource_missing" });
  }
  return null;
}

/**
 * The buyer disputes the session's charge: `created`, or (with `status`) an update; `outcome` won/lost closes
 * it. Returns the events Stripe sends. `withoutPaymentIntent` mimics versions whose disputes name only the charge.
 */
function dispute(state, sessionId, { status, outcome, reason = "fraudulent", withoutPaymentIntent = false } = {}) {
  const session = state.session(sessionId);
  const pi = state.paymentIntents.get(session.payment_intent);
  if (!pi || pi.status !== "succeeded") throw Object.assign(new Error("nothing to dispute"), { status: 400 });
  const charge = state.charges.get(pi.latest_charge);
  state.disputes ??= new Map();
  let d = state.disputes.get(charge.id);
  const events = [];
  if (!d) {
    d = Object.assign(clone(DISPUTE_TEMPLATE), {
      id: randomId("dp").replace("_test", ""),
      amount: charge.amount,
      charge: charge.id,
      currency: charge.currency,
      created: Math.floor(Date.now() / 1000),
      payment_intent: pi.id,
      reason,
      status: "needs_response",
    });
    state.disputes.set(charge.id, d);
    charge.disputed = true;
    events.push(state.event("charge.dispute.created", d));
  }
  const shown = () => (withoutPaymentIntent ? { ...clone(d), payment_intent: null } : d);
  if (status && !outcome) {
    d.status = status;
    events.push(state.event("charge.dispute.updated", shown()));
  }
  if (outcome) {
    if (!["won", "lost"].includes(outcome)) throw Object.assign(new Error("outcome is won or lost"), { status: 400 });
    d.status = outcome;
    if (outcome === "lost") d.is_charge_refundable = false;
    events.push(state.event("charge.dispute.closed", shown()));
  }
  if (withoutPaymentIntent) for (const e of events) e.data.object.payment_intent = null;
  return events;
}

/**
 * An event as an endpoint pinned to an older API version receives it. Sessions: 2025-03-31.basil has only
 * `collected_information.shipping_details`; 2025-02-24.acacia and earlier (e.g. 2024-06-20) `shipping_details`
 * and no `collected_information`; before 2020-08-27 `shipping`.
 */
function asApiVersion(event, version) {
  const e = clone(event);
  e.api_version = version;
  const o = e.data.object;
  if (o.object !== "checkout.session") return e;
  const shipping = o.collected_information?.shipping_details ?? null;
  if (version >= "2025-03-31") {
    delete o.shipping_details;
    delete o.shipping;
    return e;
  }
  delete o.collected_information;
  if (version >= "2020-08-27") {
    o.shipping_details = shipping;
    delete o.shipping;
  } else {
    o.shipping = shipping;
    delete o.shipping_details;
  }
  return e;
}

/** Test control: `{freeze: true}` stamps every next event with one `created` second; `{freeze: false}` ends it. */
function setClock(state, { freeze = true, at } = {}) {
  if (!freeze) {
    state.frozenAt = null;
    return { frozenAt: null };
  }
  state.frozenAt = at ?? Math.max(Math.floor(Date.now() / 1000), state.clock + 1);
  state.clock = Math.max(state.clock, state.frozenAt);
  return { frozenAt: state.frozenAt };
}

module.exports = { handleWebhookSupport, dispute, asApiVersion, setClock, DISPUTE_TEMPLATE };
