"use strict";
/**
 * `npm run chaos`: a benchmark, not a test. CHAOS_PREORDERS (default 10,000) preorders of every lifecycle
 * through the real, built handlers on the isolated embedded Firestore, with everything going wrong at once:
 *
 * - Stripe webhook deliveries duplicated, reordered, delayed, 5% dropped for good (an outage); a delivery
 *   answered 5xx is retried a few times, as Stripe does, then left to reconciliation;
 * - Klaviyo answering 429 with Retry-After, 5xx, and too slowly (client timeouts);
 * - Firestore failing a fraction of its RPCs with UNAVAILABLE (injected by the embedded server);
 *
 * then reconcile runs (the scheduled function's code) until they have caught up, and the Klaviyo trigger's
 * retries (and the re-drive, where present) settle. It checks the invariants and writes docs/chaos.md.
 * The handlers run in this process (the webhook behind an HTTP server as Cloud Functions serves it, the
 * trigger fed by a Firestore listener like the local relay), not in the Functions emulator: on 2 cores the
 * emulator's worker processes would cost more than the handlers.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const LIB = path.join(ROOT, "functions", "lib");
/** `npm run chaos -- --preorders 2000` (or CHAOS_PREORDERS); 10,000 by default. */
const flag = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(flag("preorders") ?? process.env.CHAOS_PREORDERS ?? 10_000);
if (!Number.isInteger(N) || N < 1) {
  process.stderr.write("--preorders must be a positive whole number\n");
  process.exit(2);
}
const DROP = Number(process.env.CHAOS_DROP ?? 0.05);
const DUPLICATE = 0.2; // share of deliveries sent twice
const FIRESTORE_UNAVAILABLE = Number(process.env.CHAOS_FIRESTORE_UNAVAILABLE ?? 0.01);
const CONCURRENCY = 16;
const REPORT = process.env.CHAOS_REPORT ?? path.join(ROOT, "docs", "chaos.md");

