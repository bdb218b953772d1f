// The operations console: sign-in (Google in production, email/password against the local Auth emulator),
// the order list and search, an order's story, the conversion funnel, the fulfilment export and the audited
// actions. Everything comes from admin-only functions through same-origin Hosting rewrites; data is only
// ever written into the page as text (emails and names are shoppers' input).
import { initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  getAuth,
  GoogleAuthProvider,
  onAuthStateChanged,
  signInWithEmailAndPassword,
  signInWithPopup,
  signOut,
} from "firebase/auth";
import { getFunctions, httpsCallableFromURL } from "firebase/functions";

const $ = (sel) => document.querySelector(sel);
const SECTIONS = ["signin", "denied", "orders", "order", "funnel"];
const show = (id) => SECTIONS.forEach((s) => ($(`#${s}`).hidden = s !== id));

/** A DOM element with attributes and text/element children (never HTML strings). */
function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "rect", "text", "g", "line"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const ZERO_DECIMAL = ["jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"];
const money = (amount, currency = "usd") =>
  new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).format(
    amount / (ZERO_DECIMAL.includes(currency) ? 1 : 100),
  );
const when = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—");
const badge = (text, cls = text) => h("span", { class: `badge ${cls}` }, text);

let call;
let auth;

function confirmAction(text) {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

// ---- orders ------------------------------------------------------------------------------------------

let nextCursor = null;

function filtersOf(form) {
  const f = Object.fromEntries(new FormData(form).entries());
  const out = {};
  for (const k of ["q", "status", "color", "locale", "from", "to"]) if (f[k]) out[k] = String(f[k]).trim();
  if (f.hold) out.hold = true;
  if (f.flagged) out.flagged = true;
  return out;
}

async function loadOrders(append = false) {
  const tbody = $("#order-table tbody");
  $("#list-error").textContent = "";
  $("#order-table").setAttribute("aria-busy", "true"); // tests and screen readers: the rows are being replaced
  const filters = filtersOf($("#filters"));
  try {
    const { rows, next } = (await call("orders")({ ...filters, ...(append && nextCursor ? { cursor: nextCursor } : {}) })).data;
    if (!append) tbody.replaceChildren();
    for (const r of rows) {
      tbody.append(
        h(
          "tr",
          { "data-id": r.preorderId },
          h("td", {}, h("a", { href: `#/order/${r.preorderId}` }, r.preorderNumber)),
          h("td", {}, r.email),
          h("td", {}, r.color),
          h("td", {}, badge(r.status)),
          h("td", { class: "num" }, money(r.amount, r.currency)),
          h("td", {}, when(r.createdAt)),
          h("td", {}, r.hold ? badge("hold") : "", r.flagged ? badge("flagged", "flag") : ""),
        ),
      );
    }
    nextCursor = next;
    $("#more").hidden = !next;
    $("#empty").hidden = tbody.children.length > 0;
  } catch (err) {
    $("#list-error").textContent = err.message;
  }
  $("#order-table").setAttribute("aria-busy", "false");
}

// ---- one order ---------------------------------------------------------------------------------------

const table = (id, head, rows) =>
  h(
    "table",
    { id },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        head.map((c) => h("th", {}, c)),
      ),
    ),
    h("tbody", {}, rows),
  );
const dl = (pairs) =>
  h(
    "dl",
    {},
    pairs.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]),
  );

