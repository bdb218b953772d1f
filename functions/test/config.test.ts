/**
 * The configuration as an operator sets it: defaults when nothing is set, lists written loosely in the
 * environment, trailing slashes, a rotation's several webhook secrets, a missing secret named in the error.
 */
import OFFER from "../src/offer.defaults.json";
import { OFFER_CONTENT } from "../src/offer/content";
import {
  appCheckEnforced,
  ConfigError,
  consoleWebConfig,
  foreignOfferConfig,
  klaviyoConfig,
  limitsConfig,
  offerConfig,
  stripeConfig,
  stripeMode,
  webhookSecrets,
} from "../src/config";

const NAMES = [
  "PREORDER_COLORS",
  "STRIPE_PRICE_ID",
  "PREORDER_AMOUNT",
  "PREORDER_CURRENCY",
  "SITE_URL",
  "SHIPPING_COUNTRIES",
  "ENFORCE_APP_CHECK",
  "STRIPE_API_URL",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "KLAVIYO_PRIVATE_KEY",
  "KLAVIYO_API_URL",
  "KLAVIYO_MAX_EVENT_AGE_MINUTES",
  "KLAVIYO_LIST_ID",
  "STRIPE_PAYMENT_LINKS",
  "RATE_LIMIT_PER_EMAIL_HOUR",
  "RATE_LIMIT_PER_IP_10MIN",
  "TRUSTED_PROXY_HOPS",
  "ADMIN_WEB_API_KEY",
  "ADMIN_AUTH_DOMAIN",
  "GCLOUD_PROJECT",
  "GOOGLE_CLOUD_PROJECT",
  "FIREBASE_AUTH_EMULATOR_HOST",
];
const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
beforeEach(() => {
  for (const n of NAMES) if (!n.endsWith("_KEY") && !n.endsWith("_SECRET")) delete process.env[n];
});
afterAll(() => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
});

describe("offerConfig", () => {
  it("falls back to the shared offer defaults and the local site when nothing is set", () => {
    expect(offerConfig()).toEqual({
      colors: OFFER.colors.split(","),
      priceId: null,
      amount: OFFER.amount,
      currency: OFFER.currency,
      productName: OFFER_CONTENT.product.name.en,
      siteUrl: "http://127.0.0.1:5000",
      shippingCountries: ["US", "CA", "GB", "IE", "DE", "FR", "NL", "AU", "NZ", "JP", "SG", "HK", "TW", "CN"],
    });
  });

  it("reads loosely written lists, case and trailing slashes the way Stripe and the page need them", () => {
    Object.assign(process.env, {
      PREORDER_COLORS: " Khaki , BLACK,,white ",
      STRIPE_PRICE_ID: "price_123",
      PREORDER_AMOUNT: "12800",
      PREORDER_CURRENCY: "HKD",
      SITE_URL: "https://rolitt.example//",
      SHIPPING_COUNTRIES: "hk, tw ,,cn",
    });
    expect(offerConfig()).toEqual({
      colors: ["khaki", "black", "white"],
      priceId: "price_123",
      amount: 12800,
      currency: "hkd",
      productName: OFFER_CONTENT.product.name.en,
      siteUrl: "https://rolitt.example",
      shippingCountries: ["HK", "TW", "CN"],
    });
  });

  it("treats an empty price id as none (amount and currency then make the price)", () => {
    process.env.STRIPE_PRICE_ID = "";
    expect(offerConfig().priceId).toBeNull();
  });
});

describe("stripeConfig and webhookSecrets", () => {
  it("returns the key and no endpoint by default, the local server's URL when set", () => {
    expect(stripeConfig()).toEqual({ secretKey: saved.STRIPE_SECRET_KEY, apiUrl: null });
    process.env.STRIPE_API_URL = "http://127.0.0.1:12111";
    expect(stripeConfig().apiUrl).toBe("http://127.0.0.1:12111");
  });

  it("names the missing secret rather than calling Stripe without a key", () => {
    process.env.STRIPE_SECRET_KEY = "";
    try {
      let err: unknown;
      try {
        stripeConfig();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ name: "ConfigError", param: "STRIPE_SECRET_KEY", message: "STRIPE_SECRET_KEY is not configured" });
    } finally {
      process.env.STRIPE_SECRET_KEY = saved.STRIPE_SECRET_KEY;
    }
  });

  it("splits a rotation's comma-separated webhook secrets, and has none when unset", () => {
    process.env.STRIPE_WEBHOOK_SECRET = " whsec_new , whsec_old,";
    expect(webhookSecrets()).toEqual(["whsec_new", "whsec_old"]);
    process.env.STRIPE_WEBHOOK_SECRET = "";
    expect(webhookSecrets()).toEqual([]);
    process.env.STRIPE_WEBHOOK_SECRET = saved.STRIPE_WEBHOOK_SECRET;
  });
});

