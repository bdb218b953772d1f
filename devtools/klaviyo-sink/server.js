"use strict";
/**
 * A local Klaviyo-compatible sink for the three requests the backend makes:
 *   POST /api/events                                (Create Event)             → 202
 *   POST /api/profile-subscription-bulk-create-jobs (Bulk Subscribe Profiles)  → 202
 *   POST /api/profile-import                        (Create or Update Profile) → 200
 * Each is checked like Klaviyo does: the API key header, the revision, the content type and the body against
 * Klaviyo's official request schema (validators compiled by functions' build); errors come back in Klaviyo's
 * JSON:API error body. Like Klaviyo, it drops an event whose unique_id it has seen for the same profile and
 * metric, keeps each profile's properties as the accepted requests set them (in arrival order), keeps each
 * list's subscribed members, and refuses `consented_at` without `historical_import` (Klaviyo's rule). It can be
 * told to answer 429 with Retry-After, 5xx, or slowly. For tests and local runs only.
 *
 *   GET /_sink/events  /_sink/subscriptions  /_sink/profiles  /_sink/lists   (JSON)      GET /   a small page
 */
const http = require("node:http");
const crypto = require("node:crypto");
const path = require("node:path");
const { readBody, escapeHtml: escape } = require("../http-util");

const REVISION_FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function loadValidators() {
  const file = path.join(__dirname, "../../functions/lib/klaviyo/schemas/validators.js");
  let v;
  try {
    v = require(file);
  } catch {
    throw new Error(`${file} is missing: run "npm run build" first`);
  }
  if (!v.validateKlaviyoBulkSubscribe || !v.validateKlaviyoProfileImport) throw new Error(`${file} is out of date: run "npm run build"`);
  return { event: v.validateKlaviyoCreateEvent, subscribe: v.validateKlaviyoBulkSubscribe, profile: v.validateKlaviyoProfileImport };
}

const ROUTES = {
  "/api/events": "event",
  "/api/profile-subscription-bulk-create-jobs": "subscribe",
  "/api/profile-import": "profile",
};

const errorBody = (status, code, title, detail, pointer) => ({
  errors: [{ id: crypto.randomUUID(), status, code, title, detail, source: pointer ? { pointer } : {} }],
});

