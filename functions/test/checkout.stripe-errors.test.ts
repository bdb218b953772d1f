/**
 * What the shopper is told when Stripe refuses or fails (checkout/stripe-errors.ts, pure): each error type of
 * the Stripe SDK maps to the callable code the page acts on (retry or not) and to words without Stripe's own.
 */
import Stripe from "stripe";
import { stripeFailure } from "../src/checkout/stripe-errors";

const raw = { message: "boom", statusCode: 500, code: "some_code" };

describe("Stripe errors → the callable's answer", () => {
  it.each([
    [Stripe.errors.StripeConnectionError, "unavailable", "The payment provider is unreachable, please retry"],
    [Stripe.errors.StripeAPIError, "unavailable", "The payment provider failed, please retry"],
    [Stripe.errors.StripeRateLimitError, "resource-exhausted", "Too many requests, please retry in a moment"],
    [Stripe.errors.StripeCardError, "failed-precondition", "The payment provider declined the request"],
    [Stripe.errors.StripeInvalidRequestError, "failed-precondition", "The shop's payment settings were refused"],
    [Stripe.errors.StripeAuthenticationError, "failed-precondition", "The shop's payment key was refused"],
    [Stripe.errors.StripePermissionError, "failed-precondition", "The shop's payment key lacks a permission"],
    [Stripe.errors.StripeIdempotencyError, "aborted", "A conflicting request is in progress, please retry"],
  ])("%p → %s", (ErrorClass, code, message) => {
    const err = new ErrorClass(raw as never);
    const failure = stripeFailure(err);
    expect(failure).toEqual({ code, message, detail: `${err.type} 500 some_code: boom` });
  });

  it("the detail for the logs names type, status and code, and stays under 300 characters", () => {
    expect(stripeFailure({ type: "StripeAPIError" })?.detail).toBe("StripeAPIError  : ");
    expect(stripeFailure({ type: "StripeAPIError", message: "x".repeat(1000) })?.detail).toHaveLength(300);
  });

  it.each([
    ["a plain Error", new Error("StripeAPIError")],
    ["an unknown Stripe type", { type: "StripeSomethingNew" }],
    ["a type that is not text", { type: 42 }],
    ["an inherited property name", { type: "toString" }],
    ["null", null],
    ["undefined", undefined],
    ["a string", "StripeAPIError"],
  ])("%s is not a Stripe failure (the caller answers internal)", (_, err) => {
    expect(stripeFailure(err)).toBeNull();
  });
});
