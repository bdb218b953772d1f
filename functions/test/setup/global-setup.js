// Starts the embedded Firestore server for the whole run, unless FIRESTORE_EMULATOR_HOST already points at a
// Firestore (the real emulator under `npm run test:emulators`).
const { startFirestore } = require("../../../devtools/firestore-server");

module.exports = async () => {
  process.env.GCLOUD_PROJECT = process.env.GCLOUD_PROJECT || "demo-rolitt";
  if (process.env.FIRESTORE_EMULATOR_HOST) {
    process.env.ROLITT_REAL_FIRESTORE_EMULATOR = process.env.ROLITT_REAL_FIRESTORE_EMULATOR || "1";
    return;
  }
  const fs = await startFirestore();
  process.env.FIRESTORE_EMULATOR_HOST = fs.host;
  globalThis.__ROLITT_FIRESTORE__ = fs;
};
