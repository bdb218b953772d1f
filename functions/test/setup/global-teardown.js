module.exports = async () => {
  const fs = globalThis.__ROLITT_FIRESTORE__;
  // ROLITT_FIRESTORE_STATS=1: what the embedded server served in this run (transactions, aborts, ...).
  if (fs && process.env.ROLITT_FIRESTORE_STATS === "1") process.stderr.write(`embedded Firestore: ${JSON.stringify(await fs.stats())}\n`);
  if (!fs) return;
  fs.stop();
  // Forget the server we started: a process that runs jest again (Stryker's test runner runs it once per
  // mutant) must start a new one, not take the stopped server's address for a real emulator's and hang
  // on its closed port.
  delete globalThis.__ROLITT_FIRESTORE__;
  if (process.env.FIRESTORE_EMULATOR_HOST === fs.host) delete process.env.FIRESTORE_EMULATOR_HOST;
};
