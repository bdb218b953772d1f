/**
 * createCheckoutSession, cheapest refusals first:
 * App Check → per-IP limit (counts every call, refused ones too) → request size → input → the open checkout
 * of this email and colour (a repeat gets it back) → per-email limit (new checkouts only) → reserve a number →
 * find/create the Stripe customer → create the Checkout Session → write `preorders/{id}` (status `created`) and
 * the open checkout in one batch. Anything that fails before the last step leaves no preorder behind.
 */
import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";
import { logger } from "firebase-functions/logger";
import { appCheckEnforced, ConfigError, limitsConfig, offerConfig, stripeConfig, stripeMode } from "../config";
import CONSENT from "../offer/consent.json";
import { newPreorder } from "../preorder/new-preorder";
import { drawPreorderNumber } from "../preorder/number";
import { maskEmail, type Preorder } from "../preorder/types";
import { COLLECTIONS, db, isAlreadyExists, now } from "../shared/firestore";
import { stripeClient } from "../shared/stripe-client";
import { clientIp, forwardedEntries, type RawRequestLike } from "./client-ip";
import { findOrCreateCustomer, isMissingCustomerError, replaceMissingCustomer } from "./customer";
import { InputError, MAX_REQUEST_BYTES, parseCheckoutInput } from "./input";
import { take, type Limit } from "./limiter";
import { claimOrReuse, openState, release, type CheckoutResult } from "./open-checkout";
import { stripeFailure } from "./stripe-errors";
import { checkoutIdempotencyKey, sessionParams } from "./session-params";

export type { CheckoutResult } from "./open-checkout";

/** Draw numbers until one is free; create-only, so two callers never share one. */
export async function reservePreorderNumber(preorderId: string, draw: () => string = drawPreorderNumber): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const number = draw();
    try {
      await db().collection(COLLECTIONS.preorderNumbers).doc(number).create({ preorderId, createdAt: now() });
      return number;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  throw new HttpsError("unavailable", "Could not allocate a preorder number, please retry");
}

async function limitOrRefuse(limit: Limit): Promise<void> {
  const decision = await take(limit);
  if (decision.ok) return;
  logger.warn("checkout rate-limited", { limit: limit.kind, retryAfterSeconds: decision.retryAfterSeconds });
  throw new HttpsError("resource-exhausted", "Too many preorder attempts, please wait and try again", {
    retryAfterSeconds: decision.retryAfterSeconds,
    limit: limit.kind,
  });
}

/** The body's size as received; the parsed data's JSON size when the body is not at hand (tests' `.run()`). */
function requestBytes(request: CallableRequest<unknown>): number {
  const raw = request.rawRequest as unknown as { rawBody?: Buffer; headers?: Record<string, unknown> } | undefined;
  if (raw?.rawBody) return raw.rawBody.length;
  const declared = Number(raw?.headers?.["content-length"]);
  if (Number.isFinite(declared) && declared > 0) return declared;
  return Buffer.byteLength(JSON.stringify({ data: request.data ?? null }));
}

let loggedForwarding = false;

export async function createCheckoutSession(request: CallableRequest<unknown>): Promise<CheckoutResult> {
  if (appCheckEnforced() && !request.app) {
    throw new HttpsError("unauthenticated", "App Check verification failed");
  }
  const limits = limitsConfig();
  const raw = request.rawRequest as unknown as RawRequestLike | undefined;
  if (!loggedForwarding) {
    // once per instance, no addresses: lets an operator check TRUSTED_PROXY_HOPS against the real chain
    loggedForwarding = true;
    logger.info("client address chain", { forwardedEntries: forwardedEntries(raw).length, trustedProxyHops: limits.trustedProxyHops });
  }
  await limitOrRefuse({ kind: "ip", key: clientIp(raw, limits.trustedProxyHops), max: limits.perIp10Min, windowSeconds: 600 });

  if (requestBytes(request) > MAX_REQUEST_BYTES) {
    throw new HttpsError("invalid-argument", `The request is larger than ${MAX_REQUEST_BYTES} bytes`, { field: null });
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
  let mode: "test" | "live";
  try {
    mode = stripeMode(stripeConfig().secretKey);
    stripe = await stripeClient();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.error("checkout is not configured", { missing: err.param });
      throw new HttpsError("failed-precondition", `Payments are not configured (${err.param} is missing)`);
    }
    throw err;
  }

  const claim = await claimOrReuse(input.email, input.color);
  if (claim.kind === "reuse") {
    logger.info("open preorder handed back", { preorderId: claim.result.preorderId, email: maskEmail(input.email), color: input.color });
    return claim.result;
  }
  try {
    await limitOrRefuse({ kind: "email", key: input.email, max: limits.perEmailHour, windowSeconds: 3600 });
  } catch (err) {
    await release(claim);
    throw err;
  }

  const preorderRef = db().collection(COLLECTIONS.preorders).doc();
  const preorderId = preorderRef.id;
  let preorderNumber: string;
  try {
    preorderNumber = await reservePreorderNumber(preorderId);
  } catch (err) {
    await release(claim);
    throw err;
  }
  const log = { preorderId, preorderNumber, email: maskEmail(input.email), color: input.color };
  try {
    let customerId = await findOrCreateCustomer(stripe, input.email, mode);
    const params = () => sessionParams({ input, preorderId, preorderNumber, customerId, offer });
    let session;
    try {
      session = await stripe.checkout.sessions.create(params(), { idempotencyKey: checkoutIdempotencyKey(preorderId) });
    } catch (err) {
      const replacement = isMissingCustomerError(err) ? await replaceMissingCustomer(stripe, input.email, mode, customerId) : null;
      if (!replacement) throw err;
      logger.warn("mapped Stripe customer is gone; replaced", { ...log, deadCustomerId: customerId, customerId: replacement });
      customerId = replacement;
      session = await stripe.checkout.sessions.create(params(), { idempotencyKey: `${checkoutIdempotencyKey(preorderId)}-healed` });
    }
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
        marketingConsent: {
          given: input.marketingConsent,
          at: input.marketingConsent ? at : null,
          locale: input.locale,
          textVersion: CONSENT.version,
        },
        attribution: input.attribution,
      }),
      createdAt: at,
      updatedAt: at,
    };
    const result: CheckoutResult = { preorderId, preorderNumber, sessionId: session.id, url: session.url ?? "" };
    const batch = db().batch();
    batch.create(preorderRef, preorder);
    // only while the claim is still ours: a call slow enough to have been taken over makes no second preorder
    batch.update(claim.ref, openState(claim, result, session.expires_at), { lastUpdateTime: claim.writeTime });
    await batch.commit();
    logger.info("preorder created", { ...log, sessionId: session.id });
    return result;
  } catch (err) {
    // Leave nothing behind: the number and the claim go back, and no preorder document was written.
    await Promise.all([
      db()
        .collection(COLLECTIONS.preorderNumbers)
        .doc(preorderNumber)
        .delete()
        .catch(() => undefined),
      release(claim),
    ]);
    const failure = stripeFailure(err);
    if (failure) {
      logger.warn("stripe refused or failed the checkout", { ...log, stripeError: failure.detail });
      throw new HttpsError(failure.code, failure.message);
    }
    logger.error("checkout failed", { ...log, error: String(err) });
    throw new HttpsError("unavailable", "The preorder could not be created, please retry");
  }
}
