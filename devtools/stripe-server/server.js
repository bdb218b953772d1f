"use strict";
/**
 * A local Stripe-compatible HTTP server: the part of Stripe's API our code calls, spoken as the real API
 * speaks it (form-encoded bodies, Bearer auth, Stripe's error envelope, idempotency-key replay), plus a
 * hosted checkout page (Pay / Decline / Let it expire) and signed webhook delivery to a configured URL.
 * For tests and local runs only; never deployed.
 */
const http = require("node:http");
const crypto = require("node:crypto");
const qs = require("qs");
const { StripeState } = require("./state");
const { checkoutPage, resultPage } = require("./page");
const { readBody } = require("../http-util");
const { handleEvents, dropDeliveries, dropsDelivery } = require("./events-api");
const webhookSupport = require("./webhook-support");

function stripeError(status, type, message, extra = {}) {
  return { status, body: { error: { type, message, ...extra } } };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class StripeServer {
  /**
   * @param {{webhookUrl?: string, webhookSecret?: string, port?: number, host?: string, log?: (msg: string) => void}} opts
   */
  constructor(opts = {}) {
    this.opts = { host: "127.0.0.1", port: 0, ...opts };
    this.state = new StripeState();
    this.prices = new Map();
    this.requests = [];
    this.deliveries = [];
    this.idempotency = new Map();
    this.failures = [];
    this.deletedCustomers = new Set();
    this.server = http.createServer((req, res) =>
      this.route(req, res).catch((err) => this.send(res, 500, { error: { type: "api_error", message: String(err) } })),
    );
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, resolve);
    });
    const { port } = this.server.address();
    this.url = `http://${this.opts.host}:${port}`;
    this.state.publicUrl = this.url;
    return this.url;
  }

  close() {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset() {
    this.state = new StripeState({ publicUrl: this.url });
    this.prices.clear();
    this.requests = [];
    this.deliveries = [];
    this.idempotency.clear();
    this.failures = [];
    this._outage = null;
    this.deletedCustomers = new Set();
  }

  /** A Price the API knows (for the Price-id offer configuration). */
  addPrice({ id = `price_${crypto.randomBytes(6).toString("hex")}`, unit_amount, currency, product = "prod_local_rolitt" }) {
    this.prices.set(id, {
      id,
      object: "price",
      active: true,
      billing_scheme: "per_unit",
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      metadata: {},
      product,
      type: "one_time",
      unit_amount,
      unit_amount_decimal: String(unit_amount),
      currency,
    });
    return id;
  }

  /** GET /v1/prices/:id (`prices.retrieve`), as the offer endpoint reads a configured Price. */
  retrievePrice(id) {
    const price = this.prices.get(id);
    return price
      ? { status: 200, body: price }
      : stripeError(404, "invalid_request_error", `No such price: '${id}'`, { code: "resource_missing", param: "id" });
  }

  /**
   * The next `count` API requests (optionally only those whose path starts with `path`) fail or are slow.
   * status 500 → api_error; 402 → card_error; 400 → invalid_request_error; 429 → rate_limit_error.
   */
  failNext({ count = 1, status = 500, path = "", delayMs = 0, message } = {}) {
    this.failures.push({ count, status, path, delayMs, message });
  }

  send(res, status, body, headers = {}) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": typeof body === "string" ? "text/html; charset=utf-8" : "application/json",
      "request-id": `req_${crypto.randomBytes(7).toString("hex")}`,
      ...headers,
    });
    res.end(text);
  }

  async route(req, res) {
    const url = new URL(req.url, "http://x");
    if (url.pathname.startsWith("/v1/")) return this.api(req, res, url);
    if (url.pathname.startsWith("/c/pay/")) return this.checkout(req, res, url);
    if (url.pathname.startsWith("/_control/")) return this.control(req, res, url);
    if (url.pathname === "/")
      return this.send(res, 200, { ok: true, service: "local Stripe-compatible server", sessions: this.state.sessions.size });
    return this.send(res, 404, {
      error: { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${url.pathname}).` },
    });
  }

  // ---- the API -------------------------------------------------------------------------------------------

  async api(req, res, url) {
    const raw = await readBody(req);
    const params = req.method === "GET" ? qs.parse(url.search.slice(1)) : qs.parse(raw, { depth: 10, arrayLimit: 100 });
    const idempotencyKey = req.headers["idempotency-key"] ?? null;
    const entry = {
      method: req.method,
      path: url.pathname,
      params,
      idempotencyKey,
      stripeVersion: req.headers["stripe-version"] ?? null,
      at: Date.now(),
    };
    this.requests.push(entry);

    const auth = req.headers.authorization ?? "";
    if (!/^Bearer sk_(test|live)_\S+$/.test(auth)) {
      return this.send(res, 401, { error: { type: "invalid_request_error", message: "Invalid API Key provided." } });
    }

    const failure = this.failures.find((f) => f.count > 0 && url.pathname.startsWith(f.path));
    if (failure) {
      failure.count--;
      if (failure.delayMs) await sleep(failure.delayMs);
      if (failure.status !== 200) {
        const type = { 400: "invalid_request_error", 402: "card_error", 429: "rate_limit_error" }[failure.status] ?? "api_error";
        entry.failed = failure.status;
        return this.send(res, failure.status, { error: { type, message: failure.message ?? `Simulated ${type}` } });
      }
    }

    let result;
    if (idempotencyKey && req.method === "POST") {
      const fingerprint = crypto.createHash("sha256").update(`${url.pathname}\n${raw}`).digest("hex");
      const seen = this.idempotency.get(idempotencyKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          result = stripeError(
            400,
            "idempotency_error",
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          );
        } else {
          entry.replayed = true;
          return this.send(res, seen.result.status, seen.result.body, { "idempotent-replayed": "true" });
        }
      } else {
        result = this.handle(req.method, url.pathname, params);
        if (result.status < 500) this.idempotency.set(idempotencyKey, { fingerprint, result });
      }
    } else {
      result = this.handle(req.method, url.pathname, params);
    }
    return this.send(res, result.status, result.body);
  }

  handle(method, path, params) {
    try {
      const s = this.state;
      let m;
      const events = handleEvents(this, method, path, params);
      if (events) return events;
      const customer = this.customerRoutes(method, path);
      if (customer) return customer;
      if (method === "GET" && path === "/v1/customers") return { status: 200, body: s.listCustomers(params) };
      if (method === "POST" && path === "/v1/customers") return { status: 200, body: s.createCustomer(params) };
      if (method === "GET" && (m = path.match(/^\/v1\/customers\/([^/]+)$/))) {
        const c = s.customers.get(m[1]);
        return c
          ? { status: 200, body: c }
          : stripeError(404, "invalid_request_error", `No such customer: '${m[1]}'`, { code: "resource_missing", param: "id" });
      }
      if (method === "GET" && (m = path.match(/^\/v1\/prices\/([^/]+)$/))) return this.retrievePrice(m[1]);
      if (method === "POST" && path === "/v1/checkout/sessions") return this.createSession(params);
      if (method === "GET" && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/)))
        return { status: 200, body: s.view(s.session(m[1])) };
      if (method === "POST" && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)\/expire$/))) {
        const events = s.expire(m[1]);
        this.emit(events);
        return { status: 200, body: s.view(s.session(m[1])) };
      }
      if (method === "GET" && (m = path.match(/^\/v1\/payment_intents\/([^/]+)$/))) {
        const pi = s.paymentIntents.get(m[1]);
        return pi
          ? { status: 200, body: pi }
          : stripeError(404, "invalid_request_error", `No such payment_intent: '${m[1]}'`, { code: "resource_missing" });
      }
      if (method === "POST" && path === "/v1/refunds") return this.createRefund(params);
      const supported = webhookSupport.handleWebhookSupport(s, this.prices, method, path, params);
      if (supported) return supported;
      return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
    } catch (err) {
      return stripeError(
        err.status ?? 500,
        err.status ? "invalid_request_error" : "api_error",
        err.message,
        err.param ? { param: err.param, code: "resource_missing" } : {},
      );
    }
  }

  /** POST /v1/refunds {payment_intent, amount?} (the console's refund): the refund, and its webhooks sent. */
  createRefund(params) {
    const pi = params.payment_intent ? this.state.paymentIntents.get(params.payment_intent) : null;
    if (!pi)
      return stripeError(400, "invalid_request_error", `No such payment_intent: '${params.payment_intent ?? ""}'`, {
        param: "payment_intent",
        code: "resource_missing",
      });
    const charge = this.state.charges.get(pi.latest_charge);
    if (charge?.refunded)
      return stripeError(400, "invalid_request_error", `Charge ${charge.id} has already been refunded.`, {
        code: "charge_already_refunded",
      });
    const session = [...this.state.sessions.values()].find((s) => s.payment_intent === pi.id);
    const events = this.state.refund(session.id, { amount: params.amount ? Number(params.amount) : undefined });
    const refund = events[0].data.object;
    Object.assign(refund, { reason: params.reason ?? null, metadata: params.metadata ?? {} });
    this.emit(events);
    return { status: 200, body: refund };
  }

  /**
   * Deleting a customer, as Stripe does it: `DELETE /v1/customers/{id}` answers the `deleted: true` stub, a
   * later GET answers the same stub, and the id is unknown everywhere else (a session naming it gets 400
   * `resource_missing` on `customer`). Returns null for every other route.
   */
  customerRoutes(method, path) {
    const m = path.match(/^\/v1\/customers\/([^/]+)$/);
    if (!m) return null;
    const id = m[1];
    const stub = { id, object: "customer", deleted: true };
    if (method === "DELETE") {
      if (!this.state.customers.has(id))
        return stripeError(404, "invalid_request_error", `No such customer: '${id}'`, { code: "resource_missing", param: "id" });
      this.state.customers.delete(id);
      this.deletedCustomers.add(id);
      return { status: 200, body: stub };
    }
    if (method === "GET" && this.deletedCustomers.has(id)) return { status: 200, body: stub };
    return null;
  }

  createSession(params) {
    const bad = (param, message) => stripeError(400, "invalid_request_error", message, { param });
    if (!["payment", "setup", "subscription"].includes(params.mode)) return bad("mode", "Missing required param: mode.");
    if (params.mode !== "payment") return bad("mode", "This local server supports mode=payment only.");
    if (!Array.isArray(params.line_items) || params.line_items.length === 0)
      return bad("line_items", "You must specify `line_items` in `payment` mode.");
    const item = params.line_items[0];
    if (item.price) {
      if (!this.prices.has(item.price))
        return stripeError(400, "invalid_request_error", `No such price: '${item.price}'`, {
          param: "line_items[0][price]",
          code: "resource_missing",
        });
    } else if (
      !item.price_data ||
      !item.price_data.currency ||
      !/^\d+$/.test(String(item.price_data.unit_amount ?? "")) ||
      !item.price_data.product_data?.name
    ) {
      return bad(
        "line_items[0][price_data]",
        "line_items[0] needs a price or price_data with currency, unit_amount and product_data[name].",
      );
    }
    if (!params.success_url) return bad("success_url", "Missing required param: success_url.");
    if (params.customer && !this.state.customers.has(params.customer))
      return stripeError(400, "invalid_request_error", `No such customer: '${params.customer}'`, {
        param: "customer",
        code: "resource_missing",
      });
    if (params.customer && params.customer_email)
      return bad("customer_email", "You may only specify one of these parameters: customer, customer_email.");
    if (params.metadata && Object.keys(params.metadata).length > 50) return bad("metadata", "Metadata can have up to 50 keys.");
    return { status: 200, body: this.state.view(this.state.createSession(params, this.prices)) };
  }

  // ---- shopper actions and webhooks ---------------------------------------------------------------------

  /** Run a lifecycle step (pay, decline, settle, expire, refund) and deliver its events; returns the events. */
  async act(action, sessionId, options = {}, delivery = {}) {
    const s = this.state;
    const events =
      action === "pay"
        ? s.pay(sessionId, options)
        : action === "decline"
          ? s.decline(sessionId, options)
          : action === "settle"
            ? s.settle(sessionId, options.outcome)
            : action === "expire"
              ? s.expire(sessionId)
              : action === "refund"
                ? s.refund(sessionId, options)
                : action === "dispute"
                  ? webhookSupport.dispute(s, sessionId, options)
                  : null;
    if (!events) throw Object.assign(new Error(`unknown action ${action}`), { status: 400 });
    await this.deliver(events, delivery);
    return events;
  }

  /**
   * A session made outside our callable (Dashboard, Payment Link): no preorder metadata. `paymentLink` names
   * its Payment Link (else a random one), `price` a Price id instead of inline price data, and
   * `clientReferenceId` what a buyer may put in a Payment Link's URL.
   */
  createForeignSession({ email = "walkin@example.com", amount = 9900, currency = "usd", paymentLink, price, clientReferenceId } = {}) {
    const session = this.state.createSession(
      {
        mode: "payment",
        line_items: [
          price ? { price, quantity: 1 } : { price_data: { currency, unit_amount: amount, product_data: { name: "Rolitt" } }, quantity: 1 },
        ],
        success_url: "https://example.com/ok",
        customer_email: email,
        client_reference_id: clientReferenceId,
        payment_link: paymentLink ?? `plink_${crypto.randomBytes(6).toString("hex")}`,
      },
      this.prices,
    );
    return session.id;
  }

  /** A webhook outage: see events-api.js. */
  dropDeliveries(opts) {
    dropDeliveries(this, opts);
  }

  emit(events) {
    this.deliver(events).catch(() => undefined);
  }

  /** The Stripe-Signature header for a payload, as Stripe computes it. */
  sign(payload, { secret = this.opts.webhookSecret, timestamp = Math.floor(Date.now() / 1000) } = {}) {
    const v1 = crypto.createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
    return `t=${timestamp},v1=${v1}`;
  }

  /**
   * POST events to the webhook URL, signed. Options: `duplicate` (send each n extra times), `order`
   * ('as-is' | 'reverse' | 'shuffle'), `delayMs` between deliveries.
   */
  async deliver(events, { duplicate = 0, order = "as-is", delayMs = 0, url = this.opts.webhookUrl } = {}) {
    if (!url || !this.opts.webhookSecret) return [];
    let list = events.flatMap((e) => Array.from({ length: duplicate + 1 }, () => e));
    if (order === "reverse") list = list.reverse();
    if (order === "shuffle")
      list = list
        .map((e) => [Math.random(), e])
        .sort((a, b) => a[0] - b[0])
        .map(([, e]) => e);
    const statuses = [];
    for (const event of list) {
      if (delayMs) await sleep(delayMs);
      if (dropsDelivery(this, event)) {
        this.deliveries.push({ id: event.id, type: event.type, status: "dropped", at: Date.now() });
        statuses.push("dropped");
        continue;
      }
      const payload = JSON.stringify(event, null, 2);
      let status;
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json; charset=utf-8",
            "stripe-signature": this.sign(payload),
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          },
          body: payload,
        });
        status = res.status;
        await res.arrayBuffer();
      } catch (err) {
        status = `error: ${err.message}`;
      }
      this.deliveries.push({ id: event.id, type: event.type, status, at: Date.now() });
      if (this.opts.log) this.opts.log(`webhook ${event.type} ${event.id} → ${status}`);
      statuses.push(status);
    }
    return statuses;
  }

  // ---- the hosted checkout page -------------------------------------------------------------------------

  async checkout(req, res, url) {
    const [, , , id, action] = url.pathname.split("/");
    const session = this.state.sessions.get(id);
    if (!session) return this.send(res, 404, resultPage("Checkout session not found", "This link is not valid.", null));
    if (req.method === "GET")
      // no-store: Back after paying fetches the page again and shows the paid state
      return this.send(res, 200, checkoutPage(this.state.view(session), url.searchParams.has("declined"), session._product), {
        "cache-control": "no-store",
      });
    if (req.method !== "POST") return this.send(res, 405, "method not allowed", { allow: "GET, POST" });
    try {
      if (action === "pay") {
        await this.act("pay", id);
        return this.send(res, 303, "", { location: session.success_url.replace("{CHECKOUT_SESSION_ID}", id) });
      }
      if (action === "decline") {
        await this.act("decline", id);
        return this.send(res, 303, "", { location: `/c/pay/${id}?declined=1` });
      }
      if (action === "expire") {
        await this.act("expire", id);
        return this.send(res, 303, "", { location: session.cancel_url ?? "/" });
      }
    } catch (err) {
      return this.send(res, 400, resultPage("This checkout can't continue", err.message, null));
    }
    return this.send(res, 404, resultPage("Unknown action", action, null));
  }

  // ---- control endpoints (for `npm start` and tests in other processes) ----------------------------------

  async control(req, res, url) {
    const body = req.method === "POST" ? JSON.parse((await readBody(req)) || "{}") : {};
    const path = url.pathname.replace("/_control/", "");
    try {
      if (path === "requests") return this.send(res, 200, this.requests);
      if (path === "deliveries") return this.send(res, 200, this.deliveries);
      if (path === "sessions")
        return this.send(
          res,
          200,
          [...this.state.sessions.values()].map((s) => this.state.view(s)),
        );
      if (path === "reset" && req.method === "POST") return this.send(res, 200, { ok: this.reset() === undefined });
      if (path === "fail" && req.method === "POST") return this.send(res, 200, { ok: this.failNext(body) === undefined });
      if (path === "drop" && req.method === "POST") return this.send(res, 200, { ok: this.dropDeliveries(body) === undefined });
      if (path === "clock" && req.method === "POST") return this.send(res, 200, webhookSupport.setClock(this.state, body));
      if (path === "act" && req.method === "POST") {
        const events = await this.act(body.action, body.sessionId, body.options ?? {}, body.delivery ?? {});
        return this.send(res, 200, events);
      }
    } catch (err) {
      return this.send(res, err.status ?? 500, { error: { message: err.message } });
    }
    return this.send(res, 404, { error: { message: `unknown control ${path}` } });
  }
}

module.exports = { StripeServer };
