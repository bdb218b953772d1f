/**
 * The Stripe adapter: one client per (key, endpoint), loaded on first use so that the Klaviyo trigger never
 * loads the Stripe SDK. `STRIPE_API_URL` points the real SDK at a local Stripe-compatible server.
 */
import type Stripe from "stripe";
import { stripeConfig } from "../config";

let cached: { id: string; client: Stripe } | undefined;

export async function stripeClient(): Promise<Stripe> {
  const { secretKey, apiUrl } = stripeConfig();
  const id = `${secretKey}|${apiUrl ?? ""}`;
  if (cached?.id === id) return cached.client;
  const { default: StripeSdk } = await import("stripe");
  const endpoint = apiUrl ? new URL(apiUrl) : null;
  const client = new StripeSdk(secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: "rolitt-preorder" },
    ...(endpoint && {
      host: endpoint.hostname,
      port: Number(endpoint.port) || (endpoint.protocol === "https:" ? 443 : 80),
      protocol: endpoint.protocol.replace(":", "") as "http" | "https",
    }),
  });
  cached = { id, client };
  return client;
}
