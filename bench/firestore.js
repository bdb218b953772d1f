"use strict";
/**
 * `npm run bench:firestore`: the embedded Firestore server with its speed patches (devtools/firestore-speed.js)
 * against the package as published, in the same run, through the real Admin SDK. Three workloads:
 *   seed     N documents in commits of 500 (the time of the last commit shows how cost grows with size)
 *   query    a filtered, ordered, limited page over those N documents (median of 20)
 *   listen   W writes over D documents while one listener watches the collection, as the trigger relay does
 *            (the server's peak memory; the package as published resends the collection on every write)
 * Writes docs/firestore-bench.md. Sizes: BENCH_FS_DOCS (6,000), BENCH_FS_WRITES (1,500), BENCH_FS_LISTEN_DOCS (300).
 */
const fs = require("node:fs");
const path = require("node:path");
const { startFirestore } = require("../devtools/firestore-server");

const N = Number(process.env.BENCH_FS_DOCS ?? 6000);
const W = Number(process.env.BENCH_FS_WRITES ?? 1500);
const D = Number(process.env.BENCH_FS_LISTEN_DOCS ?? 300);
const say = (m) => process.stdout.write(`[firestore bench] ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMb = (pid) => {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  } catch {
    return NaN; // not Linux, or the process is gone
  }
};

async function measure(fast) {
  const server = await startFirestore({ fast });
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  const { Firestore, Timestamp } = require("@google-cloud/firestore");
  const db = new Firestore({ projectId: "demo-bench-firestore" });
  process.env.FIRESTORE_EMULATOR_HOST = saved;
  let peak = rssMb(server.child.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.child.pid))), 100);
  const out = { fast };
  try {
    let t = performance.now();
    let last = 0;
    for (let i = 0; i < N; i += 500) {
      const batch = db.batch();
      for (let j = i; j < Math.min(N, i + 500); j++)
        batch.set(db.collection("orders").doc(`o${j}`), {
          status: ["created", "succeeded", "expired", "refunded"][j % 4],
          color: ["khaki", "black", "white"][j % 3],
          email: `buyer${j}@example.com`,
          createdAt: Timestamp.fromMillis(1_790_000_000_000 + j * 1000),
        });
      const c = performance.now();
      await batch.commit();
      last = performance.now() - c;
    }
    out.seedMs = performance.now() - t;
    out.lastCommitMs = last;
    /** median of 20 calls, after 10 to warm up (the client's code is shared by both measurements) */
    const medianOf = async (call) => {
      for (let k = 0; k < 10; k++) await call();
      const runs = [];
      for (let k = 0; k < 20; k++) {
        const c = performance.now();
        await call();
        runs.push(performance.now() - c);
      }
      return median(runs);
    };
    out.queryMs = await medianOf(() =>
      db.collection("orders").where("status", "==", "succeeded").orderBy("createdAt", "desc").limit(25).get(),
    );
    // the Klaviyo trigger's question: this shopper's preorders (one match among N)
    out.emailQueryMs = await medianOf(() =>
      db
        .collection("orders")
        .where("email", "==", `buyer${Math.floor(N / 2)}@example.com`)
        .get(),
    );

    let changes = 0;
    const seen = new Map();
    const unsubscribe = db.collection("watched").onSnapshot((s) => {
      for (const c of s.docChanges()) {
        changes++;
        seen.set(c.doc.id, c.doc.get("v"));
      }
    });
    t = performance.now();
    for (let k = 0; k < W; k += 10)
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          db
            .collection("watched")
            .doc(`w${(k + i) % D}`)
            .set({ v: k + i, pad: "x".repeat(400) }),
        ),
      );
    out.listenWritesMs = performance.now() - t;
    // the listener has caught up when it has seen the last write of every document
    const lastOf = (d) => d + D * Math.floor((W - 1 - d) / D);
    const caughtUp = () => Array.from({ length: Math.min(D, W) }, (_, d) => seen.get(`w${d}`) === lastOf(d)).every(Boolean);
    for (let i = 0; i < 1200 && !caughtUp(); i++) await new Promise((r) => setTimeout(r, 100));
    out.caughtUp = caughtUp();
    out.listenCatchUpMs = performance.now() - t;
    out.changes = changes;
    unsubscribe();
    await new Promise((r) => setTimeout(r, 500));
    out.peakMb = Math.max(peak, rssMb(server.child.pid));
  } finally {
    clearInterval(sampler);
    await db.terminate().catch(() => {});
    server.stop();
  }
  return out;
}

(async () => {
  say(`seed ${N}, query, then ${W} writes over ${D} watched documents; patched first, then the package as published`);
  // BENCH_FS_ORDER=plain-first measures the package as published first (to see the order does not decide)
  const plainFirst = process.env.BENCH_FS_ORDER === "plain-first";
  const first = await measure(!plainFirst);
  say(JSON.stringify(first));
  const second = await measure(plainFirst);
  say(JSON.stringify(second));
  const [fast, plain] = plainFirst ? [second, first] : [first, second];
  const r = (a, b) => (b / a).toFixed(1);
  const row = (label, key, unit, digits = 0) =>
    `| ${label} | ${plain[key].toFixed(digits)} ${unit} | ${fast[key].toFixed(digits)} ${unit} | ${r(fast[key], plain[key])}× |`;
  const md = [
    "# Embedded Firestore benchmark",
    "",
    `Written by \`npm run bench:firestore\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, ${require("node:os").cpus().length} cores): the embedded Firestore server as published and with the speed patches of \`devtools/firestore-speed.js\`, one after the other in the same run, through the real Admin SDK.`,
    "",
    "| workload | as published | patched | ratio |",
    "| --- | --: | --: | --: |",
    row(`seed ${N.toLocaleString("en")} documents, commits of 500`, "seedMs", "ms"),
    row("the last commit of 500", "lastCommitMs", "ms"),
    row(`a filtered, ordered page of 25 over ${N.toLocaleString("en")} (median of 20)`, "queryMs", "ms", 1),
    row(`one shopper's preorders by email among ${N.toLocaleString("en")} (median of 20)`, "emailQueryMs", "ms", 1),
    row(`${W.toLocaleString("en")} writes over ${D} documents with a listener`, "listenWritesMs", "ms"),
    row("… until the listener has seen them all", "listenCatchUpMs", "ms"),
    row("server's peak memory (RSS)", "peakMb", "MB"),
    "",
    `Listener caught up with every document: ${plain.caughtUp ? "yes" : "no (gave up after 120 s)"} as published, ${fast.caughtUp ? "yes" : "no"} patched. Changes it saw: ${plain.changes.toLocaleString("en")} as published, ${fast.changes.toLocaleString("en")} patched (both coalesce writes that land between two snapshots).`,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(__dirname, "..", "docs", "firestore-bench.md"), md);
  say("wrote docs/firestore-bench.md");
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
