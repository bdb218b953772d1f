/** The callable as the checkout suites call it: `.run()` against a local Stripe server reset before each test. */
import { createCheckoutSession } from "../../src/index";
import { startLocalStripe, type LocalStripe } from "./stripe";

/** Starts the local Stripe server for this file, resets it before each test; the getter returns it. */
export function localStripePerTest(): () => LocalStripe {
  let stripe: LocalStripe;
  beforeAll(async () => {
    stripe = await startLocalStripe();
  });
  afterAll(() => stripe.close());
  beforeEach(() => stripe.server.reset());
  return () => stripe;
}

export const callCheckout = (data: unknown, extra: Record<string, unknown> = {}) =>
  createCheckoutSession.run({ data, rawRequest: {} as never, acceptsStreaming: false, ...extra } as never);

export const uniqueEmail = (tag: string) => `${tag}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}@example.com`;

/** The error a call ends with (typed as `E` when the caller knows it); fails the test when it succeeds. */
export const failureOf = <E = unknown>(p: Promise<unknown>): Promise<E> =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e as E,
  );
