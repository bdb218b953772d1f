/**
 * The offer's words (content.json), typed: product name and copy, ship window, colours with display names and
 * swatches, images, in the three locales. The page (through /api/offer), Checkout's line item, the order pages
 * and the Klaviyo events all read them from here. Pure: no I/O, no SDK.
 */
import type { Locale } from "../preorder/types";
import CONTENT from "./content.json";

export type Localized = Record<Locale, string>;

export interface ColorContent {
  id: string;
  /** CSS colour of the swatch and the drawn toy. */
  swatch: string;
  name: Localized;
}

export interface OfferContent {
  product: { name: Localized; tagline: Localized; description: Localized };
  shipWindow: Localized;
  colors: Record<string, Omit<ColorContent, "id">>;
  /** Absolute https URLs of product photos; empty = the page draws the toy. */
  images: string[];
}

export const OFFER_CONTENT: OfferContent = CONTENT;

/** A colour's words; a configured colour without content still shows, named after its id. */
export function colorContent(id: string, content: OfferContent = OFFER_CONTENT): ColorContent {
  const known = content.colors[id];
  if (known) return { id, ...known };
  const name = id.charAt(0).toUpperCase() + id.slice(1);
  return { id, swatch: "#9a9a9a", name: { en: name, "zh-HK": name, "zh-CN": name } };
}

export const colorName = (id: string, locale: Locale): string => colorContent(id).name[locale];
export const shipWindow = (locale: Locale): string => OFFER_CONTENT.shipWindow[locale];
export const productName = (locale: Locale): string => OFFER_CONTENT.product.name[locale];
