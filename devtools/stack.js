"use strict";
/**
 * The whole local stack, for `npm start`, the emulator tests, the browser test and the benchmarks:
 * Firestore (the real emulator when Java 21+ is present, else the embedded server), the local Stripe
 * server, the local Klaviyo sink, and the Firebase Functions + Hosting emulators on the built code, plus
 * the local trigger relay when the real Firestore emulator (which fires triggers) is not there.
 *
 * Configuration reaches the emulated functions through `functions/.env.<projectId>` (written here, git-
 * ignored; a complete file means the CLI prompts for nothing) and secrets through `functions/.secret.local`,
 * the one place the Functions emulator reads them from (a secret missing there sends it to Google Secret
 * Manager, which fails without a login). The file is written with local-only values when absent; real keys
 * you put in it win.
 */
const fs = require("node:fs");
const path = require("node:path");
const net = require("node:net");
const { spawn, execFileSync } = require("node:child_process");
const { startFirestore, freePorts } = require("./firestore-server");
const { StripeServer } = require("./stripe-server/server");
const { KlaviyoSink } = require("./klaviyo-sink/server");

const ROOT = path.join(__dirname, "..");
const LOCAL_SECRETS = {
  STRIPE_SECRET_KEY: "sk_test_local_only_not_a_real_key",
  STRIPE_WEBHOOK_SECRET: "whsec_local_only_not_a_real_secret",
  KLAVIYO_PRIVATE_KEY: "pk_local_only_not_a_real_key",
  ORDER_LINK_SECRET: "order_link_local_only_not_a_real_secret",
};
const SECRET_FILE = path.join(ROOT, "functions", ".secret.local");
const GENERATED_MARK = "# written by devtools/stack.js";

function javaMajor() {
  try {
    const out = execFileSync("java", ["-version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return Number(/version "(\d+)/.exec(out)?.[1] ?? 0);
  } catch (err) {
    return Number(/version "(\d+)/.exec(String(err.stderr ?? ""))?.[1] ?? 0);
  }
}

/** Real Firestore emulator only with Java 21+ (firebase-tools 15) and its JAR (downloaded on first use). */
const hasRealFirestoreEmulator = () => javaMajor() >= 21;

function portFree(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Reads `functions/.secret.local` (KEY=VALUE lines); empty when absent. */
function readSecretFile() {
  const file = SECRET_FILE;
  if (!fs.existsSync(file)) return {};
  return Object.fromEntries(
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#") && l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
  );
}

/**
 * Makes sure the emulator finds every secret in `functions/.secret.local`. Absent (or one this file wrote):
 * (re)write it with the local-only values, keeping any real key in it. Written by you and missing some:
 * leave it alone and return the missing names, for one line that says why the emulator complains.
 */
function ensureSecretFile(fileSecrets) {
  const missing = Object.keys(LOCAL_SECRETS).filter((k) => !fileSecrets[k]);
  if (missing.length === 0) return [];
  const ours = !fs.existsSync(SECRET_FILE) || fs.readFileSync(SECRET_FILE, "utf8").startsWith(GENERATED_MARK);
  if (!ours) return missing;
  const all = { ...LOCAL_SECRETS, ...fileSecrets };
  // written whole then renamed, so a stack starting at the same moment never reads half a file
  const tmp = `${SECRET_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(
    tmp,
    `${GENERATED_MARK} with local-only values (git-ignored). Put real test keys here to use Stripe/Klaviyo themselves.\n${Object.entries(
      all,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );
  fs.renameSync(tmp, SECRET_FILE);
  return [];
}

/** Real Stripe test keys present → use Stripe itself, not the local server. */
const isRealStripeKey = (k) => typeof k === "string" && /^(sk|rk)_test_/.test(k) && !k.startsWith("sk_test_local");

function waitFor(child, pattern, timeoutMs, label, getLog) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} not ready after ${timeoutMs / 1000} s\n${getLog().slice(-3000)}`)),
      timeoutMs,
    );
    const onData = () => {
      if (pattern.test(getLog())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}\n${getLog().slice(-3000)}`));
    });
  });
}

/** The ports the stack wants (firebase.json's, the local servers', opts.ports). */
function wantedPorts(opts = {}) {
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, "firebase.json"), "utf8"));
  return {
    functions: base.emulators.functions.port,
    hosting: base.emulators.hosting.port,
    hub: base.emulators.hub.port,
    logging: base.emulators.logging.port,
    firestore: base.emulators.firestore.port,
    auth: base.emulators.auth.port,
    stripe: 12111,
    klaviyo: 12112,
    ...(opts.ports ?? {}),
  };
}

