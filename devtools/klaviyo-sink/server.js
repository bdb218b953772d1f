"use strict";
/**
 * A local Klaviyo-compatible sink for POST /api/events: checks the API key header, the revision and the body
 * against Klaviyo's official request schema (the validator compiled by functions' build), answers 202 like
 * Klaviyo or with Klaviyo's JSON:API error body, drops a repeated unique_id like Klaviyo does, records what
 * arrived, and can be told to answer 429 with Retry-After, 5xx, or slowly. For tests and local runs only.
 *
 *   GET /_sink/events   what arrived (JSON)        GET /   the same as a small page
 */
const http = require("node:http");
const crypto = require("node:crypto");
const path = require("node:path");
const { readBody, escapeHtml: escape } = require("../http-util");

const REVISION_FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function loadValidator() {
  const file = path.join(__dirname, "../../functions/lib/klaviyo/schemas/validators.js");
  try {
    return require(file).validateKlaviyoCreateEvent;
  } catch {
    throw new Error(`${file} is missing: run "npm run build" first`);
  }
}

const errorBody = (status, code, title, detail, pointer) => ({
  errors: [{ id: crypto.randomUUID(), status, code, title, detail, source: pointer ? { pointer } : {} }],
});

class KlaviyoSink {
  /** @param {{port?: number, host?: string, apiKey?: string, log?: (m: string) => void}} opts */
  constructor(opts = {}) {
    this.opts = { host: "127.0.0.1", port: 0, ...opts };
    this.validate = loadValidator();
    this.received = [];
    this.failures = [];
    this.seen = new Set();
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
    this.received = [];
    this.failures = [];
    this.seen.clear();
  }

  /** The next `count` event posts answer `status` (429 carries Retry-After: retryAfter seconds), or wait delayMs first. */
  failNext({ count = 1, status = 503, retryAfter = 1, delayMs = 0 } = {}) {
    this.failures.push({ count, status, retryAfter, delayMs });
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
    if (req.method === "POST" && url.pathname === "/_sink/reset") return this.send(res, 200, { ok: this.reset() === undefined });
    if (req.method === "POST" && url.pathname === "/_sink/fail") {
      const body = await readBody(req);
      return this.send(res, 200, { ok: this.failNext(JSON.parse(body || "{}")) === undefined });
    }
    if (req.method === "GET" && url.pathname === "/") return this.send(res, 200, this.page());
    if (url.pathname === "/api/events" || url.pathname === "/api/events/") {
      if (req.method !== "POST")
        return this.send(res, 405, errorBody(405, "method_not_allowed", "Method not allowed", `${req.method} is not allowed`));
      return this.event(req, res);
    }
    return this.send(res, 404, errorBody(404, "not_found", "Not found", url.pathname));
  }

  async event(req, res) {
    const raw = await readBody(req);
    const record = {
      at: new Date().toISOString(),
      revision: req.headers.revision ?? null,
      outcome: "refused",
      status: 0,
      body: null,
      error: null,
    };
    this.received.push(record);
    const answer = (status, body, headers) => {
      record.status = status;
      return this.send(res, status, body, headers);
    };

    const failure = this.failures.find((f) => f.count > 0);
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
    if (!this.validate(body)) {
      const first = this.validate.errors[0];
      record.error = `schema: ${first.instancePath} ${first.message}`;
      return answer(
        400,
        errorBody(400, "invalid", "Invalid input.", `${first.instancePath || "/"} ${first.message}`, `/data${first.instancePath}`),
      );
    }
    const a = body.data.attributes;
    const who = a.profile.data.attributes.email ?? a.profile.data.attributes.phone_number ?? a.profile.data.id;
    const dedupe = a.unique_id ? `${who}|${a.metric.data.attributes.name}|${a.unique_id}` : null;
    record.outcome = dedupe && this.seen.has(dedupe) ? "duplicate" : "accepted";
    if (dedupe) this.seen.add(dedupe);
    if (this.opts.log) this.opts.log(`klaviyo ${a.metric.data.attributes.name} ${a.unique_id ?? ""} → 202 ${record.outcome}`);
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
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Local Klaviyo sink</title><style>body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}pre{max-width:60ch;overflow:auto}</style></head>
<body><h1>Local Klaviyo sink</h1><p>${this.events().length} event(s) recorded; ${this.received.length} request(s). Refreshes every 3 s.</p>
<table><thead><tr><th>received</th><th>HTTP</th><th>outcome</th><th>metric</th><th>profile</th><th>unique_id</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table></body></html>`;
  }
}

module.exports = { KlaviyoSink };
