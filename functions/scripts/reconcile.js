#!/usr/bin/env node
"use strict";
/**
 * `npm run reconcile -- [--since 2026-11-01] [--project <id>] [--budget-minutes 10]`
 *
 * Without --since: one scheduled reconcile run (events whose delivery never succeeded, since the stored
 * cursor; then the sweep). With --since: a backfill of every handled event created since that date
 * (UTC), delivered or not, repeated until it reaches the present; a backfill that stops resumes when
 * run again with the same --since. Uses the built code (functions/lib) and the same lease as the
 * scheduled function, so running it during a scheduled run is safe.
 *
 * Where it connects:
 * - the local stack (`npm start`; project demo-*): Firestore at FIRESTORE_EMULATOR_HOST or firebase.json's
 *   port, the local Stripe server named in functions/.env.<project>, the local-only keys;
 * - a real project: `--project <id>` with Application Default Credentials (gcloud auth application-default
 *   login, or GOOGLE_APPLICATION_CREDENTIALS) and STRIPE_SECRET_KEY in the environment or functions/.secret.local.
 */
const fs = require("node:fs");
const path = require("node:path");

const FUNCTIONS = path.join(__dirname, "..");
const ROOT = path.join(FUNCTIONS, "..");
const USAGE = "usage: npm run reconcile -- [--since YYYY-MM-DD] [--project <id>] [--budget-minutes N]";

function fail(message) {
  process.stderr.write(`reconcile: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? a.split(/=(.*)/s) : [a, undefined];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--since") out.since = value();
    else if (flag === "--project") out.project = value();
    else if (flag === "--budget-minutes") out.budgetMinutes = value();
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return out;
}

/** YYYY-MM-DD (UTC midnight) or a full ISO time → Unix seconds; refuses anything else and the future. */
function parseSince(text) {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text))
    fail(`--since ${text}: not a date (YYYY-MM-DD)`);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) fail(`--since ${text}: not a valid date`);
  if (ms > Date.now()) fail(`--since ${text} is in the future`);
  return Math.floor(ms / 1000);
}

const readKeyValues = (file) =>
  fs.existsSync(file)
    ? Object.fromEntries(
        fs
          .readFileSync(file, "utf8")
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith("#") && l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
      )
    : {};

function configure(project) {
  const local = project.startsWith("demo-");
  const params = readKeyValues(path.join(FUNCTIONS, `.env.${project}`));
  const secrets = readKeyValues(path.join(FUNCTIONS, ".secret.local"));
  process.env.GCLOUD_PROJECT = project;
  for (const [k, v] of Object.entries({ ...readKeyValues(path.join(FUNCTIONS, ".env")), ...params }))
    if (process.env[k] === undefined) process.env[k] = v;
  if (local) {
    const { LOCAL_SECRETS } = require(path.join(ROOT, "devtools", "stack.js"));
    const firebase = JSON.parse(fs.readFileSync(path.join(ROOT, "firebase.json"), "utf8"));
    process.env.FIRESTORE_EMULATOR_HOST ??= `127.0.0.1:${firebase.emulators.firestore.port}`;
    process.env.METADATA_SERVER_DETECTION ??= "none";
    for (const [k, v] of Object.entries({ ...LOCAL_SECRETS, ...secrets })) process.env[k] ??= v;
    if (!process.env.STRIPE_API_URL && !/^sk_test_(?!local)/.test(process.env.STRIPE_SECRET_KEY))
      fail(`no functions/.env.${project}: start the local stack first (npm start)`);
  } else {
    for (const [k, v] of Object.entries(secrets)) process.env[k] ??= v;
  }
  if (!process.env.STRIPE_SECRET_KEY) fail("STRIPE_SECRET_KEY is not set (environment or functions/.secret.local)");
  return { local };
}

function defaultProject() {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, ".firebaserc"), "utf8")).projects.default;
  } catch {
    return "demo-rolitt";
  }
}

const when = (sec) => (sec == null ? "—" : new Date(sec * 1000).toISOString());

function print(s) {
  const line = (k, v) => process.stdout.write(`  ${k.padEnd(12)} ${v}\n`);
  process.stdout.write(`reconcile ${s.mode} run ${s.runId}\n`);
  if (s.skipped)
    return line("skipped", `another run (${s.skipped.holder}) holds the lease until ${new Date(s.skipped.until).toISOString()}`);
  line(
    "events",
    `seen ${s.seen}, applied ${s.applied}, duplicates ${s.duplicates}, stale ${s.stale}, ignored ${s.ignored}, mismatch ${s.mismatch}`,
  );
  line("requests", `${s.pages} Events API pages in ${(s.ms / 1000).toFixed(1)} s`);
  line("cursor", `${when(s.cursorBefore?.created)} → ${when(s.cursorAfter?.created)}`);
  line("stopped", s.stoppedBy + (s.caughtUp ? " (caught up with the present)" : "") + (s.error ? `: ${s.error}` : ""));
  if (s.gap)
    line(
      "LOST",
      `events from ${when(s.gap.from)} to ${when(s.gap.to)} are older than Stripe keeps (30 days): see README, "After a long outage"`,
    );
  if (s.sweep) line("sweep", JSON.stringify(s.sweep));
  if (s.klaviyo) line("klaviyo", JSON.stringify(s.klaviyo));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const since = args.since === undefined ? null : parseSince(args.since);
  const budgetMinutes = args.budgetMinutes === undefined ? 10 : Number(args.budgetMinutes);
  if (!(budgetMinutes > 0 && budgetMinutes <= 60)) fail("--budget-minutes: a number of minutes from 1 to 60");
  const project = args.project ?? process.env.GCLOUD_PROJECT ?? defaultProject();
  const { local } = configure(project);
  process.stdout.write(
    `reconcile: project ${project} (${local ? `local: Firestore ${process.env.FIRESTORE_EMULATOR_HOST}, Stripe ${process.env.STRIPE_API_URL || "api.stripe.com"}` : "live Firestore, api.stripe.com"})\n`,
  );
  const lib = path.join(FUNCTIONS, "lib", "reconcile", "handler.js");
  if (!fs.existsSync(lib)) fail("functions/lib is missing: run npm run build first");
  const { backfill, scheduledReconcile } = require(lib);
  const opts = { budgetMs: budgetMinutes * 60_000, leaseMs: budgetMinutes * 60_000 + 120_000, maxPages: 5000 };

  if (since === null) {
    const s = await scheduledReconcile(opts);
    print(s);
    process.exit(s.error ? 1 : 0);
  }
  // a backfill: pass after pass until it reaches the present (each pass resumes from the stored progress)
  for (let pass = 1; ; pass++) {
    const s = await backfill(since, opts);
    print(s);
    if (s.skipped || s.error) process.exit(1);
    if (s.caughtUp) process.exit(0);
    process.stdout.write(`  (pass ${pass} stopped by its ${s.stoppedBy} budget; continuing)\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`reconcile failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
