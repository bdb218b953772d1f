"use strict";
/**
 * `npm run admin -- grant|revoke|show EMAIL [--project ID] [--emulator HOST:PORT]`: gives or takes the
 * console's `admin` custom claim, with the Admin SDK.
 *
 * Target: the Auth emulator when --emulator or FIREBASE_AUTH_EMULATOR_HOST says so, or when `npm start` is
 * running (it records its Auth emulator in .runtime/stack.json); otherwise the real project (--project, else
 * GOOGLE_CLOUD_PROJECT, else .firebaserc's default) with Application Default Credentials
 * (`gcloud auth application-default login`). In a real project the account must have signed in once
 * (Google) before it can be granted. A claim reaches the user's next ID token: the console refreshes it at
 * sign-in; a revoked admin's current token stays valid until it expires (at most an hour), and revoke also
 * ends their sessions' refresh tokens.
 */
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const STACK_FILE = path.join(ROOT, ".runtime", "stack.json");

/** The Auth emulator's REST API ("Bearer owner" is its admin credential): a user with these claims. */
async function emulatorUser(authOrigin, projectId, email, password, claims = {}) {
  const api = `${authOrigin}/identitytoolkit.googleapis.com/v1/projects/${projectId}`;
  const post = async (p, body) => {
    const res = await fetch(`${api}${p}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer owner" },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw Object.assign(new Error(json.error?.message ?? `HTTP ${res.status}`), { status: res.status });
    return json;
  };
  let uid;
  try {
    uid = (await post("/accounts", { email, password })).localId;
  } catch (err) {
    if (!/EMAIL_EXISTS/.test(err.message)) throw err;
    uid = (await post("/accounts:lookup", { email: [email] })).users[0].localId;
  }
  await post("/accounts:update", { localId: uid, customAttributes: JSON.stringify(claims) });
  return uid;
}

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) {
      const k = argv[i].slice(2);
      args[k] = argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[++i] : true;
    } else args._.push(argv[i]);
  }
  return args;
}

async function reachable(hostPort) {
  try {
    await fetch(`http://${hostPort}/`, { signal: AbortSignal.timeout(1500) });
    return true;
  } catch {
    return false;
  }
}

async function target(args) {
  const defaultProject = () => JSON.parse(fs.readFileSync(path.join(ROOT, ".firebaserc"), "utf8")).projects.default;
  if (args.emulator || process.env.FIREBASE_AUTH_EMULATOR_HOST)
    return {
      emulator: args.emulator === true ? null : args.emulator || process.env.FIREBASE_AUTH_EMULATOR_HOST,
      projectId: args.project || defaultProject(),
    };
  if (!args.project && fs.existsSync(STACK_FILE)) {
    const stack = JSON.parse(fs.readFileSync(STACK_FILE, "utf8"));
    if (stack.authHost && (await reachable(stack.authHost))) return { emulator: stack.authHost, projectId: stack.projectId };
  }
  return { emulator: null, projectId: args.project || process.env.GOOGLE_CLOUD_PROJECT || defaultProject() };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [command, email] = args._;
  if (!["grant", "revoke", "show"].includes(command) || !email || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    process.stderr.write("usage: npm run admin -- grant|revoke|show EMAIL [--project ID] [--emulator HOST:PORT]\n");
    process.exit(2);
  }
  const t = await target(args);
  if (t.emulator) process.env.FIREBASE_AUTH_EMULATOR_HOST = t.emulator;
  const { initializeApp } = require("firebase-admin/app");
  const { getAuth } = require("firebase-admin/auth");
  const auth = getAuth(initializeApp({ projectId: t.projectId }));
  const where = t.emulator ? `the Auth emulator at ${t.emulator} (project ${t.projectId})` : `project ${t.projectId}`;
  let user;
  try {
    user = await auth.getUserByEmail(email.trim().toLowerCase());
  } catch (err) {
    if (err.code !== "auth/user-not-found") throw err;
    if (!(t.emulator && command === "grant" && args.password)) {
      process.stderr.write(
        `No account ${email} in ${where}: it must sign in to the console once first${t.emulator ? " (or pass --password to create it in the emulator)" : ""}.\n`,
      );
      process.exit(1);
    }
    user = await auth.createUser({ email: email.trim().toLowerCase(), password: String(args.password), emailVerified: true });
  }
  const claims = { ...(user.customClaims ?? {}) };
  if (command === "grant") claims.admin = true;
  if (command === "revoke") delete claims.admin;
  if (command !== "show") {
    await auth.setCustomUserClaims(user.uid, claims);
    if (command === "revoke") await auth.revokeRefreshTokens(user.uid);
  }
  process.stdout.write(`${email}: admin ${claims.admin === true ? "granted" : "not granted"} in ${where}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`admin: ${err.message}\n`);
    process.exit(1);
  });
}

/** An ID token from the Auth emulator for that email and password (what a signed-in page sends). */
async function emulatorIdToken(authOrigin, email, password) {
  const res = await fetch(`${authOrigin}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  return (await res.json()).idToken;
}

module.exports = { emulatorUser, emulatorIdToken };