/** Throws PORT_TAKEN naming the first taken port; `npm start` calls it before building. */
async function checkPorts(opts = {}) {
  for (const [name, port] of Object.entries(wantedPorts(opts))) {
    if (!(await portFree(port)))
      throw Object.assign(new Error(`port ${port} (${name}) is taken: stop what uses it (e.g. another "npm start") or free it`), {
        code: "PORT_TAKEN",
      });
  }
}

/**
 * "All emulators ready" is printed even when our code failed to load (every function then answers 404):
 * ask the Functions emulator which functions it serves, and fail with its log when ours are not there.
 */
async function checkFunctionsLoaded(port, log) {
  const expected = ["createCheckoutSession", "stripeWebhook"];
  let served = [];
  try {
    const { backends } = await (await fetch(`http://127.0.0.1:${port}/backends`)).json();
    served = backends.flatMap((b) => b.functionTriggers.map((t) => t.entryPoint));
  } catch {
    /* no answer, or not the emulator's: none of ours is served */
  }
  const missing = expected.filter((name) => !served.includes(name));
  if (!missing.length) return;
  const reasons = log.split("\n").filter((line) => /Failed to load function/.test(line));
  throw Object.assign(
    new Error(`the Functions emulator on port ${port} does not serve ${missing.join(", ")}\n${[...reasons, log.slice(-3000)].join("\n")}`),
    { code: "FUNCTIONS_NOT_LOADED" },
  );
}

/** The stack's ports: the wanted ones (checked free), or with opts.dynamicPorts distinct free ones. */
async function pickPorts(opts = {}) {
  const wanted = Object.entries(wantedPorts(opts));
  if (!opts.dynamicPorts) {
    await checkPorts(opts);
    return Object.fromEntries(wanted);
  }
  const free = await freePorts(wanted.length);
  return Object.fromEntries(wanted.map(([name], i) => [name, free[i]]));
}

/**
 * @param {{projectId?: string, ports?: Partial<Record<"functions"|"hosting"|"hub"|"logging"|"firestore"|"stripe"|"klaviyo", number>>,
 *   hosting?: boolean, log?: (line: string) => void, env?: Record<string,string>, dynamicPorts?: boolean,
 *   params?: Record<string,string>, prices?: Array<{id?: string, unit_amount: number, currency: string}>}} opts
 */
