// What the shopper pages share: the live offer from /api/offer, prices in Stripe's decimals, colour swatches
// and the drawn toy painted in the chosen colour with its face kept visible.
import { formatMoney } from "../../functions/src/offer/format.ts";

export { formatMoney };

export async function loadOffer() {
  const res = await fetch("/api/offer", { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`offer: HTTP ${res.status}`);
  return res.json();
}

/** Relative luminance of #rrggbb (WCAG), to pick a face colour that shows on the shell. */
function luminance(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex ?? "");
  if (!m) return 0.5;
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(m[1].slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Colours the toy: a dark shell gets a light mouth; the eyes always carry an outline (for a white shell). */
export function paintToy(el, swatch) {
  if (!el) return;
  el.style.setProperty("--toy", swatch);
  el.style.setProperty("--face", luminance(swatch) < 0.18 ? "#f4f4ef" : "#222");
}

export function swatchDot(color) {
  const dot = document.createElement("span");
  dot.className = "dot";
  dot.style.setProperty("--c", color.swatch);
  return dot;
}

/** "Black" with its swatch, for the result and lookup pages. */
export function colourChip(color, locale) {
  const span = document.createElement("span");
  span.className = "chip";
  span.append(swatchDot(color), document.createTextNode(color.name[locale] ?? color.id));
  return span;
}