const started = Date.now();
const say = (m) => process.stdout.write(`[chaos ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let seed = Number(process.env.CHAOS_SEED ?? 20261124);
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const shuffle = (xs) => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
};

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/** Lifecycle mix of a launch: most shoppers pay; every kind is present. */
const MIX = [
  ["pay", 0.55],
  ["decline then pay", 0.1],
  ["decline twice then expire", 0.08],
  ["async payment succeeded", 0.07],
  ["async payment failed", 0.05],
  ["pay then refund", 0.1],
  ["Payment Link sale", 0.05],
];
const kindOf = (i) => {
  let x = (i * 0.6180339887) % 1;
  for (const [k, p] of MIX) {
    if (x < p) return k;
    x -= p;
  }
  return "pay";
};

/** The webhook as Cloud Functions serves it: the raw body kept as req.rawBody. */
function serveWebhook(stripeWebhook) {
  const express = require("express");
  const app = express();
  app.use(express.raw({ type: () => true, limit: "1mb" }), (req, _res, next) => {
    req.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    next();
  });
  app.use((req, res) => stripeWebhook(req, res).catch(() => res.status(500).end()));
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

/**
 * The Firestore trigger, as the platform runs it: every change of a preorder (before/after) handed to the
 * built handler, one at a time per document, several documents at once, a failure retried with backoff
 * (retry: true). Changes landing between two listener snapshots are coalesced (see trigger-relay.js).
 */
function startTrigger(db, onPreorderWritten) {
  const known = new Map();
  const chains = new Map();
  let initial = true;
  const stats = { invocations: 0, failures: 0, gaveUp: 0 };
  let pending = 0;
  const run = async (event) => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      stats.invocations++;
      try {
        await onPreorderWritten(event);
        return;
      } catch {
        stats.failures++;
        await sleep(Math.min(8000, 100 * 2 ** attempt * (0.5 + random() / 2)));
      }
    }
    stats.gaveUp++;
  };
  const unsubscribe = db.collection("preorders").onSnapshot((snap) => {
    for (const change of snap.docChanges()) {
      const id = change.doc.id;
      const before = known.get(id) ?? null;
      const after = change.type === "removed" ? null : change.doc.data();
      known.set(id, after);
      if (initial) continue;
      const event = {
        id: `chaos-${id}-${Date.now()}`,
        time: new Date().toISOString(),
        params: { preorderId: id },
        data: {
          before: { exists: !!before, data: () => before ?? undefined },
          after: { exists: !!after, data: () => after ?? undefined },
        },
      };
      pending++;
      const chain = (chains.get(id) ?? Promise.resolve()).then(() => run(event)).finally(() => pending--);
      chains.set(id, chain);
    }
    initial = false;
  });
  return {
    stats,
    settled: async () => {
      while (pending > 0) await sleep(200);
    },
    stop: unsubscribe,
  };
}

async function main() {
  // the handlers' structured logs (tens of thousands of lines) would drown the run's own progress
  if (!process.env.CHAOS_VERBOSE) for (const level of ["log", "info", "warn", "error", "debug"]) console[level] = () => undefined;
  const { startFirestore } = require("../devtools/firestore-server");
  const { StripeServer } = require("../devtools/stripe-server/server");
  const { KlaviyoSink } = require("../devtools/klaviyo-sink/server");
  const { makeLifecycle, OFFER_LINK } = require("../devtools/lifecycles");
  const { LOCAL_SECRETS } = require("../devtools/stack");

  say(`${N} preorders; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, Node ${process.version}`);
  const firestore = await startFirestore();
  const canFault = typeof firestore.setFaults === "function";
  Object.assign(process.env, LOCAL_SECRETS, {
    GCLOUD_PROJECT: "demo-rolitt-chaos",
    FIRESTORE_EMULATOR_HOST: firestore.host,
    METADATA_SERVER_DETECTION: "none",
    STRIPE_PAYMENT_LINKS: OFFER_LINK, // the Payment Link sales are the offer's
  });
  const sink = new KlaviyoSink({ apiKey: LOCAL_SECRETS.KLAVIYO_PRIVATE_KEY });
  process.env.KLAVIYO_API_URL = await sink.listen();

  const { stripeWebhook } = require(path.join(LIB, "webhook", "handler.js"));
  const { onPreorderWritten } = require(path.join(LIB, "klaviyo", "handler.js"));
  const { scheduledReconcile } = require(path.join(LIB, "reconcile", "handler.js"));
  const { HANDLED_EVENT_TYPES } = require(path.join(LIB, "webhook", "events.js"));
  const { newPreorder } = require(path.join(LIB, "preorder", "new-preorder.js"));
  const { db } = require(path.join(LIB, "shared", "firestore.js"));
  let redriveStuck = null;
  try {
    ({ redriveStuck } = require(path.join(LIB, "klaviyo", "redrive.js")));
  } catch {
    /* the re-drive lands with the klaviyo branch */
  }
  const hook = await serveWebhook(stripeWebhook);
  const stripe = new StripeServer({ webhookUrl: hook.url, webhookSecret: LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET });
  process.env.STRIPE_API_URL = await stripe.listen();
  const handled = new Set(HANDLED_EVENT_TYPES);
  const trigger = startTrigger(db(), onPreorderWritten);
  await sleep(500);

  // ---- Klaviyo misbehaves all along: 429 + Retry-After, 5xx, answers slower than the client waits ----
  const klaviyoFaults = { 429: 0, 503: 0, slow: 0 };
  const klaviyoTimer = setInterval(() => {
    const r = random();
    if (r < 0.4) {
      sink.failNext({ count: 3, status: 429, retryAfter: 1 });
      klaviyoFaults[429] += 3;
    } else if (r < 0.7) {
      sink.failNext({ count: 2, status: 503 });
      klaviyoFaults[503] += 2;
    } else if (r < 0.75) {
      sink.failNext({ count: 1, status: 202, delayMs: 11_000 }); // beyond the client's 10 s timeout
      klaviyoFaults.slow += 1;
    }
  }, 1000);

  // ---- Firestore fails a fraction of its RPCs ----
  if (canFault) await firestore.setFaults({ unavailable: FIRESTORE_UNAVAILABLE });
  say(
    canFault
      ? `Firestore: ${FIRESTORE_UNAVAILABLE * 100}% of RPCs answer UNAVAILABLE`
      : "Firestore: fault injection not available in this checkout",
  );

  // ---- 1. preorders and their Stripe lifecycles (the callable's writes retried, as its caller would) ----
  const made = new Array(N);
  let createRetries = 0;
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      for (;;) {
        try {
          made[i] = await makeLifecycle({ stripe, db: db(), newPreorder, kind: kindOf(i), n: i, tag: "chaos" });
          return;
        } catch {
          createRetries++;
          await sleep(50);
        }
      }
    },
  );
  say(`made ${N} preorders and ${stripe.state.events.length} Stripe events`);

  // ---- 2. webhook deliveries: handled types only (the endpoint's subscription), duplicated, reordered,
  // delayed, 5% dropped; a 5xx retried up to 3 times, then left to reconciliation ----
  stripe.dropDeliveries({ rate: DROP, random });
  const deliveries = [];
  for (const m of made) {
    const events = m.events.filter((e) => handled.has(e.type));
    const list = events.flatMap((e) => (random() < DUPLICATE ? [e, e] : [e]));
    deliveries.push(random() < 0.3 ? shuffle(list) : list);
  }
  const deliveryStats = { sent: 0, dropped: 0, http5xx: 0, retried: 0, unrecovered: 0 };
  const tDeliver = Date.now();
  await pool(shuffle(deliveries), CONCURRENCY, async (list) => {
    for (const event of list) {
      if (random() < 0.1) await sleep(Math.floor(random() * 200)); // delayed
      for (let attempt = 1; ; attempt++) {
        const [status] = await stripe.deliver([event]);
        deliveryStats.sent++;
        if (status === "dropped") {
          deliveryStats.dropped++;
          break;
        }
        if (status === 200) break;
        deliveryStats.http5xx++;
        if (attempt >= 3) {
          deliveryStats.unrecovered++;
          break;
        }
        deliveryStats.retried++;
        await sleep(100 * attempt);
      }
    }
  });
  stripe.dropDeliveries({ rate: 0 });
  const deliverSecs = (Date.now() - tDeliver) / 1000;
  say(`delivered: ${JSON.stringify(deliveryStats)} in ${deliverSecs.toFixed(0)} s`);

  // ---- 3. reconcile until caught up (a run stopped by an injected UNAVAILABLE resumes from its cursor) ----
  const runs = [];
  const tReconcile = Date.now();
  for (let i = 0; i < 30; i++) {
    const s = await scheduledReconcile({ minRequestIntervalMs: 40 });
    runs.push(s);
    say(
      `reconcile run ${i + 1}: seen ${s.seen}, applied ${s.applied}, duplicates ${s.duplicates}, stopped by ${s.stoppedBy}${s.error ? ` (${s.error.slice(0, 80)})` : ""}`,
    );
    if (s.caughtUp && !s.error) break;
    if (s.skipped) await sleep(500);
  }
  const reconcileSecs = (Date.now() - tReconcile) / 1000;

  // ---- 4. Klaviyo settles: the trigger's retries, then the re-drive of what is left stuck ----
  clearInterval(klaviyoTimer);
  await trigger.settled();
  if (canFault) await firestore.setFaults({ unavailable: 0 });
  let redrive = null;
  if (redriveStuck) {
    redrive = { examined: 0, redriven: 0, sent: 0, stillFailing: 0 };
    for (let i = 0; i < 5; i++) {
      const r = await redriveStuck({ limit: 1000, perSecond: 50, olderThanMs: 0 });
      for (const k of Object.keys(redrive)) redrive[k] += r[k];
      if (r.examined === 0) break;
    }
  }
  await trigger.settled();
  const fsStats = canFault ? await firestore.stats() : null;
  const totalSecs = (Date.now() - started) / 1000;
  say("checking invariants");

  // ---- 5. invariants ----
  const snaps = [];
  for (let i = 0; i < made.length; i += 300)
    snaps.push(...(await db().getAll(...made.slice(i, i + 300).map((m) => db().collection("preorders").doc(m.preorderId)))));
  const status = new Map(snaps.map((s) => [s.id, s.get("status")]));
  const accepted = sink.events();
  const perUnique = new Map();
  for (const r of accepted) {
    const u = r.body?.data?.attributes?.unique_id;
    perUnique.set(u, (perUnique.get(u) ?? 0) + 1);
  }
  // a profile's last word: the preorder_status the latest accepted event left on it
  const profileStatus = new Map();
  for (const r of accepted) {
    const attrs = r.body?.data?.attributes?.profile?.data?.attributes;
    const st = attrs?.properties?.preorder_status;
    if (attrs?.email && st) profileStatus.set(attrs.email, st);
  }
  const paid = made.filter((m) => m.expected === "succeeded" || m.expected === "refunded");
  const emailOf = new Map(snaps.map((s) => [s.id, s.get("email")]));
  const retrying = await db().collection("klaviyo_deliveries").where("state", "==", "retrying").get();
  const deliveryRecords = (await db().collection("klaviyo_deliveries").count().get()).data().count;
  const ledgerIds = made.flatMap((m) => m.events.filter((e) => handled.has(e.type)).map((e) => e.id));
  let ledgerMissing = 0;
  for (let i = 0; i < ledgerIds.length; i += 300) {
    const got = await db().getAll(...ledgerIds.slice(i, i + 300).map((id) => db().collection("stripe_events").doc(id)));
    ledgerMissing += got.filter((s) => !s.exists).length;
  }
  const inv = [
    ["every paid order `succeeded`", made.filter((m) => m.expected === "succeeded"), (m) => status.get(m.preorderId) === "succeeded"],
    ["every refunded order `refunded`", made.filter((m) => m.expected === "refunded"), (m) => status.get(m.preorderId) === "refunded"],
    [
      "every other order at its true status (expired, failed)",
      made.filter((m) => !["succeeded", "refunded"].includes(m.expected)),
      (m) => status.get(m.preorderId) === m.expected,
    ],
    ["exactly one `Rolitt Preorder Success` per paid order", paid, (m) => perUnique.get(`${m.preorderId}:succeeded`) === 1],
    [
      "exactly one `Rolitt Preorder Started` per preorder made by the callable",
      made.filter((m) => !m.foreign),
      (m) => perUnique.get(`${m.preorderId}:created`) === 1,
    ],
    [
      "no profile says unpaid for a paid buyer",
      paid,
      (m) => !["created", "failed", "expired"].includes(profileStatus.get(emailOf.get(m.preorderId))),
    ],
  ].map(([name, items, ok]) => {
    const bad = items.filter((m) => !ok(m));
    return { name, checked: items.length, failed: bad.length, examples: bad.slice(0, 3).map((m) => `${m.kind} ${m.preorderId}`) };
  });
  inv.push({
    name: "nothing left `retrying` in klaviyo_deliveries",
    checked: deliveryRecords,
    failed: retrying.size,
    examples: retrying.docs.slice(0, 3).map((d) => d.id),
  });
  inv.push({ name: "every handled Stripe event in the ledger", checked: ledgerIds.length, failed: ledgerMissing, examples: [] });
  const repeats = [...perUnique.values()].filter((n) => n > 1).length;
  inv.push({ name: "no unique_id accepted twice at the sink", checked: perUnique.size, failed: repeats, examples: [] });
  const pass = inv.every((i) => i.failed === 0);
  for (const i of inv)
    say(
      `${i.failed === 0 ? "ok  " : "FAIL"} ${i.name}: ${i.checked - i.failed}/${i.checked}${i.failed ? ` (e.g. ${i.examples.join(", ")})` : ""}`,
    );

  // ---- 6. the report ----
  const byKind = {};
  for (const m of made) byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
  const reconciled = runs.reduce(
    (a, s) => ({
      seen: a.seen + s.seen,
      applied: a.applied + s.applied,
      duplicates: a.duplicates + s.duplicates,
      stale: a.stale + s.stale,
      pages: a.pages + s.pages,
    }),
    { seen: 0, applied: 0, duplicates: 0, stale: 0, pages: 0 },
  );
  const klaviyoRequests = sink.received.length;
  const L = [];
  L.push("# Chaos run");
  L.push("");
  L.push(
    `Written by \`npm run chaos\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, Node ${process.version}. A benchmark, not a test: ${N.toLocaleString("en")} preorders through the real, built handlers (webhook over HTTP, the Klaviyo trigger fed by a Firestore listener, the scheduled reconcile's code) on the isolated embedded Firestore, with the faults below injected at once. Seed ${process.env.CHAOS_SEED ?? 20261124}.`,
  );
  L.push("");
  L.push(`**Result: ${pass ? "every invariant holds" : "INVARIANTS FAILED"}** — ${totalSecs.toFixed(0)} s in all (limit 600 s).`);
  L.push("");
  L.push("## Faults injected");
  L.push("");
  L.push("| where | fault | count |");
  L.push("|---|---|---|");
  L.push(
    `| Stripe → webhook | deliveries duplicated (${DUPLICATE * 100}% of events sent twice) | ${deliveryStats.sent - ledgerIds.length - deliveryStats.retried} extra |`,
  );
  L.push(
    `| Stripe → webhook | lifecycles delivered in shuffled order (30%), deliveries delayed (10%, ≤ 200 ms), ${CONCURRENCY} at once | all |`,
  );
  L.push(`| Stripe → webhook | deliveries dropped for good (an outage, ${DROP * 100}%) | ${deliveryStats.dropped} |`);
  L.push(
    `| webhook → Stripe | answered 5xx (a Firestore failure): retried as Stripe does, up to 3 times | ${deliveryStats.http5xx} (${deliveryStats.unrecovered} never succeeded) |`,
  );
  L.push(`| Klaviyo | 429 with Retry-After: 1 | ${klaviyoFaults[429]} armed |`);
  L.push(`| Klaviyo | 503 | ${klaviyoFaults[503]} armed |`);
  L.push(`| Klaviyo | answer after 11 s (client timeout 10 s) | ${klaviyoFaults.slow} armed |`);
  L.push(
    `| Firestore | RPCs answered UNAVAILABLE (${FIRESTORE_UNAVAILABLE * 100}%) | ${fsStats ? `${fsStats.faults ?? "?"} of ${(fsStats.reads ?? 0) + (fsStats.commits ?? 0)}+ RPCs; ${fsStats.aborts ?? 0} transactions aborted for contention` : "not available in this checkout"} |`,
  );
  L.push("");
  L.push("## Retries and recovery");
  L.push("");
  L.push(`- Preorder writes retried after UNAVAILABLE: ${createRetries}.`);
  L.push(
    `- Webhook deliveries: ${deliveryStats.sent} POSTs for ${ledgerIds.length} distinct handled events; ${deliveryStats.retried} retried after a 5xx.`,
  );
  L.push(
    `- Reconcile: ${runs.length} run(s), ${reconciled.pages} Events API pages; events seen ${reconciled.seen}, applied ${reconciled.applied}, already recorded ${reconciled.duplicates}, stale ${reconciled.stale}; ${runs.filter((r) => r.error).length} run(s) stopped by an injected failure and resumed from the cursor; ${reconcileSecs.toFixed(0)} s.`,
  );
  L.push(
    `- Klaviyo trigger: ${trigger.stats.invocations} invocations, ${trigger.stats.failures} failed and retried by the platform's retry, ${trigger.stats.gaveUp} gave up; ${klaviyoRequests} requests to Klaviyo for ${accepted.length} accepted events.`,
  );
  L.push(
    `- Re-drive of stuck deliveries: ${redrive ? `examined ${redrive.examined}, re-driven ${redrive.redriven}, sent ${redrive.sent}, still failing ${redrive.stillFailing}` : "not in this checkout (klaviyo/redrive.ts)"}.`,
  );
  L.push("");
  L.push("## Time and throughput");
  L.push("");
  L.push("| phase | time | throughput |");
  L.push("|---|---|---|");
  L.push(`| webhook deliveries | ${deliverSecs.toFixed(0)} s | ${(deliveryStats.sent / deliverSecs).toFixed(0)} deliveries/s |`);
  L.push(`| reconcile | ${reconcileSecs.toFixed(0)} s | ${(reconciled.seen / Math.max(reconcileSecs, 0.001)).toFixed(0)} events/s |`);
  L.push(`| whole run | ${totalSecs.toFixed(0)} s | ${(N / totalSecs).toFixed(1)} preorders/s |`);
  L.push("");
  L.push("## Invariants");
  L.push("");
  L.push("| invariant | checked | failed |");
  L.push("|---|---|---|");
  for (const i of inv) L.push(`| ${i.name} | ${i.checked} | ${i.failed}${i.examples.length ? ` (${i.examples.join(", ")})` : ""} |`);
  L.push("");
  L.push(
    `Lifecycles: ${Object.entries(byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
  );
  L.push("");
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, `${L.join("\n")}\n`);
  say(`wrote ${path.relative(ROOT, REPORT)}: ${pass ? "PASS" : "FAIL"} in ${totalSecs.toFixed(0)} s`);

  trigger.stop();
  await Promise.all([new Promise((r) => hook.server.close(r)), stripe.close(), sink.close()]);
  firestore.stop();
  process.exit(pass ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`chaos run failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