describe("klaviyoConfig and App Check", () => {
  it("subscription is off (no list) unless KLAVIYO_LIST_ID names one; the id is read without stray spaces", () => {
    expect(klaviyoConfig().listId).toBeNull();
    process.env.KLAVIYO_LIST_ID = "   ";
    expect(klaviyoConfig().listId).toBeNull();
    process.env.KLAVIYO_LIST_ID = " Xy12Ab ";
    expect(klaviyoConfig().listId).toBe("Xy12Ab");
  });

  it("drops every trailing slash of the Klaviyo URL, so paths join without a double slash", () => {
    process.env.KLAVIYO_API_URL = "http://127.0.0.1:7777///";
    expect(klaviyoConfig().apiUrl).toBe("http://127.0.0.1:7777");
  });

  it("defaults to Klaviyo's API, 23 h maximum event age (under the platform's 24 h of retries), and App Check enforced unless turned off", () => {
    expect(klaviyoConfig()).toMatchObject({
      privateKey: saved.KLAVIYO_PRIVATE_KEY,
      apiUrl: "https://a.klaviyo.com",
      maxEventAgeMs: 23 * 60 * 60_000,
    });
    // production default on (#14); the test setup turns it off for the suites that are not about it
    expect(process.env.ENFORCE_APP_CHECK).toBeUndefined(); // cleared before each test, restored after
    expect(appCheckEnforced()).toBe(true);
    process.env.ENFORCE_APP_CHECK = "false";
    expect(appCheckEnforced()).toBe(false);
  });

  it("reads the sink's URL without a trailing slash, the age in minutes, a missing key as null", () => {
    Object.assign(process.env, {
      KLAVIYO_API_URL: "http://127.0.0.1:7777/",
      KLAVIYO_MAX_EVENT_AGE_MINUTES: "90",
      ENFORCE_APP_CHECK: "true",
    });
    process.env.KLAVIYO_PRIVATE_KEY = "";
    try {
      expect(klaviyoConfig()).toMatchObject({ privateKey: null, apiUrl: "http://127.0.0.1:7777", maxEventAgeMs: 90 * 60_000 });
      expect(appCheckEnforced()).toBe(true);
    } finally {
      process.env.KLAVIYO_PRIVATE_KEY = saved.KLAVIYO_PRIVATE_KEY;
    }
  });
});

describe("the other settings", () => {
  it("a sale of the offer made outside the callable is known by its Payment Links (a loose list) and Price", () => {
    expect(foreignOfferConfig()).toEqual({ paymentLinks: [], priceId: null });
    Object.assign(process.env, { STRIPE_PAYMENT_LINKS: " plink_1, ,plink_2 ", STRIPE_PRICE_ID: "price_9" });
    expect(foreignOfferConfig()).toEqual({ paymentLinks: ["plink_1", "plink_2"], priceId: "price_9" });
  });

  it("abuse limits: 5 checkouts per email an hour, 60 per address in 10 minutes, 1 trusted proxy, unless set", () => {
    expect(limitsConfig()).toEqual({ perEmailHour: 5, perIp10Min: 60, trustedProxyHops: 1 });
    Object.assign(process.env, { RATE_LIMIT_PER_EMAIL_HOUR: "3", RATE_LIMIT_PER_IP_10MIN: "30", TRUSTED_PROXY_HOPS: "2" });
    expect(limitsConfig()).toEqual({ perEmailHour: 3, perIp10Min: 30, trustedProxyHops: 2 });
  });

  it("the Stripe mode is the key's: sk_live_ and rk_live_ keys are live, every other key test", () => {
    const keys = ["sk_live_1", "rk_live_1", "sk_test_1", "rk_test_1", "pk_live_1", "xsk_live_1"];
    expect(keys.map(stripeMode)).toEqual(["live", "live", "test", "test", "test", "test"]);
  });

  it("the console signs in to the project's auth domain; with an Auth emulator, with its stand-in key", () => {
    for (const n of ["ADMIN_WEB_API_KEY", "GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT", "FIREBASE_AUTH_EMULATOR_HOST"]) delete process.env[n];
    expect(consoleWebConfig()).toEqual({ projectId: "", apiKey: "", authDomain: ".firebaseapp.com", authEmulator: null });
    process.env.GOOGLE_CLOUD_PROJECT = "shop-b";
    expect(consoleWebConfig().projectId).toBe("shop-b");
    process.env.GCLOUD_PROJECT = "shop-a"; // read first where both are set
    expect(consoleWebConfig()).toEqual({ projectId: "shop-a", apiKey: "", authDomain: "shop-a.firebaseapp.com", authEmulator: null });
    process.env.FIREBASE_AUTH_EMULATOR_HOST = "127.0.0.1:9099";
    expect(consoleWebConfig()).toMatchObject({ apiKey: "local-emulator-key", authEmulator: "127.0.0.1:9099" });
    Object.assign(process.env, { ADMIN_WEB_API_KEY: "AIza-shop", ADMIN_AUTH_DOMAIN: "login.example.com" });
    expect(consoleWebConfig()).toEqual({
      projectId: "shop-a",
      apiKey: "AIza-shop",
      authDomain: "login.example.com",
      authEmulator: "127.0.0.1:9099",
    });
  });
});
