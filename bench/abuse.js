"use strict";
/**
 * What 1,000 abusive calls cost (issue #14): Stripe requests and Firestore reads/writes, counted at the local
 * Stripe server and at the embedded Firestore server. The built callable runs in-process (`.run()`), with the
 * production limits (60 calls per IP per 10 min, 5 new checkouts per email per hour). App Check is off here
 * (nothing local can mint a real token); in production every one of these calls also needs a valid token.
 *
 *   npm run build && node bench/abuse.js        prints a Markdown table
 */
const path = require("node:path");
const { startFirestore } = require("../devtools/firestore-server");
const { StripeServer } = require("../devtools/stripe-server/server");

async function main() {
  const fs = await startFirestore();
  Object.assign(process.env, {
    FIRESTORE_EMULATOR_HOST: fs.host,
    GCLOUD_PROJECT: "demo-rolitt-abuse",
    METADATA_SERVER_DETECTION: "none",
    STRIPE_SECRET_KEY: "sk_test_local_only",
    ENFORCE_APP_CHECK: "false",
    RATE_LIMIT_PER_IP_10MIN: "60",
    RATE_LIMIT_PER_EMAIL_HOUR: "5",
  });
  const stripe = new StripeServer();
  process.env.STRIPE_API_URL = await stripe.listen();
  const { createCheckoutSession } = require(path.join(__dirname, "..", "functions", "lib", "index.js"));

  const call = (ip, data) =>
    createCheckoutSession
      .run({ data, rawRequest: { ip: "169.254.8.1", headers: { "x-forwarded-for": `${ip}, 66.102.8.142` } }, acceptsStreaming: false })
      .then(
        () => "ok",
        (e) => e.code,
      );
  const ip = (i) => `203.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const colors = ["khaki", "black", "white"];

  const scenarios = [
    ["one honest checkout (new customer)", 1, () => call("192.0.2.1", { email: "honest@example.com", color: "khaki" })],
    ["1,000 calls, one IP, 1,000 emails", 1000, (i) => call("198.51.100.7", { email: `stranger${i}@example.com`, color: "khaki" })],
    [
      "1,000 calls, 1,000 IPs, one victim's email, 3 colours",
      1000,
      (i) => call(ip(i), { email: "victim@example.com", color: colors[i % 3] }),
    ],
    ["1,000 calls, one IP, malformed", 1000, () => call("198.51.100.9", { email: "not-an-email", color: "khaki" })],
    ["1,000 calls, 1,000 IPs, 1,000 emails (botnet)", 1000, (i) => call(ip(i), { email: `bot${i}@example.com`, color: "khaki" })],
  ];
  const rows = [];
  for (const [name, n, make] of scenarios) {
    await fs.stats(true);
    stripe.requests = [];
    const outcomes = {};
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < n) {
          const o = await make(next++);
          outcomes[o] = (outcomes[o] ?? 0) + 1;
        }
      }),
    );
    const st = await fs.stats();
    const sessions = stripe.requests.filter((r) => r.path === "/v1/checkout/sessions").length;
    rows.push({
      name,
      n,
      outcomes,
      stripe: stripe.requests.length,
      sessions,
      reads: st.reads,
      writes: st.writes,
      ms: Date.now() - started,
    });
  }
  console.log("| scenario | calls | answers | Stripe requests (sessions) | Firestore reads | Firestore writes |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const answers = Object.entries(r.outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ");
    console.log(`| ${r.name} | ${r.n} | ${answers} | ${r.stripe} (${r.sessions}) | ${r.reads} | ${r.writes} |`);
  }
  await stripe.close();
  fs.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
