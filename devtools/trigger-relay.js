"use strict";
/**
 * LOCAL TRIGGER RELAY — local tooling, never deployed. The embedded Firestore server fires no triggers, so
 * this listens to `preorders` and hands each change, with its before/after snapshots, to the built
 * `onPreorderWritten` and `onPreorderCounted` handlers, one at a time in commit order, retrying a failed delivery with backoff as
 * Cloud Functions does for `retry: true`. Differences from the real emulator: the handler runs in this
 * process (not in the Functions emulator), changes that land between two snapshots are coalesced, and
 * documents present at start are taken as the baseline (no event for them).
 */
const path = require("node:path");

const LIB = path.join(__dirname, "..", "functions", "lib");

function snapshotOf(data) {
  return { exists: data !== null, data: () => (data === null ? undefined : data) };
}

function startRelay({ projectId, env = {}, log = () => {}, maxAttempts = 5, baseDelayMs = 1000 }) {
  Object.assign(process.env, env, { GCLOUD_PROJECT: projectId });
  // every trigger on `preorders`: the Klaviyo events and the console's funnel counters
  const handlers = {
    onPreorderWritten: require(path.join(LIB, "klaviyo", "handler.js")).onPreorderWritten,
    onPreorderCounted: require(path.join(LIB, "admin", "funnel-trigger.js")).onPreorderCounted,
  };
  const { db } = require(path.join(LIB, "shared", "firestore.js"));
  const known = new Map();
  let initial = true;
  let queue = Promise.resolve();
  let delivered = 0;
  let failed = 0;
  let idle = Promise.resolve();

  async function deliver(event, name) {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        await handlers[name](event);
        delivered++;
        return;
      } catch (err) {
        log(`${name} failed for ${event.params.preorderId} (attempt ${attempt}/${maxAttempts}): ${err.message}`);
        if (attempt < maxAttempts) await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
    failed++;
  }

  const unsubscribe = db()
    .collection("preorders")
    .onSnapshot(
      (snap) => {
        for (const change of snap.docChanges()) {
          const id = change.doc.id;
          const before = known.has(id) ? known.get(id) : null;
          const after = change.type === "removed" ? null : change.doc.data();
          known.set(id, after);
          if (initial) continue;
          const event = {
            id: `relay-${id}-${Date.now()}`,
            time: new Date().toISOString(),
            params: { preorderId: id },
            data: { before: snapshotOf(before), after: snapshotOf(after) },
          };
          if (before?.status !== after?.status) log(`preorders/${id}: ${before?.status ?? "(new)"} → ${after?.status ?? "(deleted)"}`);
          for (const name of Object.keys(handlers)) queue = queue.then(() => deliver(event, name));
          idle = queue;
        }
        initial = false;
      },
      (err) => log(`listener failed: ${err.message}`),
    );

  return {
    stop: async () => {
      unsubscribe();
      await db().terminate();
    },
    /** Resolves once every change seen so far has been handed to the handler. */
    settled: () => idle,
    stats: () => ({ delivered, failed }),
  };
}

/** Run the relay in its own process (its environment and Firestore client stay out of the caller's). */
function spawnRelay({ projectId, env = {}, log = () => {} }) {
  const { fork } = require("node:child_process");
  const child = fork(__filename, ["--child"], {
    env: { ...process.env, ...env, GCLOUD_PROJECT: projectId },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const forward = (d) =>
    String(d)
      .split("\n")
      .filter((l) => l.trim())
      .forEach((l) => log(l));
  child.stdout.on("data", forward);
  child.stderr.on("data", forward);
  let seq = 0;
  const pending = new Map();
  child.on("message", (m) => {
    pending.get(m.seq)?.(m);
    pending.delete(m.seq);
  });
  const ask = (type) =>
    new Promise((resolve) => {
      const id = ++seq;
      pending.set(id, resolve);
      child.send({ type, seq: id });
    });
  const ready = new Promise((resolve, reject) => {
    child.once("message", (m) => (m.type === "ready" ? resolve() : reject(new Error("relay failed to start"))));
    child.once("exit", (code) => reject(new Error(`relay exited with ${code}`)));
  });
  return {
    ready,
    settled: () => ask("settle"),
    stats: () => ask("stats"),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

if (require.main === module && process.argv.includes("--child")) {
  const relay = startRelay({ projectId: process.env.GCLOUD_PROJECT, log: (m) => process.stdout.write(`${m}\n`) });
  process.on("message", async (m) => {
    if (m.type === "settle") {
      await relay.settled();
      process.send({ seq: m.seq, type: "settled" });
    }
    if (m.type === "stats") process.send({ seq: m.seq, type: "stats", ...relay.stats() });
  });
  process.on("SIGTERM", async () => {
    await relay.stop();
    process.exit(0);
  });
  process.send({ type: "ready" });
}

module.exports = { startRelay, spawnRelay };
