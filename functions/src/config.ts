/**
 * Every param and secret of the backend, declared once. Values are read at call time (never at import),
 * so a missing secret surfaces as a clear error when a function runs, not as a crash at deploy discovery.
 * Defaults are built for local use: the demo project, the local Stripe server and the Klaviyo sink.
 */
import { defineBoolean, defineInt, defineSecret, defineString } from "firebase-functions/params";
import type { Param } from "firebase-functions/params";
// The offer's defaults; its words (product name, colours' names…) live in offer/content.json.
import OFFER from "./offer.defaults.json";
import { OFFER_CONTENT } from "./offer/content";

export const STRIPE_SECRET_KEY = defineSecret("STRIPE_SECRET_KEY");
/** One secret, or several comma-separated during a rotation. */
export const STRIPE_WEBHOOK_SECRET = defineSecret("STRIPE_WEBHOOK_SECRET");
export const KLAVIYO_PRIVATE_KEY = defineSecret("KLAVIYO_PRIVATE_KEY");
/** Signs the order-lookup links a shopper receives (e.g. in the thank-you mail). */
export const ORDER_LINK_SECRET = defineSecret("ORDER_LINK_SECRET");

const STRIPE_API_URL = defineString("STRIPE_API_URL", {
  default: "",
  description: "Base URL of a Stripe-compatible server (e.g. http://127.0.0.1:12111); empty = api.stripe.com",
});
const KLAVIYO_API_URL = defineString("KLAVIYO_API_URL", { default: "https://a.klaviyo.com" });
const PREORDER_COLORS = defineString("PREORDER_COLORS", { default: OFFER.colors });
const STRIPE_PRICE_ID = defineString("STRIPE_PRICE_ID", {
  default: "",
  description: "A Stripe Price id; when empty the session uses PREORDER_AMOUNT/CURRENCY",
});
const STRIPE_PAYMENT_LINKS = defineString("STRIPE_PAYMENT_LINKS", {
  default: "",
  description: "Comma-separated Payment Link ids (plink_...) that sell the offer; their paid sessions become preorders",
});
const PREORDER_AMOUNT = defineInt("PREORDER_AMOUNT", { default: OFFER.amount, description: "minor units" });
const PREORDER_CURRENCY = defineString("PREORDER_CURRENCY", { default: OFFER.currency });
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
/**
 * Cloud Functions retries an event function for up to 24 h (backoff up to 10 min between attempts); the
 * delivery must give up (recorded `failed`, re-drivable) while a retry is still coming, so it stays under that.
 */
export const PLATFORM_RETRY_WINDOW_MINUTES = 24 * 60;
const KLAVIYO_MAX_EVENT_AGE_MINUTES = defineInt("KLAVIYO_MAX_EVENT_AGE_MINUTES", {
  default: 23 * 60,
  description: "minutes after a transition when a failing Klaviyo delivery stops retrying; capped at 23 h (platform retries last 24 h)",
});
const KLAVIYO_LIST_ID = defineString("KLAVIYO_LIST_ID", {
  default: "",
  description: "Klaviyo list that consenting shoppers are subscribed to; empty = subscription off",
});

const ADMIN_WEB_API_KEY = defineString("ADMIN_WEB_API_KEY", {
  default: "",
  description: "The Firebase web app's API key, for the console's sign-in (Project settings → Your apps)",
});
const ADMIN_AUTH_DOMAIN = defineString("ADMIN_AUTH_DOMAIN", {
  default: "",
  description: "The console's Auth domain for Google sign-in; empty = <project>.firebaseapp.com",
});

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
  /** From offer/content.json (English), kept for callers that log or show one name. */
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
    productName: OFFER_CONTENT.product.name.en,
    siteUrl: read(SITE_URL).replace(/\/+$/, ""),
    shippingCountries: list(read(SHIPPING_COUNTRIES), (s) => s.toUpperCase()),
  };
}

/** The order-link signing secret; empty when unset (signed links are then refused, never accepted). */
export const orderLinkSecret = (): string => ORDER_LINK_SECRET.value();
/** What makes a session no preorder knows a sale of the offer (webhook/decide.ts notTheOffer). */
export const foreignOfferConfig = (): { paymentLinks: string[]; priceId: string | null } => ({
  paymentLinks: list(read(STRIPE_PAYMENT_LINKS), (s) => s),
  priceId: read(STRIPE_PRICE_ID) || null,
});

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
  listId: string | null;
}
const MAX_EVENT_AGE_CAP_MINUTES = PLATFORM_RETRY_WINDOW_MINUTES - 60;
export const klaviyoConfig = (): KlaviyoConfig => ({
  privateKey: KLAVIYO_PRIVATE_KEY.value() || null,
  apiUrl: read(KLAVIYO_API_URL).replace(/\/+$/, ""),
  maxEventAgeMs: Math.min(Math.max(0, read(KLAVIYO_MAX_EVENT_AGE_MINUTES)), MAX_EVENT_AGE_CAP_MINUTES) * 60_000,
  listId: read(KLAVIYO_LIST_ID).trim() || null,
});

export interface ConsoleWebConfig {
  projectId: string;
  apiKey: string;
  authDomain: string;
  /** host:port of the Auth emulator when one runs (set by the Functions emulator), else null */
  authEmulator: string | null;
}
/** What the console page needs to sign in: public values (a web API key is not a secret). */
export function consoleWebConfig(): ConsoleWebConfig {
  const projectId = process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? "";
  const authEmulator = process.env.FIREBASE_AUTH_EMULATOR_HOST || null;
  return {
    projectId,
    apiKey: read(ADMIN_WEB_API_KEY) || (authEmulator ? "local-emulator-key" : ""),
    authDomain: read(ADMIN_AUTH_DOMAIN) || `${projectId}.firebaseapp.com`,
    authEmulator,
  };
}
