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
const path = require("node:path");
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
  // The package bundles its service class, so the implementation is wrapped where gRPC receives it.
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@firestore-emulator/server"))] }));
  const counts = { reads: 0, writes: 0, commits: 0, queries: 0, batchGets: 0 };
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (definition, impl) {
    const wrapped = Object.create(impl);
    wrapped.BatchGetDocuments = (call) => {
      counts.batchGets++;
      counts.reads += call.request.documents.length;
      return impl.BatchGetDocuments(call);
    };
    wrapped.Commit = (call, callback) => {
      counts.commits++;
      counts.writes += call.request.writes.length;
      return impl.Commit(call, callback);
    };
    wrapped.RunQuery = (call) => {
      counts.queries++;
      const write = call.write.bind(call);
      call.write = (msg) => {
        if (msg?.has_document || msg?.document) counts.reads++;
        return write(msg);
      };
      return impl.RunQuery(call);
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
