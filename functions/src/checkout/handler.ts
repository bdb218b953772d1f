/**
 * createCheckoutSession: validate → reserve a preorder number → find/create the Stripe customer →
 * create the Checkout Session → write `preorders/{id}` (status `created`). Anything that fails before the
 * last step leaves no preorder behind.
 */
import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";
import { logger } from "firebase-functions/logger";
import { appCheckEnforced, ConfigError, offerConfig } from "../config";
import { newPreorder } from "../preorder/new-preorder";
import { drawPreorderNumber } from "../preorder/number";
import { maskEmail, type Preorder } from "../preorder/types";
import { COLLECTIONS, db, isAlreadyExists, now } from "../shared/firestore";
import { stripeClient } from "../shared/stripe-client";
import { findOrCreateCustomer } from "./customer";
import { InputError, parseCheckoutInput } from "./input";
import { stripeFailure } from "./stripe-errors";
import { checkoutIdempotencyKey, sessionParams } from "./session-params";

export interface CheckoutResult {
  preorderId: string;
  preorderNumber: string;
  sessionId: string;
  url: string;
}

async function reservePreorderNumber(preorderId: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const number = drawPreorderNumber();
    try {
      await db().collection(COLLECTIONS.preorderNumbers).doc(number).create({ preorderId, createdAt: now() });
      return number;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  throw new HttpsError("unavailable", "Could not allocate a preorder number, please retry");
}

export async function createCheckoutSession(request: CallableRequest<unknown>): Promise<CheckoutResult> {
  if (appCheckEnforced() && !request.app) {
    throw new HttpsError("unauthenticated", "App Check verification failed");
  }
  const offer = offerConfig();
  let input;
  try {
    input = parseCheckoutInput(request.data, offer.colors);
  } catch (err) {
    if (err instanceof InputError) throw new HttpsError("invalid-argument", err.message, { field: err.field });
    throw err;
  }

  let stripe;
  try {
    stripe = await stripeClient();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.error("checkout is not configured", { missing: err.param });
      throw new HttpsError("failed-precondition", `Payments are not configured (${err.param} is missing)`);
    }
    throw err;
  }

  const preorderRef = db().collection(COLLECTIONS.preorders).doc();
  const preorderId = preorderRef.id;
  const preorderNumber = await reservePreorderNumber(preorderId);
  const log = { preorderId, preorderNumber, email: maskEmail(input.email), color: input.color };
  try {
    const customerId = await findOrCreateCustomer(stripe, input.email);
    const session = await stripe.checkout.sessions.create(sessionParams({ input, preorderId, preorderNumber, customerId, offer }), {
      idempotencyKey: checkoutIdempotencyKey(preorderId),
    });
    const at = now();
    const preorder: Preorder = {
      ...newPreorder({
        preorderId,
        preorderNumber,
        email: input.email,
        color: input.color,
        locale: input.locale,
        amount: session.amount_total ?? offer.amount,
        currency: (session.currency ?? offer.currency).toLowerCase(),
        stripe: { customerId, sessionId: session.id },
      }),
      createdAt: at,
      updatedAt: at,
    };
    await preorderRef.create(preorder);
    logger.info("preorder created", { ...log, sessionId: session.id });
    return { preorderId, preorderNumber, sessionId: session.id, url: session.url ?? "" };
  } catch (err) {
    // Leave nothing behind: the number goes back, and no preorder document was written.
    await db()
      .collection(COLLECTIONS.preorderNumbers)
      .doc(preorderNumber)
      .delete()
      .catch(() => undefined);
    const failure = stripeFailure(err);
    if (failure) {
      logger.warn("stripe refused or failed the checkout", { ...log, stripeError: failure.detail });
      throw new HttpsError(failure.code, failure.message);
    }
    logger.error("checkout failed", { ...log, error: String(err) });
    throw new HttpsError("unavailable", "The preorder could not be created, please retry");
  }
}
