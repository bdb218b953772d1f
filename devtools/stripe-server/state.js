"use strict";
/**
 * The local Stripe server's in-memory account: objects shaped like Stripe's (templates from Stripe's own
 * fixtures, MIT, see FIXTURES-LICENSE) and the lifecycle operations a shopper's actions cause on Stripe
 * (pay, decline, async settle, expire, refund), each returning the events Stripe would send, in order.
 */
const crypto = require("node:crypto");
const templates = require("./fixtures.json");

const API_VERSION = "2026-10-28.endive";

const clone = (o) => JSON.parse(JSON.stringify(o));
const randomId = (prefix) => `${prefix}_test_${crypto.randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;

const DEFAULT_SHOPPER = {
  name: "Ada Shopper",
  phone: "+85212345678",
  address: { city: "Hong Kong", country: "HK", line1: "1 Harbour Road", line2: null, postal_code: null, state: null },
};

class StripeState {
  constructor({ publicUrl = "http://127.0.0.1:12111" } = {}) {
    this.publicUrl = publicUrl;
    this.customers = new Map();
    this.sessions = new Map();
    this.paymentIntents = new Map();
    this.charges = new Map();
    /** Every event, oldest first: what GET /v1/events lists (events-api.js). */
    this.events = [];
    this.clock = 0;
  }

  /** Stripe's `created` has one-second resolution; each event gets its own second so that order is visible. */
  tick() {
    if (this.frozenAt) return this.frozenAt; // webhook-support.js setClock: equal stamps, as Stripe's 1 s allows
    this.clock = Math.max(Math.floor(Date.now() / 1000), this.clock + 1);
    return this.clock;
  }

  createCustomer(params) {
    const customer = Object.assign(clone(templates.customer), {
      id: randomId("cus").replace("_test", ""),
      created: Math.floor(Date.now() / 1000),
      email: params.email ?? null,
      name: params.name ?? null,
      metadata: params.metadata ?? {},
      discount: null,
      shipping: null,
      currency: null,
    });
    this.customers.set(customer.id, customer);
    return customer;
  }

  listCustomers({ email, limit = 10 }) {
    const all = [...this.customers.values()].filter((c) => email === undefined || c.email === email).reverse();
    return { object: "list", url: "/v1/customers", has_more: all.length > limit, data: all.slice(0, Number(limit)) };
  }

  createSession(params, prices) {
    const item = params.line_items[0];
    let amount;
    let currency;
    if (item.price) {
      const price = prices.get(item.price);
      amount = price.unit_amount;
      currency = price.currency;
    } else {
      amount = Number(item.price_data.unit_amount);
      currency = item.price_data.currency;
    }
    amount *= Number(item.quantity ?? 1);
    const id = `cs_test_${crypto.randomBytes(24).toString("base64url").replace(/[-_]/g, "a")}`;
    const created = Math.floor(Date.now() / 1000);
    const customer = params.customer ? this.customers.get(params.customer) : null;
    const session = Object.assign(clone(templates["checkout.session"]), {
      id,
      created,
      expires_at: created + 24 * 3600,
      amount_subtotal: amount,
      amount_total: amount,
      currency,
      cancel_url: params.cancel_url ?? null,
      success_url: params.success_url ?? null,
      client_reference_id: params.client_reference_id ?? null,
      customer: params.customer ?? null,
      customer_email: params.customer_email ?? null,
      customer_details: customer ? { ...clone(templates["checkout.session"].customer_details), email: customer.email } : null,
      collected_information: null,
      locale: params.locale ?? null,
      metadata: params.metadata ?? {},
      mode: params.mode,
      payment_intent: null, // since 2022-08-01 the PaymentIntent is created when the shopper submits payment
      payment_link: params.payment_link ?? null,
      payment_status: "unpaid",
      status: "open",
      shipping_address_collection: params.shipping_address_collection ?? null,
      phone_number_collection: {
        enabled: params.phone_number_collection?.enabled === "true" || params.phone_number_collection?.enabled === true,
      },
      shipping_cost: null,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: params.ui_mode ?? "hosted_page",
      url: `${this.publicUrl}/c/pay/${id}`,
      livemode: false,
      discounts: [],
      invoice_creation: null,
      custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    });
    session._paymentIntentData = params.payment_intent_data ?? {};
    // what the hosted page shows of the line item (Stripe's own page shows the product's name and description)
    session._product = item.price_data?.product_data ?? { name: prices.get(item.price)?.product ?? "" };
    session._lineItems = params.line_items;
    this.sessions.set(id, session);
    return session;
  }

  /** The session as the API shows it (without our private bookkeeping). */
  view(session) {
    return clone(Object.fromEntries(Object.entries(session).filter(([key]) => !key.startsWith("_"))));
  }

  session(id) {
    const session = this.sessions.get(id);
    if (!session) throw Object.assign(new Error(`No such checkout.session: '${id}'`), { status: 404, param: "session" });
    return session;
  }

  event(type, object, request = null) {
    const event = Object.assign(clone(templates.event), {
      id: randomId("evt").replace("_test", ""),
      api_version: API_VERSION,
      created: this.tick(),
      data: { object: clone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: request, idempotency_key: null },
      type,
    });
    this.events.push(event);
    return event;
  }

  /** The PaymentIntent of a session, created at the shopper's first payment attempt. */
  paymentIntentFor(session, events) {
    if (session.payment_intent) return this.paymentIntents.get(session.payment_intent);
    const pi = Object.assign(clone(templates.payment_intent), {
      id: randomId("pi").replace("_test", ""),
      amount: session.amount_total,
      amount_received: 0,
      created: Math.floor(Date.now() / 1000),
      currency: session.currency,
      customer: session.customer,
      metadata: { ...(session._paymentIntentData.metadata ?? {}) },
      status: "requires_payment_method",
      last_payment_error: null,
      latest_charge: null,
      canceled_at: null,
      next_action: null,
      processing: null,
      transfer_data: null,
      shipping: null,
    });
    this.paymentIntents.set(pi.id, pi);
    session.payment_intent = pi.id;
    events.push(this.event("payment_intent.created", pi));
    return pi;
  }

  fillShopperDetails(session, shopper) {
    const who = { ...DEFAULT_SHOPPER, ...shopper };
    const email = who.email ?? session.customer_details?.email ?? session.customer_email ?? "shopper@example.com";
    session.customer_details = {
      ...clone(templates["checkout.session"].customer_details),
      email,
      name: who.name,
      phone: who.phone,
      address: clone(who.address),
    };
    session.collected_information = {
      shipping_details: { name: who.name, address: clone(who.address) },
      business_name: null,
      individual_name: null,
    };
  }

  charge(pi, session, { paid }) {
    const charge = Object.assign(clone(templates.charge), {
      id: randomId("ch").replace("_test", ""),
      amount: pi.amount,
      amount_captured: paid ? pi.amount : 0,
      amount_refunded: 0,
      created: Math.floor(Date.now() / 1000),
      currency: pi.currency,
      customer: pi.customer,
      metadata: {}, // Stripe does not copy the PaymentIntent's metadata onto its charges
      paid,
      captured: paid,
      status: paid ? "succeeded" : "failed",
      payment_intent: pi.id,
      refunded: false,
      refunds: { object: "list", data: [], has_more: false, url: "/v1/charges/x/refunds" },
      billing_details: {
        ...clone(templates.charge.billing_details),
        email: session.customer_details?.email ?? null,
        name: session.customer_details?.name ?? null,
      },
      receipt_email: null,
      transfer_data: null,
      failure_code: paid ? null : "card_declined",
      failure_message: paid ? null : "Your card was declined.",
    });
    this.charges.set(charge.id, charge);
    pi.latest_charge = charge.id;
    return charge;
  }

  /**
   * The shopper pays. `async`: a delayed payment method (bank debit): the session completes unpaid now and
   * settles later through `settle`.
   */
  pay(sessionId, { shopper = {}, async = false } = {}) {
    const session = this.session(sessionId);
    if (session.status !== "open") throw Object.assign(new Error(`session is ${session.status}`), { status: 400 });
    const events = [];
    const pi = this.paymentIntentFor(session, events);
    this.fillShopperDetails(session, shopper);
    session.status = "complete";
    if (async) {
      pi.status = "processing";
      pi.last_payment_error = null;
      session.payment_status = "unpaid";
      events.push(this.event("payment_intent.processing", pi));
      events.push(this.event("checkout.session.completed", this.view(session)));
      return events;
    }
    const charge = this.charge(pi, session, { paid: true });
    Object.assign(pi, { status: "succeeded", amount_received: pi.amount, last_payment_error: null });
    session.payment_status = "paid";
    events.push(this.event("charge.succeeded", charge));
    events.push(this.event("payment_intent.succeeded", pi));
    events.push(this.event("checkout.session.completed", this.view(session)));
    return events;
  }

  /** A delayed payment settles: `succeeded` or `failed`. */
  settle(sessionId, outcome) {
    const session = this.session(sessionId);
    const pi = this.paymentIntents.get(session.payment_intent);
    if (!pi || pi.status !== "processing") throw Object.assign(new Error("no payment is processing"), { status: 400 });
    const events = [];
    if (outcome === "succeeded") {
      const charge = this.charge(pi, session, { paid: true });
      Object.assign(pi, { status: "succeeded", amount_received: pi.amount });
      session.payment_status = "paid";
      events.push(this.event("charge.succeeded", charge));
      events.push(this.event("payment_intent.succeeded", pi));
      events.push(this.event("checkout.session.async_payment_succeeded", this.view(session)));
    } else {
      this.charge(pi, session, { paid: false });
      Object.assign(pi, {
        status: "requires_payment_method",
        last_payment_error: {
          type: "invalid_request_error",
          code: "payment_method_not_available",
          message: "The bank debit failed: insufficient funds.",
        },
      });
      events.push(this.event("payment_intent.payment_failed", pi));
      events.push(this.event("checkout.session.async_payment_failed", this.view(session)));
    }
    return events;
  }

  /** The shopper's card is declined; the session stays open so they may try another card. */
  decline(sessionId, { message = "Your card was declined.", decline_code = "generic_decline" } = {}) {
    const session = this.session(sessionId);
    if (session.status !== "open") throw Object.assign(new Error(`session is ${session.status}`), { status: 400 });
    const events = [];
    const pi = this.paymentIntentFor(session, events);
    const charge = this.charge(pi, session, { paid: false });
    Object.assign(pi, {
      status: "requires_payment_method",
      last_payment_error: { type: "card_error", code: "card_declined", decline_code, message, charge: charge.id },
    });
    events.push(this.event("charge.failed", charge));
    events.push(this.event("payment_intent.payment_failed", pi));
    return events;
  }

  expire(sessionId) {
    const session = this.session(sessionId);
    if (session.status !== "open") throw Object.assign(new Error(`session is ${session.status}`), { status: 400 });
    session.status = "expired";
    session.url = null;
    const events = [];
    if (session.payment_intent) {
      const pi = this.paymentIntents.get(session.payment_intent);
      Object.assign(pi, { status: "canceled", canceled_at: Math.floor(Date.now() / 1000), cancellation_reason: "abandoned" });
      events.push(this.event("payment_intent.canceled", pi));
    }
    events.push(this.event("checkout.session.expired", this.view(session)));
    return events;
  }

  refund(sessionId, { amount } = {}) {
    const session = this.session(sessionId);
    const pi = this.paymentIntents.get(session.payment_intent);
    if (!pi || pi.status !== "succeeded") throw Object.assign(new Error("nothing to refund"), { status: 400 });
    const charge = this.charges.get(pi.latest_charge);
    const refundAmount = Math.min(amount ?? charge.amount, charge.amount - charge.amount_refunded);
    charge.amount_refunded += refundAmount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = Object.assign(clone(templates.refund), {
      id: randomId("re").replace("_test", ""),
      amount: refundAmount,
      charge: charge.id,
      currency: charge.currency,
      payment_intent: pi.id,
      status: "succeeded",
      created: Math.floor(Date.now() / 1000),
      metadata: {},
    });
    charge.refunds = { object: "list", data: [refund], has_more: false, url: `/v1/charges/${charge.id}/refunds` };
    this.refunds ??= new Map(); // GET /v1/refunds/:id
    this.refunds.set(refund.id, refund);
    return [this.event("refund.created", refund), this.event("charge.refunded", charge)];
  }
}

module.exports = { StripeState, API_VERSION, randomId, clone };
