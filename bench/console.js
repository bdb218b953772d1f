"use strict";
/**
 * `npm run bench:console`: the operations console with 20,000 preorders (BENCH_CONSOLE_ORDERS): the list's
 * first page, a next page, a filtered page and a search through the Hosting rewrite → Functions emulator →
 * Firestore; the fulfilment CSV and the factory summary streamed over HTTP. Writes docs/console-bench.md.
 * The Firestore here is the embedded server (no composite indexes: one equality filter from an index, the rest
 * filtered and sorted in JavaScript), so these are upper bounds: real Firestore serves a page from an index.
 */
const fs = require("node:fs");
const path = require("node:path");
const { startStack } = require("../devtools/stack");

const N = Number(process.env.BENCH_CONSOLE_ORDERS ?? 20000);
const RUNS = 5;
const PROJECT = "demo-rolitt-bench-console";
const started = Date.now();
const say = (m) => process.stdout.write(`[console bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const COLORS = ["khaki", "black", "white"];
const COUNTRIES = ["HK", "US", "GB", "CN", "TW", "SG", "JP", "AU"];
const STATUS = (i) => (i % 20 < 12 ? "succeeded" : i % 20 < 16 ? "created" : i % 20 < 18 ? "expired" : i % 20 < 19 ? "failed" : "refunded");

async function seed(db, Timestamp) {
  const t0 = Date.parse("2026-11-01T00:00:00Z");
  const batches = [];
  // 250 preorders and their number reservations per commit: 500 writes, Firestore's batch limit
  for (let i = 0; i < N; i += 250) {
    const batch = db.batch();
    for (let j = i; j < Math.min(N, i + 250); j++) {
      const at = Timestamp.fromMillis(t0 + Math.floor((j * 10 * 86_400_000) / N));
      const id = `bench${String(j).padStart(15, "0")}`;
      const status = STATUS(j);
      const country = COUNTRIES[j % COUNTRIES.length];
      batch.set(db.collection("preorders").doc(id), {
        preorderId: id,
        preorderNumber: `ROL-${String(50000000 + j)}`,
        email: `buyer${j}@example.com`,
        color: COLORS[j % 3],
        locale: ["en", "zh-HK", "zh-CN"][j % 3],
        status,
        amount: 9900,
        currency: "usd",
        stripe: { customerId: `cus_${j}`, sessionId: `cs_test_${j}`, paymentIntentId: status === "created" ? null : `pi_${j}` },
        customer:
          status === "succeeded" || status === "refunded"
            ? {
                name: j % 7 ? `Buyer ${j}` : `陈大文 ${j}`,
                phone: `+852 5555 ${String(j).padStart(4, "0")}`,
                shipping: {
                  name: `Buyer ${j}`,
                  address: { line1: `${j} Queen's Road`, line2: null, city: "City", state: null, postal_code: "000", country },
                },
              }
            : null,
        errorReason: null,
        amountRefunded: status === "refunded" ? 9900 : 0,
        origin: "callable",
        hold: j % 250 === 0 ? { reason: "dispute", since: at } : null,
        flagged: j % 500 === 0,
        attribution: { utm_campaign: ["launch", "retarget", "kol"][j % 3], utm_source: "meta" },
        createdAt: at,
        updatedAt: at,
      });
      // the number's reservation, as checkout writes it: search by ROL- number goes through it
      batch.set(db.collection("preorder_numbers").doc(`ROL-${String(50000000 + j)}`), { preorderId: id, createdAt: at });
    }
    batches.push(batch);
  }
  // commits of 500, one at a time (the embedded server has no BatchWrite / bulkWriter)
  for (const [i, b] of batches.entries()) {
    await b.commit();
    if ((i + 1) % 20 === 0) say(`  ${(i + 1) * 250} written`);
  }
}

