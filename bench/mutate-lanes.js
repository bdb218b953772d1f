#!/usr/bin/env node
/**
 * `npm run mutate:lanes [lane…]`: the whole of functions/src with the integration suites, one lane at a time
 * (docs/mutation.md, "Lanes"). Each lane is `npm run mutate` over some folders against the suites that reach
 * them; the incremental file carries every lane's results into the next, so the last report covers all of
 * functions/src. The first lane runs the unit suites over everything; later lanes re-run only what no unit
 * test killed (a killed mutant is reused while its killing test is unchanged), against their own suites.
 *
 * Why lanes: under Stryker every mutant is a fresh jest run that loads the Admin SDK, the Stripe SDK and the
 * embedded Firestore (seconds each), and runs every test that reaches the mutant. The whole suite per mutant
 * would be days on 2 cores; a folder's own suites are minutes. A lane's score is a lower bound of the full
 * suite's (more tests can only kill more). Left out of every lane: webhook.concurrency (20 concurrent runs per
 * test, a minute per mutant) and webhook.lifecycle (its HTTP leg replays random orders of what webhook.cases
 * checks one by one); reconcile.integration runs with 40 lifecycles instead of 200.
 */
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const UNIT = [
  "admin.auth",
  "admin.csv",
  "admin.query",
  "checkout.client-ip",
  "checkout.input",
  "checkout.session-params",
  "checkout.stripe-errors",
  "config",
  "klaviyo.client",
  "klaviyo.events",
  "klaviyo.money",
  "klaviyo.profile-core",
  "klaviyo.profile",
  "klaviyo.types",
  "offer.content",
  "order.public-view",
  "order.rate-limit",
  "preorder.core",
  "preorder.status",
  "pure-core.survivors",
  "reconcile.plan",
  "webhook.decide",
  "webhook.verify",
];
/** Globs under functions/src; a leading "!" excludes. */
const src = (...globs) => globs.map((g) => (g.startsWith("!") ? `!functions/src/${g.slice(1)}` : `functions/src/${g}`)).join(",");

const LANES = {
  unit: { mutate: src("**/*.ts", "!**/*.d.ts"), tests: UNIT, firestore: false },
  // the pure core of the target, against its unit suites (every file here is pure)
  core: {
    mutate: src(
      "webhook/decide.ts",
      "webhook/events.ts",
      "klaviyo/seed-event.ts",
      "klaviyo/events-api.ts",
      "klaviyo/money.ts",
      "klaviyo/profile.ts",
    ),
    tests: [
      "webhook.decide",
      "preorder.core",
      "preorder.status",
      "klaviyo.events",
      "klaviyo.money",
      "klaviyo.profile",
      "klaviyo.types",
      "klaviyo.profile-core",
      "pure-core.survivors",
    ],
    firestore: false,
  },
  webhook: {
    mutate: src("webhook/apply.ts", "webhook/handler.ts", "webhook/verify.ts", "shared/**/*.ts"),
    tests: ["webhook.verify", "webhook.signature", "webhook.cases", "webhook.fuzz", "shared"],
  },
  klaviyo: {
    mutate: src("klaviyo/**/*.ts", "!**/*.d.ts"),
    tests: [
      "klaviyo.client",
      "klaviyo.delivery",
      "klaviyo.events",
      "klaviyo.money",
      "klaviyo.profile",
      "klaviyo.profile-core",
      "klaviyo.types",
      "klaviyo.order",
      "klaviyo.redrive",
      "klaviyo.trigger",
      "klaviyo.consent",
      "reconcile.klaviyo",
      "pure-core.survivors",
    ],
  },
  checkout: {
    mutate: src("checkout/**/*.ts", "!**/*.d.ts"),
    tests: [
      "checkout.abuse",
      "checkout.client-ip",
      "checkout.consent",
      "checkout.customer",
      "checkout.handler",
      "checkout.input",
      "checkout.integration",
      "checkout.open-checkout",
      "checkout.session-params",
      "checkout.stripe-errors",
      "config",
    ],
  },
  admin: {
    mutate: src("admin/**/*.ts"),
    tests: ["admin.auth", "admin.csv", "admin.export", "admin.functions", "admin.funnel", "admin.query", "shared"],
  },
  order: {
    mutate: src("order/**/*.ts", "offer/**/*.ts", "config.ts", "preorder/**/*.ts"),
    tests: [
      "order.status",
      "order.public-view",
      "order.rate-limit",
      "offer.content",
      "config",
      "preorder.core",
      "preorder.status",
      "pure-core.survivors",
      "checkout.session-params",
    ],
  },
  reconcile: {
    mutate: src("reconcile/**/*.ts"),
    tests: ["reconcile.plan", "reconcile.klaviyo", "reconcile.integration", "reconcile.store", "reconcile.handler", "reconcile.sweep"],
  },
  wiring: {
    mutate: src("index.ts"),
    tests: [
      "index.manifest",
      "webhook.signature",
      "checkout.integration",
      "admin.export",
      "admin.functions",
      "admin.funnel",
      "order.status",
      "klaviyo.trigger",
    ],
  },
};

// MUTATE_LANE_FILES="klaviyo/**/*.ts,admin/**/*.ts" narrows a lane to those globs under functions/src, e.g. the
// unit lane over the files no other lane has measured yet: a lane re-runs what its own suites did not kill,
// so running it over files another lane measured may replace those results with the unit suites' alone.
// A line range narrows further (`klaviyo/delivery.ts:163:1-163:40`); MUTATE_LANE_FORCE=1 re-runs what the
// incremental file would reuse: needed when only the test set-up changed (devtools/), which Stryker does not see.
const only = (process.env.MUTATE_LANE_FILES ?? "").split(",").filter(Boolean);
const force = process.env.MUTATE_LANE_FORCE === "1" ? ["--force"] : [];
const wanted = process.argv.slice(2);
for (const name of wanted) if (!LANES[name]) throw new Error(`unknown lane ${name}; lanes: ${Object.keys(LANES).join(", ")}`);
const lanes = wanted.length > 0 ? wanted : Object.keys(LANES);

for (const name of lanes) {
  const lane = only.length > 0 ? { ...LANES[name], mutate: src(...only, "!**/*.d.ts") } : LANES[name];
  const started = Date.now();
  process.stdout.write(`\n=== lane ${name}: ${lane.mutate}\n    suites: ${lane.tests.join(", ")}\n`);
  const r = spawnSync(process.execPath, [path.join(__dirname, "mutate.js"), "--mutate", lane.mutate, ...force], {
    stdio: "inherit",
    env: {
      ...process.env,
      MUTATE_TESTS: lane.tests.join(","),
      MUTATE_FIRESTORE: lane.firestore === false ? "0" : "1",
      MUTATE_NO_CHECK: process.env.MUTATE_NO_CHECK ?? "1",
      MUTATE_TIMEOUT_MS: process.env.MUTATE_TIMEOUT_MS ?? "10000",
      MUTATE_TIMEOUT_FACTOR: process.env.MUTATE_TIMEOUT_FACTOR ?? "1.5",
      RECONCILE_LIFECYCLES: process.env.RECONCILE_LIFECYCLES ?? "40",
    },
  });
  process.stdout.write(`=== lane ${name}: exit ${r.status}, ${Math.round((Date.now() - started) / 1000)} s\n`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
