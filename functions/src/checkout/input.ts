/**
 * Validation of the callable's input: the JSON Schema (compiled at build time) checks shape, types,
 * lengths and email format; the colour is then checked against the configured offer. Pure: no I/O.
 */
import type { ErrorObject } from "ajv";
import { ATTRIBUTION_KEYS, type Attribution, LOCALES, type Locale, normalizeEmail } from "../preorder/types";
import { validateCheckoutInput } from "./schemas/checkout-input.validator";

export interface CheckoutInput {
  email: string;
  color: string;
  locale: Locale;
  /** The shopper ticked the marketing-email box (unticked by default). */
  marketingConsent: boolean;
  /** utm_* and the referring page, as the landing page captured them; null when none. */
  attribution: Attribution | null;
}

/** Requests above this many bytes are refused before any parsing of ours, Firestore or Stripe work. */
export const MAX_REQUEST_BYTES = 4096;

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
  marketingConsent: "must be true or false",
  attribution: "values must be printable text: utm_* up to 100 characters, referrer an http(s) origin and path up to 500",
};

function describe(error: ErrorObject): InputError {
  if (error.keyword === "additionalProperties") {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty).slice(0, 40);
    const parent = error.instancePath.split("/")[1];
    if (parent) return new InputError(parent, `unknown field "${parent}.${extra}"`);
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
  const input = candidate as {
    email: string;
    color: string;
    locale?: Locale;
    marketingConsent?: boolean;
    attribution?: Attribution | null;
  };
  if (!colors.includes(input.color)) {
    throw new InputError("color", `color must be one of ${colors.join(", ")}`);
  }
  return {
    email: input.email,
    color: input.color,
    locale: input.locale ?? "en",
    marketingConsent: input.marketingConsent === true,
    attribution: attributionOf(input.attribution),
  };
}

/** Only the known keys, in a fixed order; `null` when none is present (the contract's shape). */
function attributionOf(raw: Attribution | null | undefined): Attribution | null {
  if (!raw) return null;
  const out: Attribution = {};
  for (const k of ATTRIBUTION_KEYS) if (typeof raw[k] === "string") out[k] = raw[k];
  return Object.keys(out).length ? out : null;
}
