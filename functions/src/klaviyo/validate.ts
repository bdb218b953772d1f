/** Schema checks with the validators compiled at build time (scripts/compile-schemas.mjs). */
import type { ErrorObject, ValidateFunction } from "ajv";
import * as v from "./schemas/validators";
import type { RolittKlaviyoEvent } from "./types";

const BY_EVENT: Record<RolittKlaviyoEvent["event"], ValidateFunction> = {
  "Rolitt Preorder Started": v.validatePreorderStarted,
  "Rolitt Preorder Success": v.validatePreorderSuccess,
  "Rolitt Preorder Failed": v.validatePreorderFailed,
};

export interface SchemaProblem {
  schema: string;
  errors: Array<Pick<ErrorObject, "instancePath" | "keyword" | "message">>;
}

function check(name: string, validate: ValidateFunction, data: unknown): SchemaProblem[] {
  if (validate(data)) return [];
  return [
    { schema: name, errors: (validate.errors ?? []).map(({ instancePath, keyword, message }) => ({ instancePath, keyword, message })) },
  ];
}

/** The seed event against its own schema and the seed's base KlaviyoEventPayload. */
export function seedEventProblems(event: RolittKlaviyoEvent): SchemaProblem[] {
  const own = BY_EVENT[event.event];
  return [
    ...(own ? check(event.event, own, event) : [{ schema: "event name", errors: [] }]),
    ...check("KlaviyoEventPayload", v.validateTrackPayload, event),
  ];
}

/** The Events API body against the seed's KlaviyoNewAPIPayload and Klaviyo's official request schema. */
export function bodyProblems(body: unknown): SchemaProblem[] {
  return [
    ...check("KlaviyoNewAPIPayload", v.validateEventsApiPayload, body),
    ...check("Klaviyo create_event 2026-07-15", v.validateKlaviyoCreateEvent, body),
  ];
}

/** A Subscribe Profiles request against Klaviyo's official request schema. */
export const subscribeProblems = (body: unknown): SchemaProblem[] =>
  check("Klaviyo bulk_subscribe_profiles 2026-07-15", v.validateKlaviyoBulkSubscribe, body);

/** A Create or Update Profile request against Klaviyo's official request schema. */
export const profileImportProblems = (body: unknown): SchemaProblem[] =>
  check("Klaviyo create_or_update_profile 2026-07-15", v.validateKlaviyoProfileImport, body);
