// Local-only test secrets: never real keys.
process.env.GCLOUD_PROJECT = process.env.GCLOUD_PROJECT || "demo-rolitt";
process.env.STRIPE_SECRET_KEY = "sk_test_local_only";
process.env.STRIPE_WEBHOOK_SECRET = "whsec_local_test_secret";
process.env.KLAVIYO_PRIVATE_KEY = "pk_local_test_key";
process.env.METADATA_SERVER_DETECTION = "none"; // no GCE metadata server here: do not probe for one
