/**
 * The seed's three events (003_*.txt) as TypeScript types. The JSON Schemas in ./schemas are the source of
 * truth; test/klaviyo.types.test.ts checks these types against them (property names and which are required).
 */
interface CustomerProperties {
  $email: string;
}

export interface PreorderStartedProperties {
  color: string;
  preorder_id: string;
  preorder_number?: string;
  locale?: string;
  source?: string;
}

export interface PreorderSuccessProperties {
  color: string;
  preorder_id: string;
  preorder_number?: string;
  locale?: string;
  amount: number;
  currency: string;
  session_id?: string;
  payment_intent_id?: string;
  source?: string;
}

export interface PreorderFailedProperties {
  color: string;
  preorder_id: string;
  error_reason?: string;
  locale?: string;
  source?: string;
}

export interface RolittPreorderStartedEvent {
  event: "Rolitt Preorder Started";
  customer_properties: CustomerProperties;
  properties: PreorderStartedProperties;
  time?: number;
}

export interface RolittPreorderSuccessEvent {
  event: "Rolitt Preorder Success";
  customer_properties: CustomerProperties;
  properties: PreorderSuccessProperties;
  time?: number;
}

export interface RolittPreorderFailedEvent {
  event: "Rolitt Preorder Failed";
  customer_properties: CustomerProperties;
  /** preorder_number travels too (the schema allows extra properties) so flows can quote it. */
  properties: PreorderFailedProperties & { preorder_number?: string };
  time?: number;
}

export type RolittKlaviyoEvent = RolittPreorderStartedEvent | RolittPreorderSuccessEvent | RolittPreorderFailedEvent;

/** The Events API request body (JSON:API), as POSTed to /api/events. */
export interface EventsApiBody {
  data: {
    type: "event";
    attributes: {
      properties: Record<string, unknown>;
      time: string;
      value?: number;
      value_currency?: string;
      unique_id: string;
      metric: { data: { type: "metric"; attributes: { name: string } } };
      profile: {
        data: {
          type: "profile";
          attributes: { email: string; locale?: string; properties: Record<string, unknown> };
        };
      };
    };
  };
}
