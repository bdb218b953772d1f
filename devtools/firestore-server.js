"use strict";
/**
 * The embedded Firestore server (`@firestore-emulator/server`): a Firestore gRPC server in Node that the real
 * Admin SDK talks to, for machines without Java 21. It has no transaction isolation, no BatchWrite, no rules,
 * no nested-field queries, applies only the first server transform of a write and fires no triggers; see the
 * README, "What runs where". It runs in its own process (like the real emulator), so that its CPU does not
 * compete with the code under test.
 *
 *   node devtools/firestore-server.js [port]     prints "ready <port>" once it listens
 */
const net = require("node:net");
const { spawn } = require("node:child_process");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Start the server in a child process; resolves once it listens. */
async function startFirestore({ port } = {}) {
  const usePort = port ?? (await freePort());
  const child = spawn(process.execPath, [__filename, String(usePort)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  await new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`embedded Firestore exited with ${code} (port ${usePort} taken?)`)));
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve();
    });
  });
  child.removeAllListeners("exit");
  child.unref();
  child.channel?.unref();
  /** Reads and writes served since the last reset, counted at the server (benchmarks). */
  const stats = (reset = false) =>
    new Promise((resolve) => {
      child.once("message", resolve);
      child.send({ type: reset ? "reset" : "stats" });
    });
  return { host: `127.0.0.1:${usePort}`, port: usePort, child, stats, stop: () => child.kill() };
}

if (require.main === module) {
  const { FirestoreServer } = require("@firestore-emulator/server");
  const port = Number(process.argv[2] ?? 8080);
  // Count what the server serves: documents read (batch gets, query results) and documents written.
  const { FirestoreServiceV1Impl } = require("@firestore-emulator/server/dist/server/FirestoreServiceV1Impl");
  const counts = { reads: 0, writes: 0, commits: 0, queries: 0, batchGets: 0 };
  const proto = FirestoreServiceV1Impl.prototype;
  const { BatchGetDocuments, Commit, RunQuery } = proto;
  proto.BatchGetDocuments = function (call) {
    counts.batchGets++;
    counts.reads += call.request.documents.length;
    return BatchGetDocuments.call(this, call);
  };
  proto.Commit = function (call, callback) {
    counts.commits++;
    counts.writes += call.request.writes.length;
    return Commit.call(this, call, callback);
  };
  proto.RunQuery = function (call) {
    counts.queries++;
    const write = call.write.bind(call);
    call.write = (msg) => {
      if (msg?.document || msg?.has_document) counts.reads++;
      return write(msg);
    };
    return RunQuery.call(this, call);
  };
  process.on("message", (m) => {
    const snapshot = { ...counts };
    if (m?.type === "reset") for (const k of Object.keys(counts)) counts[k] = 0;
    process.send?.(snapshot);
  });
  const server = new FirestoreServer();
  server.start(port).then(
    () => process.stdout.write(`ready ${port}\n`),
    (err) => {
      process.stderr.write(`embedded Firestore could not listen on ${port}: ${err.message}\n`);
      process.exit(1);
    },
  );
  const stop = () => {
    server.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
}

module.exports = { startFirestore, freePort };
