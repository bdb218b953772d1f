/**
 * Signed order-lookup links: `{site}/order?id={preorderId}&sig={HMAC-SHA256(secret, "order-link:v1:" + id)}`.
 * A mail can carry one (e.g. as a Klaviyo event property) so the buyer sees the order without typing the
 * email. The signature only unlocks the public order view (status, colour, ship window, refund state).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { offerConfig, orderLinkSecret } from "../config";

const PREFIX = "order-link:v1:";

export function signOrderId(preorderId: string, secret: string): string {
  if (!secret) throw new Error("ORDER_LINK_SECRET is not configured");
  return createHmac("sha256", secret)
    .update(PREFIX + preorderId)
    .digest("base64url");
}

/** Constant-time check; false for a missing secret or a malformed signature. */
export function verifyOrderSignature(preorderId: string, sig: string, secret: string): boolean {
  if (!secret || typeof sig !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
  const want = Buffer.from(signOrderId(preorderId, secret));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Pure: the link for a preorder on a site. */
export function signedOrderLink(opts: { preorderId: string; secret: string; siteUrl: string; locale?: string }): string {
  const url = new URL("/order", opts.siteUrl);
  url.searchParams.set("id", opts.preorderId);
  url.searchParams.set("sig", signOrderId(opts.preorderId, opts.secret));
  if (opts.locale && opts.locale !== "en") url.searchParams.set("lang", opts.locale);
  return url.toString();
}

/**
 * The link with the deployed configuration (SITE_URL, ORDER_LINK_SECRET). A function calling this must list
 * ORDER_LINK_SECRET in its `secrets`.
 */
export const orderLink = (preorderId: string, locale?: string): string =>
  signedOrderLink({ preorderId, secret: orderLinkSecret(), siteUrl: offerConfig().siteUrl, locale });