async function showOrder(id) {
  const section = $("#order");
  section.replaceChildren(h("p", {}, "Loading…"));
  show("order");
  let o;
  try {
    o = (await call("order")({ preorderId: id })).data;
  } catch (err) {
    section.replaceChildren(h("p", { class: "error", role: "alert" }, err.message));
    return;
  }
  const c = o.customer ?? {};
  const a = c.shipping?.address ?? {};
  const address = [a.line1, a.line2, [a.postal_code, a.city].filter(Boolean).join(" "), a.state, a.country].filter(Boolean).join(", ");
  const actions = h("p", { class: "actions" });
  if (o.status === "succeeded")
    actions.append(
      h(
        "button",
        {
          id: "refund",
          type: "button",
          onclick: async (e) => {
            if (!(await confirmAction(`Refund ${o.preorderNumber} (${money(o.amount, o.currency)}) through Stripe?`))) return;
            e.target.disabled = true;
            try {
              const r = (await call("refund")({ preorderId: o.preorderId })).data;
              actions.append(
                h(
                  "span",
                  { id: "action-result" },
                  ` Refund ${r.refundId} ${r.status}; the order turns refunded when Stripe's webhook arrives.`,
                ),
              );
              setTimeout(() => showOrder(id), 1500);
            } catch (err) {
              actions.append(h("span", { id: "action-result", class: "error" }, ` ${err.message}`));
              e.target.disabled = false;
            }
          },
        },
        "Refund…",
      ),
    );
  const timeline = [
    h("tr", {}, h("td", {}, when(o.createdAt)), h("td", {}, "preorder created"), h("td", {}, o.origin), h("td", {}, "")),
    ...o.timeline.map((e) =>
      h(
        "tr",
        { "data-event": e.eventId },
        h("td", {}, when(e.created)),
        h("td", {}, e.type),
        h("td", {}, badge(e.outcome, "")),
        h("td", {}, e.reason ?? ""),
      ),
    ),
  ];
  const resend = (d) =>
    ["failed", "retrying"].includes(d.state) && d.retryable
      ? h(
          "button",
          {
            type: "button",
            class: "resend",
            "data-key": d.key,
            onclick: async (e) => {
              if (!(await confirmAction(`Re-send the Klaviyo "${d.key}" delivery of ${o.preorderNumber}?`))) return;
              e.target.disabled = true;
              try {
                const r = (await call("resend")({ preorderId: o.preorderId, key: d.key })).data;
                e.target.replaceWith(h("span", { class: "resend-result" }, r.sent ? "sent" : `not sent (${r.state})`));
              } catch (err) {
                e.target.replaceWith(h("span", { class: "resend-result error" }, err.message));
              }
            },
          },
          "Re-send…",
        )
      : "";
  const deliveries = o.deliveries.map((d) =>
    h(
      "tr",
      {},
      h("td", {}, d.key),
      h("td", {}, badge(d.state, "")),
      h("td", { class: "num" }, d.attempts),
      h("td", {}, d.lastError ?? ""),
      h("td", {}, when(d.sentAt ?? d.updatedAt)),
      h("td", {}, resend(d)),
    ),
  );
  const consent = o.marketingConsent;
  section.replaceChildren(
    h("p", {}, h("a", { href: "#/orders" }, "← Orders")),
    h("h1", {}, `${o.preorderNumber} `, badge(o.status), o.holdDetail ? badge("hold") : "", o.flagged ? badge("flagged", "flag") : ""),
    actions,
    h(
      "div",
      { class: "grid" },
      h(
        "div",
        { class: "panel" },
        h("h2", {}, "Order"),
        dl([
          ["Email", o.email],
          ["Colour", o.color],
          ["Locale", o.locale],
          ["Amount", money(o.amount, o.currency)],
          ["Refunded", o.amountRefunded ? money(o.amountRefunded, o.currency) : "—"],
          ["Error", o.errorReason ?? "—"],
          ["Updated", when(o.updatedAt)],
        ]),
      ),
      h(
        "div",
        { class: "panel", id: "shipping" },
        h("h2", {}, "Shipping"),
        dl([
          ["Name", c.shipping?.name ?? c.name ?? "—"],
          ["Phone", c.phone ?? "—"],
          ["Address", address || "—"],
        ]),
      ),
      h(
        "div",
        { class: "panel" },
        h("h2", {}, "Consent & source"),
        dl([
          [
            "Marketing",
            consent
              ? `${consent.given ? "yes" : "no"} (${consent.locale}, text ${consent.textVersion}${consent.at ? `, ${when(consent.at)}` : ""})`
              : "not recorded",
          ],
          ["Campaign", o.attribution?.utm_campaign ?? "—"],
          ["Source / medium", [o.attribution?.utm_source, o.attribution?.utm_medium].filter(Boolean).join(" / ") || "—"],
          ["Referrer", o.attribution?.referrer ?? "—"],
        ]),
      ),
      h(
        "div",
        { class: "panel" },
        h("h2", {}, "Stripe & flags"),
        dl([
          ["Session", o.stripe?.sessionId ?? "—"],
          ["PaymentIntent", o.stripe?.paymentIntentId ?? "—"],
          ["Customer", o.stripe?.customerId ?? "—"],
          ["Hold", o.holdDetail ? `${o.holdDetail.reason} since ${when(o.holdDetail.since)}` : "none"],
          ["Flagged", o.flagged ? "yes (an anomaly names this order)" : "no"],
          ["Dispute", o.dispute ? `${o.dispute.id} ${o.dispute.status} ${o.dispute.reason ?? ""} ${o.dispute.outcome ?? ""}` : "none"],
        ]),
      ),
    ),
    h("h2", {}, "Status timeline (Stripe events as the ledger recorded them)"),
    table("timeline", ["When", "Event", "Outcome", "Reason"], timeline),
    h("h2", {}, "Klaviyo deliveries"),
    deliveries.length
      ? table("deliveries", ["Transition", "State", "Attempts", "Last error", "At", ""], deliveries)
      : h("p", {}, "None yet."),
    h("h2", {}, "Console actions"),
    o.audit.length
      ? table(
          "audit",
          ["At", "Who", "Action", "Result"],
          o.audit.map((x) =>
            h(
              "tr",
              {},
              h("td", {}, when(x.at)),
              h("td", {}, x.who?.email ?? ""),
              h("td", {}, x.action),
              h("td", {}, x.result?.ok ? `ok ${x.result.refundId ?? x.result.key ?? ""}` : `failed: ${x.result?.error ?? ""}`),
            ),
          ),
        )
      : h("p", {}, "None."),
  );
}

