"use strict";
/** The local stand-in for Stripe's hosted Checkout page: plain HTML forms, no script. */
const { escapeHtml: escape } = require("../http-util");

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;border-radius:12px;box-shadow:0 4px 24px #0002;padding:32px;max-width:420px;width:calc(100% - 32px)}
h1{font-size:20px;margin:0 0 4px}.amount{font-size:32px;font-weight:700;margin:8px 0 20px}
.badge{display:inline-block;background:#ffe08a;border-radius:4px;padding:2px 8px;font-size:12px;font-weight:600}
form{margin:8px 0}button{width:100%;padding:12px;border-radius:8px;border:0;font-size:16px;cursor:pointer}
.pay{background:#635bff;color:#fff}.decline{background:#fde2e2;color:#8a1c1c}.expire{background:#eef0f4;color:#1a1f36}
button:focus-visible{outline:3px solid #1a1f36;outline-offset:2px}.note{color:#8a1c1c}dl{font-size:14px;color:#4f566b}`;

function money(amount, currency) {
  try {
    const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    return new Intl.NumberFormat("en", { style: "currency", currency }).format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency}`;
  }
}

function checkoutPage(session, declined) {
  const open = session.status === "open";
  const id = escape(session.id);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Local checkout · ${id}</title><style>${STYLE}</style></head><body><main>
<span class="badge">LOCAL TEST CHECKOUT · no real payment</span>
<h1>${escape(session.metadata?.preorder_number ?? "Rolitt")} · ${escape(session.metadata?.color ?? "")}</h1>
<div class="amount">${escape(money(session.amount_total, session.currency.toUpperCase()))}</div>
<dl><dt>Email</dt><dd>${escape(session.customer_details?.email ?? session.customer_email ?? "")}</dd><dt>Status</dt><dd id="status">${escape(session.status)} / ${escape(session.payment_status)}</dd></dl>
${declined ? '<p class="note" role="alert">Your card was declined. Try again.</p>' : ""}
${
  open
    ? `<form method="post" action="/c/pay/${id}/pay"><button class="pay" id="pay">Pay</button></form>
<form method="post" action="/c/pay/${id}/decline"><button class="decline" id="decline">Decline the card</button></form>
<form method="post" action="/c/pay/${id}/expire"><button class="expire" id="expire">Let it expire</button></form>`
    : "<p>This session is closed.</p>"
}
</main></body></html>`;
}

function resultPage(title, message) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escape(title)}</h1><p>${escape(message)}</p></main></body></html>`;
}

module.exports = { checkoutPage, resultPage };