/** The console's own CSV code over N generated orders, in this process: what Firestore does not cost. */
async function csvOnly(n) {
  const { ordersCsv, addToSummary, summaryCsv } = require("../functions/lib/admin/csv.js");
  async function* docs() {
    for (let j = 0; j < n; j++)
      yield {
        preorderId: `p${j}`,
        preorderNumber: `ROL-${50000000 + j}`,
        email: `buyer${j}@example.com`,
        color: COLORS[j % 3],
        status: STATUS(j),
        hold: j % 250 === 0 ? { reason: "dispute" } : null,
        customer: {
          name: `陈大文 ${j}`,
          phone: `+852 5555 ${j}`,
          shipping: {
            name: `Buyer ${j}`,
            address: { line1: `${j} Queen's Road`, line2: null, city: "City", state: null, postal_code: "000", country: COUNTRIES[j % 8] },
          },
        },
        createdAt: new Date(1_700_000_000_000 + j * 1000),
      };
  }
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of ordersCsv(docs())) bytes += Buffer.byteLength(chunk);
  const ms = performance.now() - t0;
  const summary = new Map();
  for await (const d of docs()) addToSummary(summary, d);
  summaryCsv(summary);
  return { ms, bytes, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 };
}

async function main() {
  const pure = await csvOnly(20000);
  say(`CSV code alone, 20,000 orders in: ${pure.ms.toFixed(0)} ms, ${(pure.bytes / 1e6).toFixed(2)} MB`);
  say(`starting the stack (no trigger relay: seeding ${N} preorders must not fire ${N} Klaviyo events)…`);
  const stack = await startStack({ projectId: PROJECT, dynamicPorts: true, relay: false });
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreHost;
    const { initializeApp } = require("firebase-admin/app");
    const { getFirestore, Timestamp } = require("firebase-admin/firestore");
    const db = getFirestore(initializeApp({ projectId: PROJECT }, "bench-console"));
    let t = Date.now();
    await seed(db, Timestamp);
    const seedMs = Date.now() - t;
    say(`seeded ${N} preorders in ${(seedMs / 1000).toFixed(1)} s`);

    await stack.createUser("bench@rolitt.test", "bench-password", { admin: true });
    const si = await fetch(`${stack.urls.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "bench@rolitt.test", password: "bench-password", returnSecureToken: true }),
    });
    const token = (await si.json()).idToken;
    const call = async (name, data) => {
      const t0 = performance.now();
      const res = await fetch(`${stack.urls.site}/api/admin/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ data }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t0, result: body.result };
    };
    const timed = async (label, data) => {
      const first = await call("orders", data);
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push((await call("orders", data)).ms);
      say(`${label}: first ${first.ms.toFixed(0)} ms, median ${median(runs).toFixed(0)} ms, ${first.result.rows.length} rows`);
      return { label, first: first.ms, median: median(runs), rows: first.result.rows.length, next: first.result.next };
    };
    const list = [];
    list.push(await timed("first page (25, newest first)", { pageSize: 25 }));
    list.push(await timed("next page", { pageSize: 25, cursor: list[0].next }));
    list.push(await timed("status + colour + locale filter", { pageSize: 25, status: "succeeded", color: "black", locale: "zh-HK" }));
    list.push(await timed("date range (one day)", { pageSize: 25, from: "2026-11-05", to: "2026-11-05" }));
    list.push(await timed("on hold (embedded server: reads 1,000 orders, see docs/console.md)", { pageSize: 25, hold: true }));
    const probe = Math.floor(N * 0.6);
    list.push(await timed("search by email", { q: `buyer${probe}@example.com` }));
    list.push(await timed("search by ROL- number", { q: `ROL-${50000000 + probe}` }));
    // a search that finds nothing measures nothing: the seeded order must come back
    for (const s of list.slice(-2)) if (s.rows !== 1) throw new Error(`${s.label}: expected the seeded order, got ${s.rows} rows`);
    // walking the whole list page by page: how deep paging behaves
    t = performance.now();
    let cursor;
    let pages = 0;
    let rows = 0;
    do {
      const r = await call("orders", { pageSize: 100, ...(cursor && { cursor }) });
      rows += r.result.rows.length;
      cursor = r.result.next;
      pages++;
    } while (cursor && pages < 1000);
    const walkMs = performance.now() - t;
    say(`walked ${pages} pages of 100 (${rows} rows) in ${(walkMs / 1000).toFixed(1)} s`);

    const exportRun = async (kind) => {
      const t0 = performance.now();
      const res = await fetch(`${stack.urls.site}/api/admin/export?kind=${kind}`, { headers: { authorization: `Bearer ${token}` } });
      let firstByte = null;
      let bytes = 0;
      let text = "";
      for await (const chunk of res.body) {
        firstByte ??= performance.now() - t0;
        bytes += chunk.length;
        if (kind === "summary") text += Buffer.from(chunk).toString("utf8");
        else text = Buffer.from(chunk).toString("utf8").slice(-200);
      }
      const ms = performance.now() - t0;
      return { kind, ms, firstByte, bytes, text };
    };
    await exportRun("summary"); // warm the function
    const exp = await exportRun("orders");
    const expRows = (await db.collection("preorders").where("status", "==", "succeeded").get()).docs.filter((d) => !d.get("hold")).length;
    say(
      `export: ${expRows} rows, ${(exp.bytes / 1e6).toFixed(2)} MB, first byte ${exp.firstByte.toFixed(0)} ms, total ${(exp.ms / 1000).toFixed(1)} s`,
    );
    const sum = await exportRun("summary");
    say(`summary: ${(sum.ms / 1000).toFixed(1)} s`);

    const md = [
      "# Console benchmark",
      "",
      `Written by \`npm run bench:console\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, ${require("node:os").cpus().length} cores shared with other work): ${N.toLocaleString("en")} seeded preorders on the embedded Firestore server, calls over HTTP through the Hosting rewrite into the Functions emulator, as the page makes them. Seeding took ${(seedMs / 1000).toFixed(1)} s (sequential commits of 250 preorders and their number reservations).`,
      "",
      "The embedded server has no composite indexes: it takes one equality filter's matches from an index and applies the other filters and the order in JavaScript, so these times grow with the collection here; real Firestore serves a page from an index in time proportional to the page (the composite indexes are in `firestore.indexes.json`).",
      "",
      "| list call | first call | median of 5 | rows |",
      "| --- | --: | --: | --: |",
      ...list.map((l) => `| ${l.label} | ${l.first.toFixed(0)} ms | ${l.median.toFixed(0)} ms | ${l.rows} |`),
      "",
      `Walking the whole list, 100 per page: ${pages} pages, ${rows.toLocaleString("en")} rows, ${(walkMs / 1000).toFixed(1)} s.`,
      "",
      `The CSV code alone (\`admin/csv.ts\`, no Firestore) turns 20,000 orders into ${(pure.bytes / 1e6).toFixed(2)} MB of CSV in ${pure.ms.toFixed(0)} ms in one process.`,
      "",
      "| export | rows | size | first byte | total |",
      "| --- | --: | --: | --: | --: |",
      `| orders to ship (CSV, streamed) | ${expRows.toLocaleString("en")} | ${(exp.bytes / 1e6).toFixed(2)} MB | ${exp.firstByte.toFixed(0)} ms | ${(exp.ms / 1000).toFixed(1)} s |`,
      `| factory summary | ${sum.text.split("\r\n").filter(Boolean).length - 1} lines | ${(sum.bytes / 1e3).toFixed(1)} kB | ${sum.firstByte.toFixed(0)} ms | ${(sum.ms / 1000).toFixed(1)} s |`,
      "",
    ].join("\n");
    fs.writeFileSync(path.join(__dirname, "..", "docs", "console-bench.md"), md);
    say("wrote docs/console-bench.md");
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
