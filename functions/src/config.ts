/**
 * Every param and secret of the backend, declared once. Values are read at call time (never at import),
 * so a missing secret surfaces as a clear error when a function runs, not as a crash at deploy discovery.
 * Defaults are built for local use: the demo project, the local Stripe server and the Klaviyo sink.
 */
import { defineBoolean, defineInt, defineSecret, defineString } from "firebase-functions/params";
import type { Param } from "firebase-functions/params";
// The offer's defaults, shared with the landing page's build (hosting/build.mjs) so both agree.
import OFFER from "./offer.defaults.json";

export const STRIPE_SECRET_KEY = defineSecret("STRIPE_SECRET_KEY");
/** One secret, or several comma-separated during a rotation. */
export const STRIPE_WEBHOOK_SECRET = defineSecret("STRIPE_WEBHOOK_SECRET");
export const KLAVIYO_PRIVATE_KEY = defineSecret("KLAVIYO_PRIVATE_KEY");

const STRIPE_API_URL = defineString("STRIPE_API_URL", {
  default: "",
  description: "Base URL of a Stripe-compatible server (e.g. http://127.0.0.1:12111); empty = api.stripe.com",
});
const KLAVIYO_API_URL = defineString("KLAVIYO_API_URL", { default: "https://a.klaviyo.com" });
const PREORDER_COLORS = defineString("PREORDER_COLORS", { default: OFFER.colors });
const STRIPE_PRICE_ID = defineString("STRIPE_PRICE_ID", {
  default: "",
  description: "A Stripe Price id; when empty the session uses PREORDER_AMOUNT/CURRENCY/PRODUCT_NAME",
});
const PREORDER_AMOUNT = defineInt("PREORDER_AMOUNT", { default: OFFER.amount, description: "minor units" });
const PREORDER_CURRENCY = defineString("PREORDER_CURRENCY", { default: OFFER.currency });
const PREORDER_PRODUCT_NAME = defineString("PREORDER_PRODUCT_NAME", { default: OFFER.productName });
const SITE_URL = defineString("SITE_URL", { default: "http://127.0.0.1:5000" });
const SHIPPING_COUNTRIES = defineString("SHIPPING_COUNTRIES", {
  default: "US,CA,GB,IE,DE,FR,NL,AU,NZ,JP,SG,HK,TW,CN",
});
/** On in production: the page registers App Check; the local stack and tests set it explicitly. */
const ENFORCE_APP_CHECK = defineBoolean("ENFORCE_APP_CHECK", { default: true });
const RATE_LIMIT_PER_EMAIL_HOUR = defineInt("RATE_LIMIT_PER_EMAIL_HOUR", {
  default: 5,
  description: "new checkouts per email per hour (a repeat of an open checkout is not counted)",
});
const RATE_LIMIT_PER_IP_10MIN = defineInt("RATE_LIMIT_PER_IP_10MIN", {
  default: 60,
  description: "callable calls per client IP (IPv6: per /64) per 10 minutes, refused calls included",
});
const TRUSTED_PROXY_HOPS = defineInt("TRUSTED_PROXY_HOPS", {
  default: 1,
  description: "proxies Google appends to X-Forwarded-For after the client's address (1 on Cloud Functions 2nd gen)",
});
const KLAVIYO_MAX_EVENT_AGE_MINUTES = defineInt("KLAVIYO_MAX_EVENT_AGE_MINUTES", { default: 24 * 60 });

/** Instances kept warm for the callable and the webhook: 1 during a launch window, 0 otherwise. */
export const MIN_INSTANCES = defineInt("MIN_INSTANCES", { default: 0 });

export class ConfigError extends Error {
  constructor(readonly param: string) {
    super(`${param} is not configured`);
    this.name = "ConfigError";
  }
}

const list = (raw: string, map: (s: string) => string): string[] =>
  raw
    .split(",")
    .map((s) => map(s.trim()))
    .filter((s) => s.length > 0);

/**
 * The CLI (deploy, emulator) puts every param into the environment with its default applied; a process
 * started another way (jest, the local relay) does not, so the declared default is applied here too.
 */
function read<T extends string | number | boolean>(param: Param<T>): T {
  const fallback = param.options.default;
  if (process.env[param.name] === undefined && fallback !== undefined && typeof fallback !== "object") return fallback;
  return param.value();
}

function requireSecret(secret: { name: string; value(): string }): string {
  const value = secret.value();
  if (!value) throw new ConfigError(secret.name);
  return value;
}

export interface OfferConfig {
  colors: string[];
  priceId: string | null;
  amount: number;
  currency: string;
  productName: string;
  siteUrl: string;
  shippingCountries: string[];
}

export function offerConfig(): OfferConfig {
  return {
    colors: list(read(PREORDER_COLORS), (s) => s.toLowerCase()),
    priceId: read(STRIPE_PRICE_ID) || null,
    amount: read(PREORDER_AMOUNT),
    currency: read(PREORDER_CURRENCY).toLowerCase(),
    productName: read(PREORDER_PRODUCT_NAME),
    siteUrl: read(SITE_URL).replace(/\/+$/, ""),
    shippingCountries: list(read(SHIPPING_COUNTRIES), (s) => s.toUpperCase()),
  };
}

export const appCheckEnforced = (): boolean => read(ENFORCE_APP_CHECK);

export interface LimitsConfig {
  perEmailHour: number;
  perIp10Min: number;
  trustedProxyHops: number;
}
export const limitsConfig = (): LimitsConfig => ({
  perEmailHour: read(RATE_LIMIT_PER_EMAIL_HOUR),
  perIp10Min: read(RATE_LIMIT_PER_IP_10MIN),
  trustedProxyHops: read(TRUSTED_PROXY_HOPS),
});

export interface StripeConfig {
  secretKey: string;
  apiUrl: string | null;
}
/** Test or live mode, from the key itself (`sk_live_`/`rk_live_`): ids of one mode never exist in the other. */
export const stripeMode = (secretKey: string): "live" | "test" => (/^(sk|rk)_live_/.test(secretKey) ? "live" : "test");
export const stripeConfig = (): StripeConfig => ({
  secretKey: requireSecret(STRIPE_SECRET_KEY),
  apiUrl: read(STRIPE_API_URL) || null,
});

/** Every configured webhook signing secret; empty when none is set (the webhook then fails closed). */
export const webhookSecrets = (): string[] => list(STRIPE_WEBHOOK_SECRET.value(), (s) => s);

export interface KlaviyoConfig {
  privateKey: string | null;
  apiUrl: string;
  maxEventAgeMs: number;
}
export const klaviyoConfig = (): KlaviyoConfig => ({
  privateKey: KLAVIYO_PRIVATE_KEY.value() || null,
  apiUrl: read(KLAVIYO_API_URL).replace(/\/+$/, ""),
  maxEventAgeMs: read(KLAVIYO_MAX_EVENT_AGE_MINUTES) * 60_000,
});
