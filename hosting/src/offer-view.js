// The landing page's offer, rendered from the live offer (/api/offer): words, colours, price and ship window
// exactly as Checkout will charge them. The chosen colour survives a language switch (?color=).
import { renderLangs } from "./i18n.js";
import { formatMoney, loadOffer, paintToy, swatchDot } from "./offer-client.js";

const byId = (id) => document.getElementById(id);

function keepColourInUrl(id, locale) {
  const url = new URL(location.href);
  url.searchParams.set("color", id);
  history.replaceState(null, "", url.pathname + url.search);
  renderLangs(locale);
}

/** Resolves to the offer once the page shows it; rejects (after showing why) when it cannot be loaded. */
export async function renderOffer(locale, t) {
  let offer;
  try {
    offer = await loadOffer();
  } catch (err) {
    byId("status").textContent = t.errors.offer;
    throw err;
  }
  const { product } = offer;
  document.title = `${product.name[locale]} — ${t.preorder}`;
  byId("tagline").textContent = product.tagline[locale];
  byId("blurb").textContent = product.description[locale];
  byId("ship").textContent = offer.shipWindow[locale];
  byId("price").textContent = formatMoney(offer.amount, offer.currency, locale);
  if (offer.images.length) {
    const img = Object.assign(document.createElement("img"), { src: offer.images[0], alt: product.name[locale] });
    byId("hero").replaceChildren(img);
  }

  const wanted = new URLSearchParams(location.search).get("color");
  const chosen = offer.colors.some((c) => c.id === wanted) ? wanted : offer.colors[0]?.id;
  const toy = document.querySelector(".toy");
  byId("swatches").replaceChildren(
    ...offer.colors.map((c) => {
      const label = Object.assign(document.createElement("label"), { className: "swatch" });
      const input = Object.assign(document.createElement("input"), {
        type: "radio",
        name: "color",
        value: c.id,
        required: true,
        checked: c.id === chosen,
      });
      input.addEventListener("change", () => {
        paintToy(toy, c.swatch);
        keepColourInUrl(c.id, locale);
      });
      label.append(input, swatchDot(c), Object.assign(document.createElement("span"), { textContent: c.name[locale] ?? c.id }));
      return label;
    }),
  );
  paintToy(toy, offer.colors.find((c) => c.id === chosen)?.swatch ?? "#c3b091");
  document.body.dataset.offer = "ready";
  return offer;
}
