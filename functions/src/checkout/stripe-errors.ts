/** Stripe SDK errors → the callable's HttpsError codes (pure; matched on the SDK's `type` names). */
import type { FunctionsErrorCode } from "firebase-functions/v2/https";

export interface StripeFailure {
  code: FunctionsErrorCode;
  message: string;
  detail: string;
}

const BY_TYPE: Record<string, { code: FunctionsErrorCode; message: string }> = {
  StripeConnectionError: { code: "unavailable", message: "The payment provider is unreachable, please retry" },
  StripeAPIError: { code: "unavailable", message: "The payment provider failed, please retry" },
  StripeRateLimitError: { code: "resource-exhausted", message: "Too many requests, please retry in a moment" },
  StripeCardError: { code: "failed-precondition", message: "The payment provider declined the request" },
  StripeInvalidRequestError: { code: "failed-precondition", message: "The shop's payment settings were refused" },
  StripeAuthenticationError: { code: "failed-precondition", message: "The shop's payment key was refused" },
  StripePermissionError: { code: "failed-precondition", message: "The shop's payment key lacks a permission" },
  StripeIdempotencyError: { code: "aborted", message: "A conflicting request is in progress, please retry" },
};

export function stripeFailure(err: unknown): StripeFailure | null {
  const e = err as { type?: unknown; message?: unknown; statusCode?: unknown; code?: unknown };
  // own keys only: `"toString" in BY_TYPE` is true and would map to a function with no code
  if (typeof e?.type !== "string" || !Object.hasOwn(BY_TYPE, e.type)) return null;
  const mapped = BY_TYPE[e.type]!;
  return { ...mapped, detail: `${e.type} ${String(e.statusCode ?? "")} ${String(e.code ?? "")}: ${String(e.message ?? "")}`.slice(0, 300) };
}