// ---- funnel ------------------------------------------------------------------------------------------

const METRICS = ["started", "paid", "failed", "expired", "refunded"];
const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** Horizontal bars: started (grey) with paid (green) over it, per row; labels and numbers as SVG text. */
function barChart(rows, label) {
  const W = 760;
  const LABEL = 150;
  const ROW = 22;
  const max = Math.max(1, ...rows.map((r) => r.started));
  const scale = (n) => ((W - LABEL - 140) * n) / max;
  const svg = h("svg", {
    class: "chart",
    width: W,
    height: rows.length * ROW + 8,
    viewBox: `0 0 ${W} ${rows.length * ROW + 8}`,
    role: "img",
    "aria-label": label,
  });
  rows.forEach((r, i) => {
    const y = i * ROW + 4;
    svg.append(
      h("text", { x: 0, y: y + 14 }, r.key.length > 22 ? `${r.key.slice(0, 21)}…` : r.key),
      h("rect", { class: "started", x: LABEL, y, width: scale(r.started), height: ROW - 6 }),
      h("rect", { class: "paid", x: LABEL, y, width: scale(r.paid), height: ROW - 6 }),
      h("text", { x: LABEL + scale(r.started) + 6, y: y + 14 }, `${r.paid}/${r.started} · ${pct(r.conversion)}`),
    );
  });
  return svg;
}

const funnelTable = (id, title, rows) =>
  h(
    "div",
    { class: "panel" },
    h("h2", {}, title),
    barChart(rows, title),
    table(
      id,
      [title.split(" ").pop(), ...METRICS, "conversion"],
      rows.map((r) =>
        h(
          "tr",
          { "data-key": r.key },
          h("td", {}, r.key),
          METRICS.map((m) => h("td", { class: "num", "data-metric": m }, r[m])),
          h("td", { class: "num" }, pct(r.conversion)),
        ),
      ),
    ),
  );

