"use strict";
/**
 * `npm run test:emulators`: security rules, concurrent webhook deliveries (also run by `npm test` against the
 * embedded server's isolation model; here against the real emulator's locking) and the trigger fired by the
 * emulator itself, against the real Firestore emulator through `firebase emulators:exec`. The Firestore
 * emulator of firebase-tools 15 needs Java 21+: without it this says so and exits 0.
 */
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { hasRealFirestoreEmulator, LOCAL_SECRETS } = require("./stack");
const { KlaviyoSink } = require("./klaviyo-sink/server");

const ROOT = path.join(__dirname, "..");
const PROJECT = "demo-rolitt-emu";

async function main() {
  if (!hasRealFirestoreEmulator()) {
    const java = spawnSync("java", ["-version"], { encoding: "utf8" });
    const found = /version "([^"]+)"/.exec(`${java.stderr}${java.stdout}`)?.[1] ?? "none";
    process.stdout.write(
      `test:emulators: SKIPPED — the Firestore emulator of firebase-tools 15 needs Java 21 or newer (found: ${found}).\n` +
        "  Not run here: security rules (firestore.rules), concurrent webhook deliveries against the real emulator's locking\n" +
        "  (npm test runs them against the embedded server's isolation), onPreorderWritten fired by the emulator.\n" +
        "  Install a JDK 21 and run `npm run test:emulators` again.\n",
    );
    return 0;
  }
  spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  const sink = new KlaviyoSink({ apiKey: LOCAL_SECRETS.KLAVIYO_PRIVATE_KEY });
  const sinkUrl = await sink.listen();
  const envFile = path.join(ROOT, "functions", `.env.${PROJECT}`);
  fs.writeFileSync(envFile, `KLAVIYO_API_URL=${sinkUrl}\nSTRIPE_API_URL=http://127.0.0.1:1\nSITE_URL=http://127.0.0.1:5000\n`);
  try {
    const bin = path.join(ROOT, "node_modules", "firebase-tools", "lib", "bin", "firebase.js");
    const jest = `node ${path.join(ROOT, "node_modules", "jest", "bin", "jest.js")} -c jest.emulators.config.js --runInBand`;
    const r = spawnSync(process.execPath, [bin, "emulators:exec", "--only", "firestore,functions", "--project", PROJECT, jest], {
      cwd: ROOT,
      stdio: "inherit",
      env: {
        ...process.env,
        ...LOCAL_SECRETS,
        GCLOUD_PROJECT: PROJECT,
        ROLITT_REAL_FIRESTORE_EMULATOR: "1",
        ROLITT_SINK_URL: sinkUrl,
        METADATA_SERVER_DETECTION: "none",
      },
    });
    return r.status ?? 1;
  } finally {
    fs.rmSync(envFile, { force: true });
    await sink.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
