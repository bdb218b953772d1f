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
  const child = spawn(process.execPath, [__filename, String(usePort)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`embedded Firestore exited with ${code} (port ${usePort} taken?)`)));
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve();
    });
  });
  child.removeAllListeners("exit");
  return { host: `127.0.0.1:${usePort}`, port: usePort, child, stop: () => child.kill() };
}

if (require.main === module) {
  const { FirestoreServer } = require("@firestore-emulator/server");
  const port = Number(process.argv[2] ?? 8080);
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
