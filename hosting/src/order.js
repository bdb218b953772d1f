// The order lookup page: preorder number + email (POSTed, never in the URL), or a signed link
// (?id=&sig=, e.g. from the thank-you mail). Shows status, colour, ship window and refund state only.
import { applyText, pickLocale } from "./i18n.js";
import { fetchOrder, showOrder } from "./order-view.js";

const locale = pickLocale();
const t = applyText(locale);
document.title = `Rolitt — ${t.lookupTitle}`;
document.getElementById("back").href = `/?lang=${locale}`;
const form = document.getElementById("lookup");
const button = document.getElementById("submit");
const status = document.getElementById("status");
const params = new URLSearchParams(location.search);

function fieldError(field, message) {
  document.getElementById(`${field}-error`).textContent = message ?? "";
  form[field].setAttribute("aria-invalid", message ? "true" : "false");
}

function answer({ ok, status: code, body }) {
  if (ok) {
    showOrder(body, t, locale);
    form.hidden = true;
    return;
  }
  document.getElementById("facts").hidden = true;
  const field = body?.error?.field;
  if (code === 400 && (field === "number" || field === "email")) {
    fieldError(field, field === "number" ? t.errors.number : t.errors.email);
    form[field].focus();
  } else status.textContent = code === 404 ? t.errors.notFound : code === 429 ? t.errors.rate : t.errors.generic;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  fieldError("number");
  fieldError("email");
  status.textContent = "";
  const number = form.number.value.trim().toUpperCase();
  if (!/^ROL-\d{8}$/.test(number)) {
    fieldError("number", t.errors.number);
    form.number.focus();
    return;
  }
  button.disabled = true;
  const result = await fetchOrder({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ number, email: form.email.value }),
  }).catch(() => ({ ok: false, status: 0, body: {} }));
  button.disabled = false;
  answer(result);
});

if (params.get("id") && params.get("sig")) {
  const query = new URLSearchParams({ id: params.get("id"), sig: params.get("sig") });
  fetchOrder({}, `?${query}`)
    .catch(() => ({ ok: false, status: 0, body: {} }))
    .then((r) => {
      if (r.ok) answer(r);
      else status.textContent = r.status === 404 ? t.errors.link : t.errors.generic;
    })
    .finally(() => (document.body.dataset.ready = "true"));
} else document.body.dataset.ready = "true";
