"use strict";
/**
 * The local stand-in for Stripe's hosted Checkout page: plain HTML forms, no script. It speaks the session's
 * locale (en, zh-HK, zh) as Stripe's page does, fits a 375 px screen, and is never cached, so that Back after
 * paying shows the paid state rather than the old form.
 */
const { escapeHtml: escape } = require("../http-util");

const STYLE = `*{box-sizing:border-box}body{font:16px/1.5 system-ui,"PingFang HK","Noto Sans CJK",sans-serif;background:#f6f9fc;color:#1a1f36;margin:0;display:grid;place-items:center;min-height:100vh;padding:16px 0}
main{background:#fff;border-radius:12px;box-shadow:0 4px 24px #0002;padding:24px;max-width:420px;width:calc(100% - 24px);overflow-wrap:anywhere}
h1{font-size:20px;margin:8px 0 4px}.amount{font-size:32px;font-weight:700;margin:8px 0 12px}.product{color:#4f566b;font-size:14px;margin:0 0 12px}
.badge{display:inline-block;background:#ffe08a;border-radius:4px;padding:2px 8px;font-size:12px;font-weight:600}
form{margin:8px 0}button,.button{display:block;width:100%;padding:12px;border-radius:8px;border:0;font-size:16px;cursor:pointer;min-height:48px;text-align:center;text-decoration:none}
.pay{background:#635bff;color:#fff}.decline{background:#fde2e2;color:#8a1c1c}.expire{background:#eef0f4;color:#1a1f36}
button:focus-visible,a:focus-visible{outline:3px solid #1a1f36;outline-offset:2px}.note{color:#8a1c1c}.paid{color:#0a6b3d;font-weight:700}
dl{font-size:14px;color:#4f566b;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dd{margin:0}`;

const TEXT = {
  en: {
    badge: "LOCAL TEST CHECKOUT · no real payment",
    email: "Email",
    status: "Status",
    declined: "Your card was declined. Try again.",
    pay: "Pay",
    decline: "Decline the card",
    expire: "Let it expire",
    paid: "Payment received. Thank you!",
    processing: "Payment submitted; it is being processed.",
    closed: "This session is closed.",
    expired: "This checkout session has expired.",
    continue: "Continue",
  },
  "zh-HK": {
    badge: "本機測試付款頁 · 不會真正扣款",
    email: "電郵",
    status: "狀態",
    declined: "你的信用卡被拒絕，請再試。",
    pay: "付款",
    decline: "拒絕此卡",
    expire: "讓它過期",
    paid: "已收到付款，謝謝！",
    processing: "付款已提交，正在處理中。",
    closed: "此付款頁已關閉。",
    expired: "此付款頁已過期。",
    continue: "繼續",
  },
  zh: {
    badge: "本地测试支付页 · 不会真正扣款",
    email: "邮箱",
    status: "状态",
    declined: "你的银行卡被拒绝，请重试。",
    pay: "支付",
    decline: "拒绝此卡",
    expire: "让它过期",
    paid: "已收到付款，谢谢！",
    processing: "付款已提交，正在处理中。",
    closed: "此支付页已关闭。",
    expired: "此支付页已过期。",
    continue: "继续",
  },
};
const HTML_LANG = { en: "en", "zh-HK": "zh-HK", zh: "zh-CN" };

function money(amount, currency, locale) {
  try {
    const fmt = (l) => new Intl.NumberFormat(l, { style: "currency", currency });
    const digits = fmt("en").resolvedOptions().maximumFractionDigits;
    return fmt(HTML_LANG[locale] ?? "en").format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency}`;
  }
}

function checkoutPage(session, declined, product = {}) {
  const locale = TEXT[session.locale] ? session.locale : "en";
  const t = TEXT[locale];
  const open = session.status === "open";
  const id = escape(session.id);
  const done = session.status === "complete";
  const successUrl = done && session.success_url ? session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id) : null;
  let body;
  if (open)
    body = `<form method="post" action="/c/pay/${id}/pay"><button class="pay" id="pay">${escape(t.pay)}</button></form>
<form method="post" action="/c/pay/${id}/decline"><button class="decline" id="decline">${escape(t.decline)}</button></form>
<form method="post" action="/c/pay/${id}/expire"><button class="expire" id="expire">${escape(t.expire)}</button></form>`;
  else if (done)
    body = `<p class="paid" id="paid-state" role="status">${escape(session.payment_status === "paid" ? t.paid : t.processing)}</p>
${successUrl ? `<a class="button pay" id="continue" href="${escape(successUrl)}">${escape(t.continue)}</a>` : ""}`;
  else body = `<p role="status" id="closed-state">${escape(session.status === "expired" ? t.expired : t.closed)}</p>`;
  return `<!doctype html><html lang="${HTML_LANG[locale]}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Local checkout · ${id}</title><style>${STYLE}</style></head><body><main>
<span class="badge">${escape(t.badge)}</span>
<h1>${escape(product.name ?? "Rolitt")}</h1>
${product.description ? `<p class="product">${escape(product.description)}</p>` : ""}
${session.metadata?.preorder_number ? `<p class="product" id="reference">${escape(session.metadata.preorder_number)}</p>` : ""}
<div class="amount">${escape(money(session.amount_total, session.currency.toUpperCase(), locale))}</div>
<dl><dt>${escape(t.email)}</dt><dd>${escape(session.customer_details?.email ?? session.customer_email ?? "")}</dd><dt>${escape(t.status)}</dt><dd id="status">${escape(session.status)} / ${escape(session.payment_status)}</dd></dl>
${declined && open ? `<p class="note" role="alert">${escape(t.declined)}</p>` : ""}
${body}
</main></body></html>`;
}

function resultPage(title, message) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escape(title)}</h1><p>${escape(message)}</p></main></body></html>`;
}

module.exports = { checkoutPage, resultPage };
