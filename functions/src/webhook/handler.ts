/**
 * stripeWebhook: POST only; verify the signature over the raw body; apply the event exactly once.
 * 200 only once the outcome is durably recorded; 400 for what Stripe must not retry (forged, stale,
 * malformed); 500 when anything transient fails, so that Stripe retries.
 */
import type { Response } from "express";
import type { Request } from "firebase-functions/v2/https";
import { logger } from "firebase-functions/logger";
import { webhookSecrets } from "../config";
import { applyEvent } from "./apply";
import { isWellFormed, verifyEvent, VerifyError } from "./verify";

/** Stripe's own events are a few KB; anything this large is not from Stripe. */
export const MAX_BODY_BYTES = 512 * 1024;

export async function stripeWebhook(req: Request, res: Response): Promise<void> {
  if (req.method !== "POST") {
    res.set("Allow", "POST").status(405).json({ error: "method not allowed" });
    return;
  }
  const raw = req.rawBody;
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    res.status(400).json({ error: "empty body" });
    return;
  }
  if (raw.length > MAX_BODY_BYTES) {
    res.status(413).json({ error: "body too large" });
    return;
  }
  const secrets = webhookSecrets();
  if (secrets.length === 0) {
    // fail closed: without a secret nothing can be verified, and an unverified event is never applied
    logger.error("STRIPE_WEBHOOK_SECRET is not configured: refusing every event");
    res.status(500).json({ error: "webhook not configured" });
    return;
  }

  let event;
  try {
    event = await verifyEvent(raw, req.get("stripe-signature"), secrets);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    logger.warn("stripe webhook refused", { reason: err.message, bytes: raw.length });
    res.status(400).json({ error: err.message });
    return;
  }
  if (!isWellFormed(event)) {
    logger.warn("stripe webhook refused", { reason: "malformed event" });
    res.status(400).json({ error: "malformed event" });
    return;
  }

  try {
    const result = await applyEvent(event);
    logger.info("stripe event", {
      eventId: event.id,
      type: event.type,
      preorderId: result.preorderId,
      outcome: result.outcome,
      reason: result.reason,
    });
    res.status(200).json({ received: true, outcome: result.outcome });
  } catch (err) {
    logger.error("stripe event failed; Stripe will retry", { eventId: event.id, type: event.type, error: String(err) });
    res.status(500).json({ error: "temporary failure, retry" });
  }
}
