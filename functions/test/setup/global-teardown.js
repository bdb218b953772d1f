module.exports = async () => {
  const fs = globalThis.__ROLITT_FIRESTORE__;
  // ROLITT_FIRESTORE_STATS=1: what the embedded server served in this run (transactions, aborts, ...).
  if (fs && process.env.ROLITT_FIRESTORE_STATS === "1") process.stderr.write(`embedded Firestore: ${JSON.stringify(await fs.stats())}\n`);
  fs?.stop();
};
