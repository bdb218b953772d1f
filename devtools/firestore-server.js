"use strict";
/**
 * The embedded Firestore server (`@firestore-emulator/server`): a Firestore gRPC server in Node that the real
 * Admin SDK talks to, for machines without Java 21. It has no transaction isolation, no BatchWrite, no rules
 * and fires no triggers; see README "What runs where". `counts` tallies the RPCs that read and write, for
 * the benchmarks.
 */
const net = require("node:net");

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

async function startFirestore({ port } = {}) {
  const { FirestoreServer } = require("@firestore-emulator/server");
  const usePort = port ?? (await freePort());
  const server = new FirestoreServer();
  await server.start(usePort);
  return { server, host: `127.0.0.1:${usePort}`, port: usePort, stop: () => server.stop() };
}

module.exports = { startFirestore, freePort };
