// Success and cancel pages. Success: the real order (number, colour, paid / processing…), polled briefly
// while the payment is not confirmed yet. Cancel: the same colour, offered again.
import { applyText, pickLocale } from "./i18n.js";
import { loadOffer } from "./offer-client.js";
import { fetchOrder, showNotFound, showOrder } from "./order-view.js";

const locale = pickLocale();
const t = applyText(locale);
document.title = "Rolitt";
const page = document.querySelector("main").dataset.page;
const params = new URLSearchParams(location.search);
const back = document.getElementById("back");
if (back) back.href = `/?lang=${locale}`;

const POLL_EVERY_MS = 1500;
const POLL_TRIES = 12; // ~18 s, then the page says "processing" and the email confirms later

async function success() {
  const session = params.get("session_id");
  if (!session) return showNotFound(t);
  const query = new URLSearchParams({ session_id: session });
  if (params.get("preorder_id")) query.set("preorder_id", params.get("preorder_id"));
  for (let i = 0; i < POLL_TRIES; i++) {
    const { ok, body } = await fetchOrder({}, `?${query}`).catch(() => ({ ok: false, body: {} }));
    if (!ok) return showNotFound(t);
    showOrder(body, t, locale);
    if (body.status !== "processing") return;
    await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
  }
  document.body.dataset.polling = "done";
}

async function cancel() {
  const colour = params.get("color");
  const again = document.getElementById("again");
  again.href = `/?lang=${locale}${colour ? `&color=${encodeURIComponent(colour)}` : ""}`;
  if (!colour) return;
  const offer = await loadOffer().catch(() => null);
  const c = offer?.colors.find((x) => x.id === colour);
  if (c) again.textContent = t.tryAgainIn.replace("{colour}", c.name[locale]);
}

(page === "success" ? success() : cancel()).finally(() => (document.body.dataset.ready = "true"));
