"use strict";
/**
 * The local Stripe server's Events API and its webhook outages (kept apart from server.js so that other
 * routes merge mechanically):
 *
 * - `GET /v1/events` as Stripe serves it: newest first, `limit` 1–100 (default 10), `starting_after` /
 *   `ending_before` pagination, `types[]` (≤ 20) or `type` (with `*` wildcards), `created` (a number or
 *   gt/gte/lt/lte), `delivery_success` (false → events no webhook delivery has succeeded for: pending or
 *   failed), and only the last 30 days. `GET /v1/events/:id` retrieves one.
 * - Outages: `dropDeliveries({rate, count, types})` makes `deliver()` lose deliveries (never POSTed, as if
 *   every retry failed), so recovering them through the Events API can be tested offline.
 */
const RETENTION_SECONDS = 30 * 24 * 3600;
const MAX_TYPES = 20;

const invalid = (message, param) => ({
  status: 400,
  body: { error: { type: "invalid_request_error", message, ...(param && { param }) } },
});

/** Event ids whose webhook delivery succeeded (2xx), indexed incrementally from `server.deliveries`. */
function deliveredIds(server) {
  // reset() replaces the deliveries array: start over then (a length check alone misses a longer new one)
  if (!server._delivered || server._deliveredOf !== server.deliveries) {
    server._deliveredOf = server.deliveries;
    server._delivered = new Set();
    server._deliveredFrom = 0;
  }
  for (let i = server._deliveredFrom; i < server.deliveries.length; i++) {
    const d = server.deliveries[i];
    if (typeof d.status === "number" && d.status >= 200 && d.status < 300) server._delivered.add(d.id);
  }
  server._deliveredFrom = server.deliveries.length;
  return server._delivered;
}

/** The event as the API shows it: `pending_webhooks` says whether an endpoint still waits for it. */
function view(server, event, delivered) {
  const pending = server.opts.webhookUrl && !delivered.has(event.id) ? 1 : 0;
  return { ...event, pending_webhooks: pending };
}

function createdFilter(created) {
  if (created === undefined) return () => true;
  if (typeof created === "string") {
    if (!/^\d+$/.test(created)) return null;
    const n = Number(created);
    return (c) => c === n;
  }
  if (typeof created !== "object" || created === null) return null;
  const ops = { gt: (c, n) => c > n, gte: (c, n) => c >= n, lt: (c, n) => c < n, lte: (c, n) => c <= n };
  const checks = [];
  for (const [op, raw] of Object.entries(created)) {
    if (!ops[op] || !/^\d+$/.test(String(raw))) return null;
    checks.push((c) => ops[op](c, Number(raw)));
  }
  return (c) => checks.every((f) => f(c));
}

function typeFilter(params) {
  if (params.type !== undefined && params.types !== undefined)
    return invalid("You may pass either `type` or `types`, but not both.", "types");
  if (params.types !== undefined) {
    const types = Array.isArray(params.types) ? params.types : Object.values(params.types);
    if (types.length > MAX_TYPES) return invalid(`types: at most ${MAX_TYPES} event types.`, "types");
    const set = new Set(types.map(String));
    return { test: (t) => set.has(t) };
  }
  if (params.type !== undefined) {
    const re = new RegExp(
      `^${String(params.type)
        .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")}$`,
    );
    return { test: (t) => re.test(t) };
  }
  return { test: () => true };
}

/** GET /v1/events */
function listEvents(server, params) {
  const log = server.state.events ?? [];
  const limit = params.limit === undefined ? 10 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid("limit must be between 1 and 100.", "limit");
  const types = typeFilter(params);
  if (types.status) return types;
  const inCreated = createdFilter(params.created);
  if (!inCreated) return invalid("Invalid created: an integer or a hash of gt, gte, lt, lte.", "created");
  let delivery = null;
  if (params.delivery_success !== undefined) {
    if (!["true", "false"].includes(String(params.delivery_success)))
      return invalid("Invalid boolean: delivery_success.", "delivery_success");
    delivery = String(params.delivery_success) === "true";
  }
  if (params.starting_after && params.ending_before)
    return invalid("You may only specify one of these parameters: starting_after, ending_before.", "ending_before");

  // Positions in the log are the list's order (the log is chronological; the list is its reverse).
  const position = (id, param) => {
    const at = server._eventIndex?.get(id);
    return at === undefined ? invalid(`No such event: '${id}'`, param) : at;
  };
  indexEvents(server);
  const oldest = Math.floor(Date.now() / 1000) - RETENTION_SECONDS;
  const delivered = deliveredIds(server);
  const matches = (e) =>
    e.created >= oldest && types.test(e.type) && inCreated(e.created) && (delivery === null || delivered.has(e.id) === delivery);

  const data = [];
  let hasMore = false;
  if (params.ending_before) {
    // the page just newer than the given event, still shown newest first
    const from = position(params.ending_before, "ending_before");
    if (typeof from !== "number") return from;
    for (let i = from + 1; i < log.length; i++) {
      if (!matches(log[i])) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(log[i]);
    }
    data.reverse();
  } else {
    let from = log.length;
    if (params.starting_after) {
      from = position(params.starting_after, "starting_after");
      if (typeof from !== "number") return from;
    }
    for (let i = from - 1; i >= 0; i--) {
      if (!matches(log[i])) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(log[i]);
    }
  }
  return {
    status: 200,
    body: { object: "list", url: "/v1/events", has_more: hasMore, data: data.map((e) => view(server, e, delivered)) },
  };
}

function indexEvents(server) {
  const log = server.state.events ?? [];
  if (!server._eventIndex || server._eventIndexState !== server.state || server._eventIndex.size > log.length) {
    server._eventIndex = new Map();
    server._eventIndexState = server.state;
  }
  for (let i = server._eventIndex.size; i < log.length; i++) server._eventIndex.set(log[i].id, i);
}

/** GET /v1/events/:id */
function retrieveEvent(server, id) {
  indexEvents(server);
  const at = server._eventIndex.get(id);
  const event = at === undefined ? null : server.state.events[at];
  if (!event || event.created < Math.floor(Date.now() / 1000) - RETENTION_SECONDS)
    return { status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing", message: `No such event: '${id}'` } } };
  return { status: 200, body: view(server, event, deliveredIds(server)) };
}

/** Routes this module serves; null when the request is not one of them. */
function handleEvents(server, method, path, params) {
  if (method !== "GET") return null;
  if (path === "/v1/events") return listEvents(server, params);
  const m = path.match(/^\/v1\/events\/([^/]+)$/);
  return m ? retrieveEvent(server, m[1]) : null;
}

// ---- outages ---------------------------------------------------------------------------------------------

/**
 * From now on, lose deliveries: each with probability `rate` (1 = a full outage), at most `count` of them,
 * only of `types` when given. `random` makes runs reproducible. Replaces any earlier outage; `rate: 0` ends it.
 */
function dropDeliveries(server, { rate = 1, count = Infinity, types = null, random = Math.random } = {}) {
  server._outage = rate > 0 ? { rate, left: count, types: types ? new Set(types) : null, random, dropped: 0 } : null;
}

/** Whether this delivery is lost to the outage (called by deliver() before it POSTs). */
function dropsDelivery(server, event) {
  const o = server._outage;
  if (!o || o.left <= 0 || (o.types && !o.types.has(event.type)) || o.random() >= o.rate) return false;
  o.left--;
  o.dropped++;
  return true;
}

module.exports = { handleEvents, listEvents, dropDeliveries, dropsDelivery, RETENTION_SECONDS };
