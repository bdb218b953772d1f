/**
 * The seed event → the current Events API body (POST /api/events, JSON:API). Pure. The retired Track API's
 * `customer_properties.$email` becomes the profile's email; the seed's profile properties (yoyo_color, a
 * preorder status, the Stripe order id) travel on the profile so segments can use them.
 */
import type { NotifiedStatus } from "./seed-event";
import type { EventsApiBody, RolittKlaviyoEvent } from "./types";

export const KLAVIYO_REVISION = "2026-07-15";

export const uniqueId = (preorderId: string, status: NotifiedStatus): string => `${preorderId}:${status}`;

export function toEventsApiBody(seed: RolittKlaviyoEvent, status: NotifiedStatus, stripeOrderId: string | null, time: Date): EventsApiBody {
  const props = seed.properties;
  const money =
    seed.event === "Rolitt Preorder Success"
      ? { value: seed.properties.amount, value_currency: seed.properties.currency.toUpperCase() }
      : {};
  return {
    data: {
      type: "event",
      attributes: {
        properties: { ...props },
        time: time.toISOString(),
        ...money,
        unique_id: uniqueId(props.preorder_id, status),
        metric: { data: { type: "metric", attributes: { name: seed.event } } },
        profile: {
          data: {
            type: "profile",
            attributes: {
              email: seed.customer_properties.$email,
              ...(props.locale && { locale: props.locale }),
              properties: {
                yoyo_color: props.color,
                preorder_status: status,
                ...(props.preorder_number && { preorder_number: props.preorder_number }),
                ...(stripeOrderId && { stripe_order_id: stripeOrderId }),
              },
            },
          },
        },
      },
    },
  };
}
