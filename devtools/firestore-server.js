"use strict";
/**
 * The embedded Firestore server (`@firestore-emulator/server`): a Firestore gRPC server in Node that the real
 * Admin SDK talks to, for machines without Java 21. The package has no transaction isolation; this wrapper adds
 * it (devtools/firestore-isolation.js), nested-field reads (devtools/firestore-nested.js) and null filters
 * (devtools/firestore-unary.js), and Firestore's write semantics (devtools/firestore-writes.js: set()
 * replaces, a masked path the data lacks is deleted). It has no BatchWrite, no rules, no transforms of nested fields, applies only
 * the first server transform of a write and fires no triggers; see the README, "What runs where". It runs in
 * its own process (like the real emulator), so that its CPU does not compete with the code under test.
 *
 *   node devtools/firestore-server.js [port]     prints "ready <port>" once it listens
 */
const net = require("node:net");
const path = require("node:path");
const { spawn } = require("node:child_process");

/**
 * n distinct free ports on 127.0.0.1. Each is held open until all are chosen: closing one before asking
 * for the next lets the kernel hand the same port out twice (measured: 7 of 2,000 sets of 8 had a repeat),
 * and two of a stack's servers on one port fail its start.
 */
async function freePorts(n) {
  const held = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      await new Promise((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", resolve);
      });
      held.push(srv);
    }
    return held.map((srv) => srv.address().port);
  } finally {
    await Promise.all(held.map((srv) => new Promise((resolve) => srv.close(() => resolve()))));
  }
}

/**
 * Start the server in a child process; resolves once it listens on 127.0.0.1.
 *   isolation  transaction isolation (default on; `ROLITT_FIRESTORE_ISOLATION=0` turns it off, only to show
 *              what the concurrency suite catches without it)
 *   fast       the speed patches of devtools/firestore-speed.js (default on; off = the package as published,
 *              for the tests and the benchmark that compare the two)
 *   faults     { unavailable: 0.05 } answers that fraction of data RPCs with UNAVAILABLE (chaos runs);
 *              `setFaults()` changes it on a running server
 */
async function startFirestore({ port, isolation, faults, fast } = {}) {
  const usePort = port ?? (await freePorts(1))[0];
  const env = { ...process.env };
  if (fast !== undefined) env.ROLITT_FIRESTORE_FAST = fast ? "1" : "0";
  if (isolation !== undefined) env.ROLITT_FIRESTORE_ISOLATION = isolation ? "1" : "0";
  if (faults) env.ROLITT_FIRESTORE_FAULTS = JSON.stringify(faults);
  const child = spawn(process.execPath, [__filename, String(usePort)], { env, stdio: ["ignore", "pipe", "inherit", "ipc"] });
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
  // One question at a time over IPC, each answered by the next message.
  let queue = Promise.resolve();
  const ask = (msg) => {
    const answer = queue.then(
      () =>
        new Promise((resolve) => {
          child.once("message", resolve);
          child.send(msg);
        }),
    );
    queue = answer.catch(() => {});
    return answer;
  };
  /**
   * Served since the last reset, counted at the server (benchmarks): documents read and written, commits,
   * queries, batch gets, transactions begun, commits aborted for contention, refused transaction ids,
   * injected faults.
   */
  const stats = (reset = false) => ask({ type: reset ? "reset" : "stats" });
  /** Switch fault injection on a running server, e.g. `setFaults({ unavailable: 0.05 })`; 0 turns it off. */
  const setFaults = (f) => ask({ type: "faults", ...f });
  return { host: `127.0.0.1:${usePort}`, port: usePort, child, stats, setFaults, stop: () => child.kill() };
}