class KlaviyoSink {
  /** @param {{port?: number, host?: string, apiKey?: string, log?: (m: string) => void}} opts */
  constructor(opts = {}) {
    this.opts = { host: "127.0.0.1", port: 0, ...opts };
    this.validators = loadValidators();
    this.validate = this.validators.event;
    this.reset();
    this.server = http.createServer((req, res) =>
      this.route(req, res).catch((err) => this.send(res, 500, errorBody(500, "error", "Server error", String(err)))),
    );
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, resolve);
    });
    this.url = `http://${this.opts.host}:${this.server.address().port}`;
    return this.url;
  }

  close() {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset() {
    /** Create Event requests, in arrival order (what `events()` filters). */
    this.received = [];
    /** Subscribe Profiles requests. */
    this.subscriptions = [];
    /** Create or Update Profile requests. */
    this.profileImports = [];
    this.failures = [];
    this.seen = new Set();
    /** email → the profile's custom properties and locale, as Klaviyo would hold them. */
    this.profiles = new Map();
    /** list id → Map(email → { consented_at, at }). */
    this.lists = new Map();
  }

  /**
   * The next `count` API posts answer `status` (429 carries Retry-After: retryAfter seconds), or wait delayMs
   * first; `path` limits it to one endpoint (e.g. "/api/events"), otherwise any of the three.
   */
  failNext({ count = 1, status = 503, retryAfter = 1, delayMs = 0, path: only = null } = {}) {
    this.failures.push({ count, status, retryAfter, delayMs, path: only });
  }

  /** A profile as Klaviyo would hold it: `{ locale, properties }`, or undefined. */
  profile(email) {
    return this.profiles.get(String(email).toLowerCase());
  }

  /** The emails subscribed to a list. */
  members(listId) {
    return [...(this.lists.get(listId)?.keys() ?? [])];
  }

  applyProfile(attrs) {
    if (!attrs?.email) return;
    const key = attrs.email.toLowerCase();
    const cur = this.profiles.get(key) ?? { locale: null, properties: {} };
    this.profiles.set(key, {
      locale: attrs.locale ?? cur.locale,
      properties: { ...cur.properties, ...(attrs.properties ?? {}) },
      updates: (cur.updates ?? 0) + 1,
    });
  }

  /** The events Klaviyo would have recorded (accepted, not dropped as a repeat). */
  events() {
    return this.received.filter((r) => r.outcome === "accepted");
  }

  send(res, status, body, headers = {}) {
    const isHtml = typeof body === "string";
    res.writeHead(status, { "content-type": isHtml ? "text/html; charset=utf-8" : "application/vnd.api+json", ...headers });
    res.end(isHtml ? body : body === null ? "" : JSON.stringify(body));
  }

  async route(req, res) {
    const url = new URL(req.url, "http://x");
    if (req.method === "GET" && url.pathname === "/_sink/events") return this.send(res, 200, this.received);
    if (req.method === "GET" && url.pathname === "/_sink/subscriptions") return this.send(res, 200, this.subscriptions);
    if (req.method === "GET" && url.pathname === "/_sink/profiles") return this.send(res, 200, Object.fromEntries(this.profiles));
    if (req.method === "GET" && url.pathname === "/_sink/lists")
      return this.send(res, 200, Object.fromEntries([...this.lists].map(([id, m]) => [id, Object.fromEntries(m)])));
    if (req.method === "POST" && url.pathname === "/_sink/reset") return this.send(res, 200, { ok: this.reset() === undefined });
    if (req.method === "POST" && url.pathname === "/_sink/fail") {
      const body = await readBody(req);
      return this.send(res, 200, { ok: this.failNext(JSON.parse(body || "{}")) === undefined });
    }
    if (req.method === "GET" && url.pathname === "/") return this.send(res, 200, this.page());
    const route = ROUTES[url.pathname.replace(/\/$/, "")];
    if (route) {
      if (req.method !== "POST")
        return this.send(res, 405, errorBody(405, "method_not_allowed", "Method not allowed", `${req.method} is not allowed`));
      return this.api(route, url.pathname.replace(/\/$/, ""), req, res);
    }
    return this.send(res, 404, errorBody(404, "not_found", "Not found", url.pathname));
  }

  async api(route, pathname, req, res) {
    const raw = await readBody(req);
    const record = {
      at: new Date().toISOString(),
      revision: req.headers.revision ?? null,
      outcome: "refused",
      status: 0,
      body: null,
      error: null,
    };
    ({ event: this.received, subscribe: this.subscriptions, profile: this.profileImports })[route].push(record);
    const answer = (status, body, headers) => {
      record.status = status;
      return this.send(res, status, body, headers);
    };

    const failure = this.failures.find((f) => f.count > 0 && (!f.path || f.path === pathname));
    if (failure) {
      failure.count--;
      if (failure.delayMs) await sleep(failure.delayMs);
      if (failure.status === 429) {
        record.error = "throttled";
        return answer(
          429,
          errorBody(
            429,
            "throttled",
            "Request was throttled.",
            `Request was throttled. Expected available in ${failure.retryAfter} seconds.`,
          ),
          { "retry-after": String(failure.retryAfter) },
        );
      }
      if (failure.status >= 400) {
        record.error = `simulated ${failure.status}`;
        return answer(failure.status, errorBody(failure.status, "error", "A server error occurred.", "Simulated failure"));
      }
    }

    const auth = req.headers.authorization ?? "";
    const key = /^Klaviyo-API-Key (\S+)$/.exec(auth)?.[1];
    if (!key || (this.opts.apiKey && key !== this.opts.apiKey)) {
      record.error = "not authenticated";
      return answer(
        401,
        errorBody(401, "not_authenticated", "Authentication credentials were not provided.", "Missing or invalid private key."),
      );
    }
    if (!REVISION_FORMAT.test(record.revision ?? "")) {
      record.error = "bad revision";
      return answer(400, errorBody(400, "invalid", "Invalid input.", "A valid revision header is required (YYYY-MM-DD)."));
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/vnd.api+json")) {
      record.error = "bad content type";
      return answer(415, errorBody(415, "unsupported_media_type", "Unsupported media type.", "Use application/vnd.api+json."));
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      record.error = "bad JSON";
      return answer(400, errorBody(400, "parse_error", "Malformed request.", "JSON parse error."));
    }
    record.body = body;
    const validate = this.validators[route];
    if (!validate(body)) {
      const first = validate.errors[0];
      record.error = `schema: ${first.instancePath} ${first.message}`;
      return answer(
        400,
        errorBody(400, "invalid", "Invalid input.", `${first.instancePath || "/"} ${first.message}`, `/data${first.instancePath}`),
      );
    }
    if (route === "subscribe") return this.subscribe(body, record, answer);
    if (route === "profile") {
      record.outcome = "accepted";
      this.applyProfile(body.data.attributes);
      if (this.opts.log) this.opts.log(`klaviyo profile update → 200`);
      return answer(200, { data: { type: "profile", id: crypto.randomUUID(), attributes: body.data.attributes } });
    }
    const a = body.data.attributes;
    const who = a.profile.data.attributes.email ?? a.profile.data.attributes.phone_number ?? a.profile.data.id;
    const dedupe = a.unique_id ? `${who}|${a.metric.data.attributes.name}|${a.unique_id}` : null;
    record.outcome = dedupe && this.seen.has(dedupe) ? "duplicate" : "accepted";
    if (dedupe) this.seen.add(dedupe);
    // a dropped repeat changes nothing; an accepted event sets the profile's attributes as it arrives
    if (record.outcome === "accepted") this.applyProfile(a.profile.data.attributes);
    if (this.opts.log) this.opts.log(`klaviyo ${a.metric.data.attributes.name} ${a.unique_id ?? ""} → 202 ${record.outcome}`);
    return answer(202, null);
  }

  /** Klaviyo's rules beyond the schema: consented_at only with historical_import (then required, in the past). */
  subscribe(body, record, answer) {
    const a = body.data.attributes;
    const historical = a.historical_import === true;
    const profiles = a.profiles.data;
    for (const [i, p] of profiles.entries()) {
      const at = p.attributes.subscriptions?.email?.marketing?.consented_at;
      const pointer = `/data/attributes/profiles/data/${i}/attributes/subscriptions/email/marketing/consented_at`;
      let problem = null;
      if (at != null && !historical) problem = "consented_at may only be given with historical_import";
      else if (historical && at == null) problem = "consented_at is required when historical_import is true";
      else if (historical && Date.parse(at) > Date.now()) problem = "consented_at must be in the past";
      else if (!p.attributes.email && !p.attributes.phone_number && !p.id) problem = "an email, phone number or id is required";
      if (problem) {
        record.error = problem;
        return answer(400, errorBody(400, "invalid", "Invalid input.", problem, pointer));
      }
    }
    const listId = body.data.relationships?.list?.data?.id ?? null;
    for (const p of profiles) {
      if (!p.attributes.email || !p.attributes.subscriptions?.email?.marketing) continue;
      if (listId) {
        if (!this.lists.has(listId)) this.lists.set(listId, new Map());
        const members = this.lists.get(listId);
        const key = p.attributes.email.toLowerCase();
        members.set(key, {
          consented_at: p.attributes.subscriptions.email.marketing.consented_at ?? null,
          at: members.get(key)?.at ?? record.at,
          requests: (members.get(key)?.requests ?? 0) + 1,
        });
      }
    }
    record.outcome = "accepted";
    if (this.opts.log) this.opts.log(`klaviyo subscribe ${profiles.length} profile(s) to ${listId ?? "(no list)"} → 202`);
    return answer(202, null);
  }

  page() {
    const rows = [...this.received]
      .reverse()
      .map((r) => {
        const a = r.body?.data?.attributes;
        return `<tr><td>${escape(r.at)}</td><td>${escape(r.status)}</td><td>${escape(r.outcome)}</td><td>${escape(a?.metric?.data?.attributes?.name)}</td><td>${escape(a?.profile?.data?.attributes?.email)}</td><td><code>${escape(a?.unique_id)}</code></td><td><details><summary>body</summary><pre>${escape(JSON.stringify(r.body, null, 2))}</pre></details>${escape(r.error ?? "")}</td></tr>`;
      })
      .join("");
    const lists = [...this.lists]
      .map(
        ([id, m]) =>
          `<h3>List <code>${escape(id)}</code>: ${m.size} member(s)</h3><table><thead><tr><th>email</th><th>consented_at</th><th>subscribed</th><th>requests</th></tr></thead><tbody>${[
            ...m,
          ]
            .map(
              ([email, v]) =>
                `<tr><td>${escape(email)}</td><td>${escape(v.consented_at)}</td><td>${escape(v.at)}</td><td>${escape(v.requests)}</td></tr>`,
            )
            .join("")}</tbody></table>`,
      )
      .join("");
    const profiles = [...this.profiles]
      .map(
        ([email, p]) =>
          `<tr><td>${escape(email)}</td><td>${escape(p.locale)}</td><td><code>${escape(JSON.stringify(p.properties))}</code></td></tr>`,
      )
      .join("");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Local Klaviyo sink</title><style>body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}pre{max-width:60ch;overflow:auto}</style></head>
<body><h1>Local Klaviyo sink</h1><p>${this.events().length} event(s) recorded; ${this.received.length} request(s). Refreshes every 3 s.</p>
<table><thead><tr><th>received</th><th>HTTP</th><th>outcome</th><th>metric</th><th>profile</th><th>unique_id</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Lists</h2>${lists || "<p>No subscriptions yet.</p>"}
<h2>Profiles</h2><table><thead><tr><th>email</th><th>locale</th><th>properties</th></tr></thead><tbody>${profiles}</tbody></table></body></html>`;
  }
}

module.exports = { KlaviyoSink };
