"use strict";
/**
 * The Klaviyo part of the benchmarks on its own (`node bench/klaviyo.js` after `npm run build`, ~20 s): the
 * built trigger handler against the embedded Firestore (with transaction isolation) and the local Klaviyo
 * sink, no emulators. Same measurements as section 3 of bench/run.js: Klaviyo requests and Firestore
 * reads/writes per transition, first delivery, under redelivery, and under 10× concurrent duplicates.
 */
const path = require("node:path");
const { startFirestore } = require("../devtools/firestore-server");
const { KlaviyoSink } = require("../devtools/klaviyo-sink/server");

const LIB = path.join(__dirname, "..", "functions", "lib");
const f2 = (n) => n.toFixed(2);

async function main() {
  const fs = await startFirestore();
  const key = "pk_bench_local_only";
  const sink = new KlaviyoSink({ apiKey: key });
  await sink.listen();
  Object.assign(process.env, {
    FIRESTORE_EMULATOR_HOST: fs.host,
    GCLOUD_PROJECT: "demo-rolitt-kbench",
    KLAVIYO_PRIVATE_KEY: key,
    KLAVIYO_API_URL: sink.url,
    METADATA_SERVER_DETECTION: "none",
  });
  const { onPreorderWritten } = require(path.join(LIB, "klaviyo", "handler.js"));
  const { db, firestoreModule } = require(path.join(LIB, "shared", "firestore.js"));
  const { newPreorder } = require(path.join(LIB, "preorder", "new-preorder.js"));
  const T = firestoreModule().Timestamp;

  let n = 0;
  async function paidPreorders(count, prefix) {
    const out = [];
    for (let i = 0; i < count; i++) {
      const id = `${prefix}${n++}`;
      const created = T.fromMillis(Date.now() - 60_000);
      const doc = {
        ...newPreorder({
          preorderId: id,
          preorderNumber: `ROL-${10_000_000 + n}`,
          email: `${id}@example.com`,
          color: "khaki",
          locale: "en",
          amount: 9900,
          currency: "usd",
          stripe: { customerId: "cus_b", sessionId: `cs_${id}`, paymentIntentId: `pi_${id}` },
        }),
        status: "succeeded",
        createdAt: created,
        updatedAt: T.now(),
      };
      await db().collection("preorders").doc(id).set(doc);
      out.push({ preorderId: id, doc, created: { ...doc, status: "created", updatedAt: created } });
    }
    return out;
  }
  const trigger = (m, before, after) =>
    onPreorderWritten({
      time: new Date().toISOString(),
      params: { preorderId: m.preorderId },
      data: { before: before && { data: () => before }, after: { data: () => after } },
    });
  const transitionsOf = (m) => [
    [null, m.created],
    [m.created, m.doc],
  ];

  const made = await paidPreorders(20, "kb");
  await fs.stats(true);
  for (const m of made) for (const [b, a] of transitionsOf(m)) await trigger(m, b, a);
  const first = await fs.stats(true);
  const firstRequests = sink.received.length;
  for (const m of made) for (let k = 0; k < 2; k++) for (const [b, a] of transitionsOf(m)) await trigger(m, b, a);
  const redelivery = await fs.stats(true);
  const redeliveryRequests = sink.received.length - firstRequests;

  const crowd = await paidPreorders(10, "kcb");
  const beforeCrowd = sink.received.length;
  let thrown = 0;
  await fs.stats(true);
  for (const m of crowd) {
    for (const [b, a] of transitionsOf(m).reverse()) {
      const settled = await Promise.allSettled(Array.from({ length: 10 }, () => trigger(m, b, a)));
      thrown += settled.filter((r) => r.status === "rejected").length;
    }
  }
  const crowdFs = await fs.stats(true);
  const crowdRequests = sink.received.length - beforeCrowd;
  const paid = crowd.filter((m) => sink.profile(m.doc.email)?.properties?.preorder_paid === true).length;

  const t1 = made.length * 2;
  const t2 = t1 * 2;
  const t3 = crowd.length * 2;
  console.log(
    `first delivery:   ${firstRequests} requests / ${t1} transitions = ${f2(firstRequests / t1)}; Firestore ${f2(first.reads / t1)} reads, ${f2(first.writes / t1)} writes per transition`,
  );
  console.log(
    `redelivery:       ${redeliveryRequests} requests / ${t2} redelivered trigger events = ${f2(redeliveryRequests / t2)}; Firestore ${f2(redelivery.reads / t2)} reads, ${f2(redelivery.writes / t2)} writes each`,
  );
  console.log(
    `10× concurrent:   ${crowdRequests} requests / ${t3} transitions (${t3 * 10} invocations, Success before Started) = ${f2(crowdRequests / t3)}; Firestore ${f2(crowdFs.reads / t3)} reads, ${f2(crowdFs.writes / t3)} writes per transition; ${thrown} invocations handed back; ${paid}/${crowd.length} profiles end paid`,
  );
  console.log(
    `accepted by the sink: ${sink.events().length} events, ${sink.received.filter((r) => r.outcome === "duplicate").length} dropped as repeats`,
  );
  await db().terminate();
  await sink.close();
  fs.stop();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
