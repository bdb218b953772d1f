/**
 * Validation of the callable's input: the JSON Schema (compiled at build time) checks shape, types,
 * lengths and email format; the colour is then checked against the configured offer. Pure: no I/O.
 */
import type { ErrorObject } from "ajv";
import { LOCALES, type Locale, normalizeEmail } from "../preorder/types";
import { validateCheckoutInput } from "./schemas/checkout-input.validator";

export interface CheckoutInput {
  email: string;
  color: string;
  locale: Locale;
}

/** A bad input, naming the field so the landing page can show the message beside it. */
export class InputError extends Error {
  constructor(
    readonly field: string | null,
    message: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

const FIELD_MESSAGES: Record<string, string> = {
  email: "must be a valid email address",
  color: "must be one of the offered colours",
  locale: `must be one of ${LOCALES.join(", ")}`,
};

function describe(error: ErrorObject): InputError {
  if (error.keyword === "additionalProperties") {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty).slice(0, 40);
    return new InputError(extra, `unknown field "${extra}"`);
  }
  if (error.keyword === "required") {
    const field = (error.params as { missingProperty: string }).missingProperty;
    return new InputError(field, `${field} is required`);
  }
  const field = error.instancePath.split("/")[1];
  if (!field) return new InputError(null, "the request must be an object with email and color");
  const why = error.keyword === "type" ? `must be a ${String((error.params as { type: string }).type)}` : FIELD_MESSAGES[field];
  return new InputError(field, `${field} ${why ?? "is invalid"}`);
}

/** Trim/lower-case where a shopper's typing should not matter, then validate. Throws InputError. */
export function parseCheckoutInput(data: unknown, colors: readonly string[]): CheckoutInput {
  const candidate = data !== null && typeof data === "object" && !Array.isArray(data) ? { ...(data as Record<string, unknown>) } : data;
  if (candidate && typeof candidate === "object" && !Array.isArray(candidate)) {
    const c = candidate as Record<string, unknown>;
    if (typeof c.email === "string" && c.email.length <= 1024) c.email = normalizeEmail(c.email);
    if (typeof c.color === "string" && c.color.length <= 1024) c.color = c.color.trim().toLowerCase();
  }
  if (!validateCheckoutInput(candidate)) {
    throw describe((validateCheckoutInput.errors ?? [])[0] ?? ({ instancePath: "", keyword: "type" } as ErrorObject));
  }
  const input = candidate as { email: string; color: string; locale?: Locale };
  if (!colors.includes(input.color)) {
    throw new InputError("color", `color must be one of ${colors.join(", ")}`);
  }
  return { email: input.email, color: input.color, locale: input.locale ?? "en" };
}
