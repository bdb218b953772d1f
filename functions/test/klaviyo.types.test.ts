/**
 * The TypeScript event types against the seed's JSON Schemas: each type's property names, and which of them
 * are required, must be the schema's. The key lists are typed so that the compiler rejects a list that
 * misses or invents a property of the type; the test then compares them with the schema.
 */
import started from "../src/klaviyo/schemas/rolitt-preorder-started.json";
import success from "../src/klaviyo/schemas/rolitt-preorder-success.json";
import failed from "../src/klaviyo/schemas/rolitt-preorder-failed.json";
import type { PreorderFailedProperties, PreorderStartedProperties, PreorderSuccessProperties } from "../src/klaviyo/types";

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** Every key of T exactly once, marked true when T requires it. */
type KeyMap<T> = { [K in keyof T]-?: K extends RequiredKeys<T> ? true : false };

const STARTED: KeyMap<PreorderStartedProperties> = { color: true, preorder_id: true, preorder_number: false, locale: false, source: false };
const SUCCESS: KeyMap<PreorderSuccessProperties> = {
  color: true,
  preorder_id: true,
  preorder_number: false,
  locale: false,
  amount: true,
  currency: true,
  session_id: false,
  payment_intent_id: false,
  source: false,
};
const FAILED: KeyMap<PreorderFailedProperties> = { color: true, preorder_id: true, error_reason: false, locale: false, source: false };

it.each([
  ["Rolitt Preorder Started", started, STARTED],
  ["Rolitt Preorder Success", success, SUCCESS],
  ["Rolitt Preorder Failed", failed, FAILED],
] as const)("%s: the type's properties are the schema's", (name, schema, keys) => {
  expect(schema.properties.event.const).toBe(name);
  const props = schema.properties.properties;
  expect(Object.keys(keys).sort()).toEqual(Object.keys(props.properties).sort());
  expect(
    Object.entries(keys)
      .filter(([, req]) => req)
      .map(([k]) => k)
      .sort(),
  ).toEqual([...props.required].sort());
  expect(schema.required).toEqual(["event", "customer_properties", "properties"]);
});