async function loadFunnel() {
  $("#funnel-error").textContent = "";
  const range = Object.fromEntries([...new FormData($("#funnel-range")).entries()].filter(([, v]) => v));
  try {
    const f = (await call("funnel")(range)).data;
    const legend = h(
      "p",
      { class: "legend" },
      METRICS.map((m) => h("span", {}, h("i", { class: m }), m)),
    );
    $("#funnel-body").replaceChildren(
      h("p", {}, `${f.from} to ${f.to} (UTC days; each preorder counted on the day it started)`),
      h(
        "div",
        { class: "panel", id: "overall" },
        h("h2", {}, "Overall"),
        dl(METRICS.map((m) => [m, h("strong", { "data-metric": m }, f.overall[m])]).concat([["conversion", pct(f.overall.conversion)]])),
      ),
      legend,
      funnelTable(
        "by-day",
        "By day",
        f.byDay.filter((d) => d.started > 0),
      ),
      h("div", { class: "grid" }, funnelTable("by-color", "By colour", f.by.color), funnelTable("by-locale", "By locale", f.by.locale)),
      funnelTable("by-campaign", "By campaign", f.by.campaign),
      funnelTable("by-source", "By source", f.by.source),
    );
  } catch (err) {
    $("#funnel-error").textContent = err.message;
  }
}

// ---- export ------------------------------------------------------------------------------------------

async function download(kind) {
  const token = await auth.currentUser.getIdToken();
  const res = await fetch(`/api/admin/export?kind=${kind}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return alert(`Export failed: ${res.status}`);
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? `${kind}.csv`;
  const url = URL.createObjectURL(await res.blob());
  h("a", { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- routing and sign-in -----------------------------------------------------------------------------

function route() {
  const hash = location.hash || "#/orders";
  const m = /^#\/order\/([A-Za-z0-9_-]+)$/.exec(hash);
  if (m) return showOrder(m[1]);
  if (hash === "#/funnel") {
    show("funnel");
    return loadFunnel();
  }
  show("orders");
  return loadOrders();
}

async function main() {
  const cfg = await (await fetch("/api/admin/config")).json();
  const app = initializeApp({ apiKey: cfg.apiKey, authDomain: cfg.authDomain, projectId: cfg.projectId, appId: "rolitt-console" });
  auth = getAuth(app);
  if (cfg.authEmulator) connectAuthEmulator(auth, `http://${cfg.authEmulator}`, { disableWarnings: true });
  const functions = getFunctions(app, "us-central1");
  // same origin through the Hosting rewrites: /api/admin/<name>
  call = (name) => httpsCallableFromURL(functions, `${location.origin}/api/admin/${name}`);

  // Production: Google. The emulator: email/password (its fake Google popup works too, but not headless).
  $("#google").hidden = Boolean(cfg.authEmulator);
  $("#emulator-signin").hidden = !cfg.authEmulator;
  $("#google").addEventListener("click", () =>
    signInWithPopup(auth, new GoogleAuthProvider()).catch((e) => ($("#signin-error").textContent = e.message)),
  );
  $("#emulator-signin").addEventListener("submit", (e) => {
    e.preventDefault();
    signInWithEmailAndPassword(auth, $("#si-email").value, $("#si-password").value).catch(
      (err) => ($("#signin-error").textContent = err.code ?? err.message),
    );
  });
  $("#signout").addEventListener("click", () => signOut(auth));
  $("#filters").addEventListener("submit", (e) => {
    e.preventDefault();
    nextCursor = null;
    loadOrders();
  });
  $("#more").addEventListener("click", () => loadOrders(true));
  $("#funnel-range").addEventListener("submit", (e) => {
    e.preventDefault();
    loadFunnel();
  });
  $("#export").addEventListener("click", () => download("orders"));
  $("#export-summary").addEventListener("click", () => download("summary"));
  window.addEventListener("hashchange", () => auth.currentUser && route());

  onAuthStateChanged(auth, async (user) => {
    $("#who").textContent = user ? (user.email ?? user.uid) : "";
    $("#signout").hidden = !user;
    $("#nav").hidden = true;
    if (!user) return show("signin");
    const token = await user.getIdTokenResult(true); // fresh: a claim granted since the last sign-in counts
    if (token.claims.admin !== true) return show("denied");
    $("#nav").hidden = false;
    route();
  });
}

main().catch((err) => {
  document.body.append(h("p", { class: "error", role: "alert" }, `The console could not start: ${err.message}`));
});