async function startStack(opts = {}) {
  const projectId = opts.projectId ?? "demo-rolitt";
  const log = opts.log ?? (() => {});
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, "firebase.json"), "utf8"));
  const ports = await pickPorts(opts);

  const stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
  };
  try {
    // Firestore
    // opts.firestoreHost: a Firestore that is already running (the test run's own)
    const realFirestore = !opts.firestoreHost && hasRealFirestoreEmulator();
    const firestoreHost = opts.firestoreHost ?? `127.0.0.1:${ports.firestore}`;
    let fsServer = null;
    if (!realFirestore && !opts.firestoreHost) {
      log(`firestore: embedded server (no Java 21) on ${firestoreHost}`);
      fsServer = await startFirestore({ port: ports.firestore });
      stops.push(() => fsServer.stop());
    }

    // Secrets: real ones from functions/.secret.local, else local-only ones
    const fileSecrets = readSecretFile();
    const realStripe = isRealStripeKey(fileSecrets.STRIPE_SECRET_KEY);
    const realKlaviyo = Boolean(fileSecrets.KLAVIYO_PRIVATE_KEY) && !fileSecrets.KLAVIYO_PRIVATE_KEY.startsWith("pk_local");
    const secrets = { ...LOCAL_SECRETS, ...fileSecrets };
    const missingSecrets = ensureSecretFile(fileSecrets);
    if (missingSecrets.length)
      log(
        `secrets: functions/.secret.local lacks ${missingSecrets.join(", ")}; the emulator will print a Secret Manager error for them, which is harmless: the local-only values reach the functions through the environment`,
      );

    // Stripe and Klaviyo stand-ins
    const functionsUrl = `http://127.0.0.1:${ports.functions}/${projectId}/us-central1`;
    let stripe = null;
    if (!realStripe) {
      stripe = new StripeServer({
        port: ports.stripe,
        webhookUrl: `${functionsUrl}/stripeWebhook`,
        webhookSecret: secrets.STRIPE_WEBHOOK_SECRET.split(",")[0].trim(),
        log: (m) => log(`stripe: ${m}`),
      });
      await stripe.listen();
      stops.push(() => stripe.close());
      // opts.prices: Prices the local server knows, e.g. for a STRIPE_PRICE_ID offer
      for (const price of opts.prices ?? []) stripe.addPrice(price);
      log(`stripe: local Stripe-compatible server on ${stripe.url}`);
    }
    let klaviyo = null;
    if (!realKlaviyo) {
      klaviyo = new KlaviyoSink({ port: ports.klaviyo, apiKey: secrets.KLAVIYO_PRIVATE_KEY, log: (m) => log(`klaviyo: ${m}`) });
      await klaviyo.listen();
      stops.push(() => klaviyo.close());
      log(`klaviyo: local sink on ${klaviyo.url}`);
    }

    // Params for the emulated functions
    const siteUrl = `http://127.0.0.1:${ports.hosting}`;
    const params = {
      STRIPE_API_URL: stripe ? stripe.url : "",
      KLAVIYO_API_URL: klaviyo ? klaviyo.url : "https://a.klaviyo.com",
      PREORDER_COLORS: "khaki,black,white",
      STRIPE_PRICE_ID: "",
      PREORDER_AMOUNT: "9900",
      PREORDER_CURRENCY: "usd",
      SITE_URL: siteUrl,
      SHIPPING_COUNTRIES: "US,CA,GB,IE,DE,FR,NL,AU,NZ,JP,SG,HK,TW,CN",
      // App Check: off unless asked (ENFORCE_APP_CHECK=true npm start); the page sends a local debug token
      ENFORCE_APP_CHECK: process.env.ENFORCE_APP_CHECK ?? "false",
      // limits roomy enough for a developer and the browser tests (which share 127.0.0.1); production: 60 / 5
      RATE_LIMIT_PER_IP_10MIN: "1000",
      RATE_LIMIT_PER_EMAIL_HOUR: "20",
      TRUSTED_PROXY_HOPS: "1",
      KLAVIYO_MAX_EVENT_AGE_MINUTES: "1440",
      MIN_INSTANCES: "0",
      ADMIN_WEB_API_KEY: "",
      ADMIN_AUTH_DOMAIN: "",
      ...(opts.params ?? {}),
    };
    // The emulator lets functions/.env.local override everything (it also writes one when it has to
    // prompt for a param): refuse rather than run against the wrong Stripe or Klaviyo.
    const localEnv = path.join(ROOT, "functions", ".env.local");
    if (fs.existsSync(localEnv)) {
      const clash = fs
        .readFileSync(localEnv, "utf8")
        .split("\n")
        .map((l) => l.split("=")[0].trim())
        .filter((k) => k in params);
      if (clash.length) {
        throw Object.assign(
          new Error(
            `functions/.env.local sets ${clash.join(", ")}, which would override the local stack's values: delete it (or move your values to functions/.env)`,
          ),
          { code: "ENV_LOCAL" },
        );
      }
    }
    const envFile = path.join(ROOT, "functions", `.env.${projectId}`);
    fs.writeFileSync(
      envFile,
      `# written by devtools/stack.js for the local stack; git-ignored\n${Object.entries(params)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n`,
    );
    stops.push(() => fs.rmSync(envFile, { force: true }));

    // The emulators, on a config derived from firebase.json (ports; UI only when its bundle is cached)
    const emulatorCache = path.join(require("node:os").homedir(), ".cache", "firebase", "emulators");
    const uiCached = fs.existsSync(emulatorCache) && fs.readdirSync(emulatorCache).some((f) => f.startsWith("ui-"));
    const config = structuredClone(base);
    config.emulators = {
      ...config.emulators,
      functions: { host: "127.0.0.1", port: ports.functions },
      hosting: { host: "127.0.0.1", port: ports.hosting },
      hub: { host: "127.0.0.1", port: ports.hub },
      logging: { host: "127.0.0.1", port: ports.logging },
      firestore: { host: "127.0.0.1", port: ports.firestore },
      auth: { host: "127.0.0.1", port: ports.auth },
      ui: { ...config.emulators.ui, enabled: uiCached },
    };
    // The console signs in against the local Auth emulator: its CSP (only the /admin one) lets the page reach it
    const authOrigin = `http://127.0.0.1:${ports.auth}`;
    for (const entry of config.hosting.headers.filter((h) => h.source === "/admin**"))
      for (const header of entry.headers.filter((h) => h.key === "Content-Security-Policy"))
        header.value = header.value.replace("connect-src 'self'", `connect-src 'self' ${authOrigin}`);
    // Deploys use firebase.json's runtime (nodejs22); locally the emulator runs this Node, and saying so
    // keeps it from warning on every reload that the versions differ.
    const hostRuntime = `nodejs${process.versions.node.split(".")[0]}`;
    for (const fn of config.functions) if (["nodejs20", "nodejs22", "nodejs24"].includes(hostRuntime)) fn.runtime = hostRuntime;
    // opts.extraCodebases: more function sources, e.g. the benchmark's trivial onRequest baseline
    for (const source of opts.extraCodebases ?? []) config.functions.push({ source, codebase: path.basename(source) });
    const configFile = path.join(ROOT, `.firebase.${projectId}.json`);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    stops.push(() => fs.rmSync(configFile, { force: true }));
    const only = ["auth", "functions", ...(opts.hosting === false ? [] : ["hosting"]), ...(realFirestore ? ["firestore"] : [])].join(",");

    const env = {
      ...process.env,
      ...(realFirestore ? {} : { FIRESTORE_EMULATOR_HOST: firestoreHost }),
      // secrets not in functions/.secret.local (which the emulator reads itself) come from the environment
      ...Object.fromEntries(Object.entries(secrets).filter(([k]) => !(k in fileSecrets))),
      METADATA_SERVER_DETECTION: "none",
      // The emulator gives our code 10 s to load for discovery, as deploys do; a loaded 2-core machine
      // (CI, a test run beside other work) can take longer, and then every function answers 404.
      FUNCTIONS_DISCOVERY_TIMEOUT: process.env.FUNCTIONS_DISCOVERY_TIMEOUT ?? "60",
      ...(opts.env ?? {}),
    };
    const bin = path.join(ROOT, "node_modules", "firebase-tools", "lib", "bin", "firebase.js");
    const child = spawn(process.execPath, [bin, "emulators:start", "--config", configFile, "--only", only, "--project", projectId], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    const onOut = (d) => {
      out += d;
      // eslint-disable-next-line no-control-regex -- strips the CLI's ANSI colours
      for (const line of String(d).split("\n")) if (line.trim()) log(`emulators: ${line.replace(/\u001b\[[0-9;]*m/g, "")}`);
    };
    child.stdout.on("data", onOut);
    child.stderr.on("data", onOut);
    // the emulators run in their own process group (so that stop() reaches their workers): never leave
    // them behind if this process exits without stop()
    const killGroup = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    process.once("exit", killGroup);
    stops.push(
      () =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          try {
            process.kill(-child.pid, "SIGINT");
          } catch {
            resolve();
          }
          setTimeout(() => {
            try {
              process.kill(-child.pid, "SIGKILL");
            } catch {
              /* gone */
            }
          }, 8000).unref();
        }),
    );
    // generous: on a shared 2-core machine under load the emulators have taken over 2 minutes to start
    await waitFor(child, /All emulators ready/, opts.readyTimeoutMs ?? 300_000, "firebase emulators", () => out);
    await checkFunctionsLoaded(ports.functions, out);

    // The trigger relay (only without the real Firestore emulator, which fires triggers itself)
    let relay = null;
    if (!realFirestore && opts.relay !== false) {
      relay = require("./trigger-relay").spawnRelay({
        projectId,
        env: { ...params, ...secrets, FIRESTORE_EMULATOR_HOST: firestoreHost, METADATA_SERVER_DETECTION: "none" },
        log: (m) => log(`relay: ${m}`),
      });
      stops.push(() => relay.stop());
      await relay.ready;
    }

    return {
      projectId,
      ports,
      firestoreHost,
      realFirestore,
      firestore: fsServer,
      realStripe,
      realKlaviyo,
      stripe,
      klaviyo,
      relay,
      urls: {
        site: siteUrl,
        functions: functionsUrl,
        callable: `${functionsUrl}/createCheckoutSession`,
        webhook: `${functionsUrl}/stripeWebhook`,
        hostedWebhook: `${siteUrl}/api/stripe-webhook`,
        stripe: stripe?.url ?? "https://dashboard.stripe.com/test",
        klaviyo: klaviyo?.url ?? "https://www.klaviyo.com",
        ui: uiCached ? `http://127.0.0.1:${base.emulators.ui.port}` : null,
        admin: `${siteUrl}/admin`,
        auth: authOrigin,
      },
      /** A user of the local Auth emulator, with custom claims (e.g. { admin: true }); returns its uid. */
      createUser: (email, password, claims) => require("./admin").emulatorUser(authOrigin, projectId, email, password, claims),
      emulatorLog: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

module.exports = { startStack, checkPorts, pickPorts, hasRealFirestoreEmulator, LOCAL_SECRETS };
