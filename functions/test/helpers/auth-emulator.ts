/**
 * The real Firebase Auth emulator (firebase-tools, no Java needed), alone, on free ports: for suites that
 * call an onRequest function which verifies `Authorization: Bearer <ID token>` in-process. The Admin SDK
 * accepts its tokens once FIREBASE_AUTH_EMULATOR_HOST is set (done here).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/* eslint-disable @typescript-eslint/no-require-imports */
const { emulatorUser, emulatorIdToken } = require("../../../devtools/admin") as {
  emulatorUser: (origin: string, projectId: string, email: string, password: string, claims?: object) => Promise<string>;
  emulatorIdToken: (origin: string, email: string, password: string) => Promise<string>;
};
const { freePorts } = require("../../../devtools/firestore-server") as { freePorts: (n: number) => Promise<number[]> };
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = join(__dirname, "..", "..", "..");

export interface AuthEmulator {
  origin: string;
  /** Creates (or finds) the user, sets its custom claims, signs in, and returns the ID token. */
  idToken(email: string, password: string, claims?: object): Promise<string>;
  stop(): Promise<void>;
}

export async function startAuthEmulator(projectId: string): Promise<AuthEmulator> {
  const [auth, hub, logging] = await freePorts(3);
  const dir = mkdtempSync(join(tmpdir(), "auth-emu-"));
  const config = join(dir, "firebase.json");
  writeFileSync(
    config,
    JSON.stringify({
      emulators: {
        auth: { host: "127.0.0.1", port: auth },
        hub: { host: "127.0.0.1", port: hub },
        logging: { host: "127.0.0.1", port: logging },
        ui: { enabled: false },
      },
    }),
  );
  const bin = join(ROOT, "node_modules", "firebase-tools", "lib", "bin", "firebase.js");
  // CI=1: no fetch of the CLI's message of the day (no network here)
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "emulators:start", "--config", config, "--only", "auth", "--project", projectId],
    {
      cwd: dir,
      env: { ...process.env, CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (b) => (output += b));
  child.stderr?.on("data", (b) => (output += b));
  const origin = `http://127.0.0.1:${auth}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Auth emulator exited with ${child.exitCode}:\n${output}`);
    const up = await fetch(origin).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the Auth emulator did not start in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${auth}`;
  return {
    origin,
    async idToken(email, password, claims = {}) {
      await emulatorUser(origin, projectId, email, password, claims);
      return emulatorIdToken(origin, email, password);
    },
    async stop() {
      delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT"); // lets firebase-tools stop its emulator cleanly
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      // nothing of the child may keep jest's process alive
      child.stdout?.destroy();
      child.stderr?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