if (require.main === module) {
  const pkg = require("@firestore-emulator/server");
  const { FirestoreServer } = pkg;
  const { isolate } = require("./firestore-isolation");
  // O(1) document lookups, incremental listeners and distinct commit times (devtools/firestore-speed.js); ROLITT_FIRESTORE_FAST=0
  // keeps the package as published, for the benchmark that compares the two.
  if (process.env.ROLITT_FIRESTORE_FAST !== "0") require("./firestore-speed").speedUp(pkg);
  // Queries and ordering on nested fields (`stripe.sessionId`), as Firestore has them (devtools/firestore-nested.js).
  require("./firestore-nested").nestedFields(pkg);
  // `== null` / `!= null` filters, which the package ignores (devtools/firestore-unary.js).
  require("./firestore-unary").unaryFilters(pkg);
  // Firestore's write semantics: set() replaces, a masked path the data lacks is deleted (devtools/firestore-writes.js).
  require("./firestore-writes").firestoreWrites(pkg);
  const port = Number(process.argv[2] ?? 8080);
  const options = {
    isolation: process.env.ROLITT_FIRESTORE_ISOLATION !== "0",
    faults: JSON.parse(process.env.ROLITT_FIRESTORE_FAULTS || "{}"),
  };
  // The package bundles its service class, so its implementation is wrapped where gRPC receives it: to count
  // what it serves (documents read by batch gets and queries, documents written) and to add isolation.
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@firestore-emulator/server"))] }));
  const counts = { reads: 0, writes: 0, commits: 0, queries: 0, batchGets: 0, transactions: 0, aborts: 0, refused: 0, faults: 0 };
  let server;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (definition, impl) {
    const wrapped = Object.create(impl);
    // The package's state is created before its service; read it lazily (the constructor is still running).
    const state = { v1Query: (...a) => server.state.v1Query(...a), getDocument: (n) => server.state.getDocument(n) };
    const isolated = isolate(impl, state, counts, options);
    wrapped.BatchGetDocuments = (call) => {
      counts.batchGets++;
      counts.reads += call.request.documents.length;
      return isolated.BatchGetDocuments(call);
    };
    wrapped.Commit = (call, callback) => {
      counts.commits++;
      counts.writes += call.request.writes.length;
      return isolated.Commit(call, callback);
    };
    wrapped.RunQuery = (call) => {
      counts.queries++;
      const write = call.write.bind(call);
      call.write = (msg, ...rest) => {
        if (msg?.has_document) counts.reads++;
        return write(msg, ...rest);
      };
      return isolated.RunQuery(call);
    };
    for (const key of ["BeginTransaction", "Rollback", "RunAggregationQuery"]) wrapped[key] = isolated[key];
    // The package stops a listener on "end" only; a client that unsubscribes cancels the call instead, and its
    // listener would otherwise keep serialising every later write into a dead stream.
    wrapped.Listen = (call) => {
      call.once("cancelled", () => call.emit("end"));
      call.once("error", () => call.emit("end"));
      // A client that unsubscribes half-closes; answer with the end of the stream, as Firestore does, so the
      // client is not left waiting for a status until the server stops.
      call.once("end", () => {
        if (!call.cancelled && call.writable) call.end();
      });
      return impl.Listen(call);
    };
    for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(impl))) {
      if (
        key !== "constructor" &&
        !(key in wrapped && Object.prototype.hasOwnProperty.call(wrapped, key)) &&
        typeof impl[key] === "function"
      )
        wrapped[key] = impl[key].bind(impl);
    }
    return addService.call(this, definition, wrapped);
  };
  // The package listens on every interface; a development database belongs on loopback only.
  const bindAsync = grpc.Server.prototype.bindAsync;
  grpc.Server.prototype.bindAsync = function (address, ...rest) {
    return bindAsync.call(this, address.replace(/^0\.0\.0\.0:/, "127.0.0.1:"), ...rest);
  };
  process.on("message", (m) => {
    if (m?.type === "faults") {
      options.faults = { unavailable: Number(m.unavailable) || 0 };
      process.send?.({ ...options.faults });
      return;
    }
    const snapshot = { ...counts };
    if (m?.type === "reset") for (const k of Object.keys(counts)) counts[k] = 0;
    process.send?.(snapshot);
  });
  server = new FirestoreServer();
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

module.exports = { startFirestore, freePorts };
