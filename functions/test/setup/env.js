// Local-only test secrets: never real keys.
process.env.GCLOUD_PROJECT = process.env.GCLOUD_PROJECT || "demo-rolitt";
process.env.STRIPE_SECRET_KEY = "sk_test_local_only";
process.env.STRIPE_WEBHOOK_SECRET = "whsec_local_test_secret";
process.env.KLAVIYO_PRIVATE_KEY = "pk_local_test_key";
process.env.ORDER_LINK_SECRET = "order_link_local_test_secret";
process.env.METADATA_SERVER_DETECTION = "none"; // no GCE metadata server here: do not probe for one
// The callable's guards, set explicitly (production defaults: App Check on, 60 calls per IP per 10 min, 5 new
// checkouts per email per hour). Suites that are not about them share one "unknown" client address across the
// whole run, so they get limits they never reach; checkout.abuse sets its own per test.
process.env.ENFORCE_APP_CHECK = "false";
process.env.RATE_LIMIT_PER_IP_10MIN = "1000000";
process.env.RATE_LIMIT_PER_EMAIL_HOUR = "1000000";
