/**
 * The console's two HTTP functions in-process, served over HTTP as Cloud Functions does: adminExport (the
 * fulfilment CSV and the factory summary) with real ID tokens from the Auth emulator and the real Admin SDK
 * against the Firestore server, and adminConfig. The console test (hosting/test/admin.test.ts) drives the
 * same export from the page; this suite checks what the page cannot show: every refusal, paging past 1,000
 * orders, the 64 KiB write batches, and a failure half-way.
 */
process.env.GCLOUD_PROJECT = "demo-rolitt-export"; // a namespace of its own in the shared test Firestore
import express from "express";
import { Timestamp } from "firebase-admin/firestore";
import { adminConfig, adminExport } from "../src/index";
import { newPreorder } from "../src/preorder/new-preorder";
import { db } from "../src/shared/firestore";
import { startAuthEmulator, type AuthEmulator } from "./helpers/auth-emulator";
import { serve } from "./helpers/serve";

jest.setTimeout(120_000);
let auth: AuthEmulator;
let server: Awaited<ReturnType<typeof serve>>;
let url = "";
let adminToken = "";
let shopperToken = "";

beforeAll(async () => {
  auth = await startAuthEmulator(process.env.GCLOUD_PROJECT!);
  adminToken = await auth.idToken("ops@rolitt.example", "ops-password-1", { admin: true });
  shopperToken = await auth.idToken("curious@example.com", "shopper-password-1");
  const app = express();
  app.use("/api/admin/export", (req, res) => adminExport(req as never, res));
  app.use("/api/admin/config", (req, res) => adminConfig(req as never, res));
  server = await serve(app);
  url = server.url;
});
afterAll(async () => {
  await server.close();
  await auth.stop();
});
beforeEach(async () => {
  for (const name of ["preorders", "admin_audit"]) {
    const docs = (await db().collection(name).get()).docs;
    for (let i = 0; i < docs.length; i += 400) {
      const batch = db().batch();
      for (const d of docs.slice(i, i + 400)) batch.delete(d.ref);
      await batch.commit();
    }
  }
});

const T0 = Date.UTC(2026, 10, 1, 12);
/** Preorders as the checkout and webhook write them; the n-th was created n minutes after T0. */
async function seed(rows: Array<{ n: number; status?: string; hold?: unknown; color?: string; country?: string; over?: object }>) {
  for (let i = 0; i < rows.length; i += 400) {
    const batch = db().batch();
    for (const r of rows.slice(i, i + 400)) {
      const id = `exp${String(r.n).padStart(17, "0")}`;
      const at = Timestamp.fromMillis(T0 + r.n * 60_000);
      batch.set(db().collection("preorders").doc(id), {
        ...newPreorder({
          preorderId: id,
          preorderNumber: `ROL-${80000000 + r.n}`,
          email: `buyer${r.n}@example.com`,
          color: r.color ?? "khaki",
          locale: "en",
          amount: 9900,
          currency: "usd",
        }),
        status: r.status ?? "succeeded",
        hold: r.hold ?? null,
        customer: {
          name: `Buyer ${r.n}`,
          phone: null,
          shipping: { name: `Buyer ${r.n}`, address: { line1: `${r.n} Main St`, country: r.country ?? "US" } },
        },
        createdAt: at,
        updatedAt: at,
        ...r.over,
      });
    }
    await batch.commit();
  }
}

const get = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, { ...init, headers: { ...(token !== undefined && { authorization: `Bearer ${token}` }), ...init.headers } });
const audits = async () => (await db().collection("admin_audit").get()).docs.map((d) => d.data());
/** The CSV's records: BOM dropped, CRLF split, the trailing empty line dropped. */
const records = (text: string) =>
  text
    .replace(/^\uFEFF/, "")
    .split("\r\n")
    .filter(Boolean);

