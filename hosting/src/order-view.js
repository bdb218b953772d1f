// Shows one order's public view (number, colour, state, ship window, refund state) on the success and
// lookup pages. The view comes from /api/order-status and never holds personal data.
import { colourChip } from "./offer-client.js";

const byId = (id) => document.getElementById(id);

export function showOrder(order, t, locale, { title = true } = {}) {
  if (title) {
    byId("title").textContent = t.titles[order.status];
    byId("body").textContent = t.bodies[order.status];
  }
  byId("f-number").textContent = order.preorderNumber;
  byId("f-colour").replaceChildren(colourChip(order.color, locale));
  byId("f-status").textContent = t.status[order.status];
  byId("f-status").dataset.status = order.status;
  byId("f-ships").textContent = order.shipWindow[locale];
  byId("f-refund").textContent = t.refund[order.refund];
  byId("facts").hidden = false;
  document.body.dataset.order = order.status;
}

export function showNotFound(t, message = t.bodies.notFound) {
  byId("title").textContent = t.titles.notFound;
  byId("body").textContent = message;
  byId("facts").hidden = true;
  document.body.dataset.order = "not-found";
}

/** GET or POST /api/order-status → { ok, status, body }. */
export async function fetchOrder(init, query = "") {
  const res = await fetch(`/api/order-status${query}`, { ...init, headers: { accept: "application/json", ...init?.headers } });
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body };
}
