/**
 * getOffer (public, GET /api/offer): the live offer as JSON, cached briefly at the CDN. The Stripe Price, when
 * configured, is fetched at most once a minute per instance; Stripe's SDK loads only in that case.
 */
import type { Request } from "firebase-functions/v2/https";
import type { Response } from "express";
import { logger } from "firebase-functions/logger";
import { offerConfig } from "../config";
import { liveOffer, type PriceFacts } from "./live";

const PRICE_TTL_MS = 60_000;
let cachedPrice: { at: number; price: PriceFacts } | undefined;

async function stripePrice(id: string): Promise<PriceFacts> {
  if (cachedPrice && cachedPrice.price.id === id && Date.now() - cachedPrice.at < PRICE_TTL_MS) return cachedPrice.price;
  const { stripeClient } = await import("../shared/stripe-client");
  const p = await (await stripeClient()).prices.retrieve(id);
  const price = { id: p.id, unit_amount: p.unit_amount, currency: p.currency, active: p.active };
  cachedPrice = { at: Date.now(), price };
  return price;
}

export async function getOffer(req: Request, res: Response): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res
      .set("Allow", "GET, HEAD")
      .status(405)
      .json({ error: { code: "method_not_allowed", message: "Use GET" } });
    return;
  }
  try {
    const config = offerConfig();
    const offer = liveOffer(config, config.priceId ? await stripePrice(config.priceId) : null);
    res.set("Cache-Control", "public, max-age=60, s-maxage=300");
    res.status(200).json(offer);
  } catch (err) {
    logger.error("the offer could not be built", { error: String(err) });
    res.set("Cache-Control", "no-store");
    res.status(503).json({ error: { code: "unavailable", message: "The offer is not available right now." } });
  }
}
