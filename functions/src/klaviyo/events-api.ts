/**
 * The seed event → the current Events API body (POST /api/events, JSON:API). Pure. The retired Track API's
 * `customer_properties.$email` becomes the profile's email. The event's own properties describe the
 * transition (as it happened, at its time); the profile's properties are the shopper's state *now*
 * (./profile.ts), so a late or repeated event never writes an older truth onto the profile.
 */
import { ATTRIBUTION_KEYS, type Attribution } from "../preorder/types";
import type { ShopperProfile } from "./profile";
import type { NotifiedStatus } from "./seed-event";
import type { EventsApiBody, RolittKlaviyoEvent } from "./types";

export { KLAVIYO_REVISION } from "./client";

export const uniqueId = (preorderId: string, status: NotifiedStatus): string => `${preorderId}:${status}`;

/**
 * The page's UTM parameters and referrer (preorder.attribution) as event properties for ad retargeting: only
 * the known keys with non-empty string values; anything else on the document is ignored.
 */
export function attributionProperties(raw: unknown): Attribution {
  if (!raw || typeof raw !== "object") return {};
  const out: Attribution = {};
  for (const k of ATTRIBUTION_KEYS) {
    const v = (raw as Record<string, unknown>)[k];
    if (typeof v === "string" && v.length > 0) out[k] = v;
  }
  return out;
}

/**
 * The offer's words for the shopper's language (offer/content.json, the same the page and Checkout show) and
 * the signed order-lookup link, so the thank-you and reminder mails need no copy of their own. Pure.
 */
export interface OfferProperties {
  color_name?: string;
  ship_window?: string;
  order_url?: string;
}
export function offerProperties(
  p: { color: string; locale: string },
  content: { colorName: (id: string, locale: never) => string; shipWindow: (locale: never) => string },
  orderUrl: string | null,
): OfferProperties {
  const out: OfferProperties = { color_name: content.colorName(p.color, p.locale as never) };
  const ship = content.shipWindow(p.locale as never);
  if (ship) out.ship_window = ship;
  if (orderUrl) out.order_url = orderUrl;
  return out;
}

export function toEventsApiBody(
  seed: RolittKlaviyoEvent,
  status: NotifiedStatus,
  profile: ShopperProfile,
  time: Date,
  extra: Attribution & OfferProperties = {},
): EventsApiBody {
  const props = seed.properties;
  const money =
    seed.event === "Rolitt Preorder Success"
      ? { value: seed.properties.amount, value_currency: seed.properties.currency.toUpperCase() }
      : {};
  return {
    data: {
      type: "event",
      attributes: {
        properties: { ...extra, ...props },
        time: time.toISOString(),
        ...money,
        unique_id: uniqueId(props.preorder_id, status),
        metric: { data: { type: "metric", attributes: { name: seed.event } } },
        profile: {
          data: {
            type: "profile",
            attributes: {
              email: seed.customer_properties.$email,
              ...(profile.locale && { locale: profile.locale }),
              properties: { ...profile.properties },
            },
          },
        },
      },
    },
  };
}
