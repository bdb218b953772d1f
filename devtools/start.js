"use strict";
/**
 * `npm start`: build, then run the whole preorder flow locally on built-in defaults (no keys needed).
 * With real keys in functions/.secret.local it uses Stripe test mode and Klaviyo instead of the local
 * stand-ins. Ctrl-C stops everything.
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { checkPorts, startStack } = require("./stack");

const ROOT = path.join(__dirname, "..");
const started = Date.now();
const step = (msg) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
const verbose = process.argv.includes("--verbose");
const logFile = path.join(ROOT, ".runtime", "stack.log");
// Warnings of the CLI that are expected here and say nothing about our code: kept in the log, not shown.
// (No route to Firebase's MOTD server offline; the Emulator UI is off on purpose when its bundle is absent,
// which the summary below says in one line.)
const HARMLESS = [/Unable to fetch the CLI MOTD/, /The Emulator UI is not starting/];

async function main() {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // a second `npm start` stops here, before a rebuild would reload the running stack's functions
  await checkPorts();
  const logStream = fs.createWriteStream(logFile);
  if (!process.argv.includes("--no-build")) {
    step("building functions and the landing page…");
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  }
  step("starting Firestore, the local Stripe server, the Klaviyo sink and the Firebase emulators…");
  let lastProgress = 0;
  let ready = false;
  const stack = await startStack({
    log: (line) => {
      logStream.write(`${line}\n`);
      const interesting =
        (/^(relay|stripe|klaviyo|secrets):/.test(line) || /✔|⚠|Error/.test(line)) && !HARMLESS.some((re) => re.test(line));
      if (verbose || (interesting && !line.includes("All emulators ready"))) step(line);
      else if (!ready && Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        step("…still starting (details in .runtime/stack.log)");
      }
    },
  });
  ready = true;
  const u = stack.urls;
  // A ready local admin for the console, and where `npm run admin` finds this Auth emulator
  const ADMIN = { email: "admin@rolitt.local", password: "rolitt-local-admin" };
  await stack.createUser(ADMIN.email, ADMIN.password, { admin: true });
  fs.writeFileSync(
    path.join(ROOT, ".runtime", "stack.json"),
    JSON.stringify({ projectId: stack.projectId, authHost: u.auth.replace("http://", ""), urls: u }, null, 2),
  );
  const lines = [
    "",
    "Rolitt preorder backend is running locally.",
    `  Landing page           ${u.site}`,
    `  Operations console     ${u.admin}   (local admin: ${ADMIN.email} / ${ADMIN.password}; more: npm run admin -- grant EMAIL)`,
    `  Auth emulator          ${u.auth}`,
    `  Callable               ${u.callable}`,
    `  Stripe webhook         ${u.webhook}   (also ${u.hostedWebhook})`,
    stack.realStripe
      ? "  Stripe                 TEST MODE with your key; forward webhooks with: stripe listen --forward-to " + u.webhook
      : `  Local Stripe server    ${u.stripe}   (checkout page: Pay / Decline / Let it expire)`,
    stack.realKlaviyo
      ? "  Klaviyo                your account (KLAVIYO_PRIVATE_KEY from functions/.secret.local)"
      : `  Local Klaviyo sink     ${u.klaviyo}   (events that arrived)`,
    u.ui
      ? `  Emulator UI            ${u.ui}`
      : "  Emulator UI            not started (its bundle is downloaded on first use and this machine cannot)",
    "",
    "Where to see the local data:",
    `  Operations console     ${u.site}/admin   (preorders, deliveries, funnel)`,
    stack.klaviyo ? `  Klaviyo events (JSON)  ${u.klaviyo}/_sink/events` : null,
    stack.stripe ? `  Stripe sessions (JSON) ${u.stripe}/_control/sessions` : null,
    `  Shopper pages          ${u.site}/success · ${u.site}/cancel · ${u.site}/order (look up an order)`,
    "",
    stack.realFirestore
      ? "Firestore: the real emulator (Java 21+), which fires onPreorderWritten itself."
      : [
          "Firestore: the embedded server on " + stack.firestoreHost + " (no Java 21 here). What differs from the real emulator:",
          "  - onPreorderWritten is fired by the LOCAL TRIGGER RELAY (devtools/trigger-relay.js), not by the emulator;",
          "  - transactions isolated by devtools/firestore-isolation.js (no lock waits: a conflict aborts and retries); no security rules, no nested-field queries; `npm run test:emulators` covers those where Java 21 exists.",
        ].join("\n"),
    "",
    `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Press Ctrl-C to stop.`,
  ];
  process.stdout.write(`${lines.filter((l) => l !== null).join("\n")}\n`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    step("stopping…");
    fs.rmSync(path.join(ROOT, ".runtime", "stack.json"), { force: true });
    await stack.stop();
    logStream.end();
    step("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err) => {
  process.stderr.write(`\nnpm start failed: ${err.message}\n`);
  if (err.code !== "PORT_TAKEN" && err.code !== "ENV_LOCAL")
    process.stderr.write(`(details in ${path.relative(process.cwd(), logFile)})\n`);
  process.exit(1);
});