describe("adminExport refuses", () => {
  it.each([
    ["no Authorization header", 401, undefined, "Sign in to use the console"],
    ["a token that is not an ID token", 401, "not-a-token", "Sign in again: the session is not valid"],
    ["an account without the admin claim", 403, "SHOPPER", "This account is not a console admin"],
  ])("%s → %i, and nothing is read or audited", async (_what, status, token, message) => {
    await seed([{ n: 1 }]);
    const res = await get("/api/admin/export?kind=orders", token === "SHOPPER" ? shopperToken : token);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: message });
    expect(res.headers.get("content-disposition")).toBeNull();
    expect(await audits()).toEqual([]);
  });

  it("an Authorization header that is not a Bearer token → 401", async () => {
    const res = await fetch(`${url}/api/admin/export`, { headers: { authorization: `Token ${adminToken}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Sign in to use the console" });
  });

  it("a POST → 405 naming GET, before any token check", async () => {
    const res = await get("/api/admin/export?kind=orders", adminToken, { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(await res.text()).toBe("GET only");
    expect(await audits()).toEqual([]);
  });

  it("an unknown kind → 400, and no file", async () => {
    const res = await get("/api/admin/export?kind=everything", adminToken);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "kind must be orders or summary" });
    expect(await audits()).toEqual([]);
  });
});

describe("adminExport's files", () => {
  it("the orders to ship: paid and not on hold, oldest first, as a dated no-store download; the export is audited", async () => {
    await seed([
      { n: 3 },
      { n: 1 },
      { n: 2, status: "created" },
      { n: 4, status: "refunded" },
      { n: 5, hold: { reason: "address check" } },
      { n: 6, status: "failed" },
      { n: 7, color: "pink", country: "DE" },
    ]);
    for (const path of ["/api/admin/export?kind=orders", "/api/admin/export"]) {
      const res = await get(path, adminToken);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const day = new Date().toISOString().slice(0, 10);
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="rolitt-to-ship-${day}.csv"`);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the BOM: Excel then reads UTF-8
      const text = bytes.toString("utf8");
      expect(text.startsWith("\uFEFFpreorder_number,name,email,")).toBe(true);
      expect(records(text).map((r) => r.split(",")[0])).toEqual(["preorder_number", "ROL-80000001", "ROL-80000003", "ROL-80000007"]);
      expect(records(text)[3]).toContain("buyer7@example.com,,pink,7 Main St,,,,,DE,2026-11-01T12:07:00.000Z");
    }
    const audit = await audits();
    expect(audit).toHaveLength(2);
    for (const a of audit) {
      expect(a).toMatchObject({ action: "export:orders", preorderId: null, result: { ok: true, rows: 3 } });
      expect(a.who).toEqual({ uid: expect.any(String), email: expect.not.stringContaining("ops@rolitt.example") });
    }
  });

  it("past one page of 1,000 and past the 64 KiB write batch: every paid order once, in order", async () => {
    const N = 1_250;
    await seed(
      Array.from({ length: N }, (_, i) => ({ n: i + 1, over: { email: `a-rather-long-address-for-a-bigger-file-${i + 1}@example.com` } })),
    );
    const res = await get("/api/admin/export?kind=orders", adminToken);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(128 * 1024);
    const numbers = records(text)
      .slice(1)
      .map((r) => r.split(",")[0]);
    expect(numbers).toEqual(Array.from({ length: N }, (_, i) => `ROL-${80000000 + i + 1}`));
    expect((await audits())[0].result).toEqual({ ok: true, rows: N });
  });

  it("the factory summary: quantities per colour and country, per colour, and in all; only what may ship", async () => {
    await seed([
      { n: 1, color: "khaki", country: "US" },
      { n: 2, color: "khaki", country: "US" },
      { n: 3, color: "khaki", country: "DE" },
      { n: 4, color: "pink", country: "US" },
      { n: 5, color: "pink", country: "US", status: "refunded" },
      { n: 6, color: "pink", country: "US", hold: { reason: "fraud review" } },
    ]);
    const res = await get("/api/admin/export?kind=summary", adminToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="rolitt-summary-${new Date().toISOString().slice(0, 10)}.csv"`,
    );
    expect(records(await res.text())).toEqual([
      "color,country,quantity",
      "khaki,DE,1",
      "khaki,US,2",
      "pink,US,1",
      "khaki,ALL,3",
      "pink,ALL,1",
      "ALL,ALL,4",
    ]);
    expect(await audits()).toEqual([expect.objectContaining({ action: "export:summary", result: { ok: true } })]);
  });

  it("a document that cannot be read half-way: the download fails instead of ending short, and the failure is audited", async () => {
    await seed([{ n: 1 }, { n: 2 }, { n: 3, over: { createdAt: "2026-11-01" } }]);
    const res = await get("/api/admin/export?kind=orders", adminToken)
      .then((r) => r.text())
      .catch((e: Error) => e);
    expect(typeof res).toBe("object"); // the body's read was cut off (an error from fetch), not a short file
    await new Promise((r) => setTimeout(r, 200)); // the audit is written after the connection is cut
    expect(await audits()).toEqual([
      expect.objectContaining({ action: "export:orders", result: { ok: false, error: expect.stringContaining("TypeError") } }),
    ]);
  });
});

describe("a fresh instance", () => {
  it("whose first work is an export request (no Firebase app yet) lets an admin in", async () => {
    // each deployed function runs alone in its instances, and adminExport checks the token before anything
    // touches Firestore: the default app does not exist yet when the first request arrives
    let apps: unknown[] = [];
    let who: unknown;
    await jest.isolateModulesAsync(async () => {
      apps = (await import("firebase-admin/app")).getApps();
      who = await (await import("../src/admin/auth")).adminOfRequest(`Bearer ${adminToken}`);
    });
    expect(apps).toEqual([]);
    expect(who).toEqual({ uid: expect.any(String), email: "o***@rolitt.example" });
  });
});

describe("adminConfig", () => {
  it("gives the page what it needs to sign in, and nothing else; never cached", async () => {
    const res = await get("/api/admin/config");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      projectId: "demo-rolitt-export",
      apiKey: "local-emulator-key",
      authDomain: "demo-rolitt-export.firebaseapp.com",
      authEmulator: process.env.FIREBASE_AUTH_EMULATOR_HOST,
    });
  });
});
