/**
 * The embedded Firestore's transaction semantics (devtools/firestore-isolation.js), through the real Admin SDK
 * and, where the SDK would hide the answer behind its retries, the raw gRPC client it uses. Each test here
 * fails on the bare package (`ROLITT_FIRESTORE_ISOLATION=0`), except fault injection and the bind address.
 */
import { networkInterfaces } from "node:os";
import { connect } from "node:net";
import { Firestore, v1 } from "@google-cloud/firestore";
import { credentials } from "@grpc/grpc-js";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startFirestore } = require("../firestore-server") as {
  startFirestore: (o?: object) => Promise<{
    host: string;
    port: number;
    stats: (reset?: boolean) => Promise<Record<string, number>>;
    setFaults: (f: { unavailable: number }) => Promise<unknown>;
    stop: () => void;
  }>;
};

const PROJECT = "demo-isolation";
const DATABASE = `projects/${PROJECT}/databases/(default)`;
let server: Awaited<ReturnType<typeof startFirestore>>;
let db: Firestore;
let raw: InstanceType<typeof v1.FirestoreClient>;

beforeAll(async () => {
  server = await startFirestore();
  // The Admin SDK reads FIRESTORE_EMULATOR_HOST when constructed; the suite's own server stays untouched.
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  db = new Firestore({ projectId: PROJECT });
  process.env.FIRESTORE_EMULATOR_HOST = saved;
  raw = new v1.FirestoreClient({ servicePath: "127.0.0.1", port: server.port, sslCreds: credentials.createInsecure() });
});
afterAll(async () => {
  await db?.terminate();
  await raw?.close();
  server?.stop();
});

const id = () => Math.random().toString(36).slice(2);
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: { code?: number; details?: string }) => `${e.code} ${e.details ?? ""}`.trim(),
  );
const ABORTED_SPENT = "10 The referenced transaction has expired or is no longer valid.";

describe("embedded Firestore transactions", () => {
  it("20 concurrent read-and-increment transactions end at 20, and the contention shows as aborts", async () => {
    const ref = db.collection("counters").doc(id());
    await ref.set({ n: 0 });
    const before = await server.stats();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        // More attempts than the default 5: this server aborts where Firestore would wait for a lock.
        db.runTransaction(
          async (tx) => {
            const n = (await tx.get(ref)).get("n") as number;
            tx.update(ref, { n: n + 1 });
          },
          { maxAttempts: 20 },
        ),
      ),
    );
    expect((await ref.get()).get("n")).toBe(20);
    const after = await server.stats();
    expect(after.aborts).toBeGreaterThan(before.aborts);
    expect(after.transactions - before.transactions).toBeGreaterThanOrEqual(20);
  }, 300_000);

  it("a transaction whose read document changed before its commit is run again", async () => {
    const ref = db.collection("docs").doc(id());
    await ref.set({ v: "old" });
    let attempts = 0;
    const seen = await db.runTransaction(async (tx) => {
      attempts++;
      const v = (await tx.get(ref)).get("v") as string;
      if (attempts === 1) await ref.set({ v: "changed outside" });
      tx.set(db.collection("docs").doc(`${ref.id}-copy`), { v });
      return v;
    });
    expect({ attempts, seen }).toEqual({ attempts: 2, seen: "changed outside" });
  });

  it("a transaction that read a missing document which another writer then created is run again", async () => {
    const ref = db.collection("docs").doc(id());
    let attempts = 0;
    await db.runTransaction(async (tx) => {
      attempts++;
      const snap = await tx.get(ref);
      if (attempts === 1) await ref.set({ by: "other" });
      tx.set(ref, { by: snap.exists ? `${snap.get("by")}+tx` : "tx" });
    });
    expect(attempts).toBe(2);
    expect((await ref.get()).get("by")).toBe("other+tx");
  });

  it("a query in a transaction whose results gained a match before the commit is run again (phantom)", async () => {
    const tag = id();
    const q = db.collection("tagged").where("tag", "==", tag);
    let attempts = 0;
    const count = await db.runTransaction(async (tx) => {
      attempts++;
      const size = (await tx.get(q)).size;
      if (attempts === 1) await db.collection("tagged").doc().set({ tag });
      tx.set(db.collection("tag_counts").doc(tag), { size });
      return size;
    });
    expect({ attempts, count }).toEqual({ attempts: 2, count: 1 });
  });

  it("a commit is all-or-nothing: a failing create or update leaves the other writes unwritten", async () => {
    const a = db.collection("batch").doc(id());
    const b = db.collection("batch").doc(id());
    await b.set({ x: 1 });
    expect(await codeOf(db.batch().set(a, { y: 1 }).create(b, { z: 1 }).commit())).toMatch(/^6 /);
    expect((await a.get()).exists).toBe(false);
    expect((await b.get()).data()).toEqual({ x: 1 });
    const missing = db.collection("batch").doc(id());
    expect(await codeOf(db.batch().set(a, { y: 2 }).update(missing, { z: 1 }).commit())).toMatch(/^5 /);
    expect((await a.get()).exists).toBe(false);
    // a write may rely on an earlier write of the same commit
    expect(await codeOf(db.batch().create(a, { y: 3 }).update(a, { z: 3 }).commit())).toBe("ok");
    expect((await a.get()).data()).toEqual({ y: 3, z: 3 });
  });

  it("a lastUpdateTime precondition holds only while the document is unchanged since that time", async () => {
    const a = db.collection("versions").doc(id());
    const made = await a.create({ holder: "first" });
    const taken = await a.update({ holder: "second" }, { lastUpdateTime: made.writeTime });
    // a second taker that read the same version is refused, and nothing of its write lands
    expect(await codeOf(a.update({ holder: "third" }, { lastUpdateTime: made.writeTime }))).toMatch(/^9 /);
    expect(await codeOf(a.delete({ lastUpdateTime: made.writeTime }))).toMatch(/^9 /);
    expect((await a.get()).get("holder")).toBe("second");
    // the current version passes; a deleted document has no version to match
    expect(await codeOf(a.delete({ lastUpdateTime: taken.writeTime }))).toBe("ok");
    expect(await codeOf(a.update({ holder: "fourth" }, { lastUpdateTime: taken.writeTime }))).toMatch(/^9 /);
    expect((await a.get()).exists).toBe(false);
  });

  it("each transaction gets its own id; a committed, rolled-back or unknown id is refused, and so is a write in a read-only one", async () => {
    const [t1] = await raw.beginTransaction({ database: DATABASE });
    const [t2] = await raw.beginTransaction({ database: DATABASE });
    expect(Buffer.from(t1.transaction as Uint8Array).equals(Buffer.from(t2.transaction as Uint8Array))).toBe(false);
    const name = `${DATABASE}/documents/spent/${id()}`;
    const write = { update: { name, fields: { n: { integerValue: "1" } } } };
    expect(await codeOf(raw.commit({ database: DATABASE, transaction: t1.transaction, writes: [write] }))).toBe("ok");
    expect(await codeOf(raw.commit({ database: DATABASE, transaction: t1.transaction, writes: [write] }))).toBe(ABORTED_SPENT);
    expect(await codeOf(raw.rollback({ database: DATABASE, transaction: t1.transaction }))).toBe(ABORTED_SPENT);
    expect(await codeOf(raw.rollback({ database: DATABASE, transaction: t2.transaction }))).toBe("ok");
    expect(await codeOf(raw.commit({ database: DATABASE, transaction: t2.transaction, writes: [write] }))).toBe(ABORTED_SPENT);
    const [ro] = await raw.beginTransaction({ database: DATABASE, options: { readOnly: {} } });
    expect(await codeOf(raw.commit({ database: DATABASE, transaction: ro.transaction, writes: [write] }))).toMatch(/^3 /);
    const never = Buffer.from("never issued");
    expect(await codeOf(raw.commit({ database: DATABASE, transaction: never, writes: [write] }))).toBe(ABORTED_SPENT);
  });

  it("a commit that conflicts answers ABORTED and writes nothing", async () => {
    const ref = `${DATABASE}/documents/conflict/${id()}`;
    const [t] = await raw.beginTransaction({ database: DATABASE });
    await new Promise<void>((resolve, reject) => {
      const stream = raw.batchGetDocuments({ database: DATABASE, documents: [ref], transaction: t.transaction });
      stream.on("data", () => {});
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    await raw.commit({ database: DATABASE, writes: [{ update: { name: ref, fields: { by: { stringValue: "other" } } } }] });
    const other = `${DATABASE}/documents/conflict/${id()}`;
    const writes = [{ update: { name: other, fields: { by: { stringValue: "tx" } } } }];
    expect(await codeOf(raw.commit({ database: DATABASE, transaction: t.transaction, writes }))).toMatch(
      /^10 Aborted due to cross-transaction contention/,
    );
    expect((await db.doc(other.replace(/^.*?\/documents\//, "")).get()).exists).toBe(false);
  });
});

describe("embedded Firestore fault injection and address", () => {
  it("answers the configured fraction of calls with UNAVAILABLE, counted, until switched off", async () => {
    const before = await server.stats();
    await server.setFaults({ unavailable: 1 });
    try {
      expect(await codeOf(raw.beginTransaction({ database: DATABASE }, { retry: null as never }))).toMatch(/^14 /);
    } finally {
      await server.setFaults({ unavailable: 0 });
    }
    expect((await server.stats()).faults).toBe(before.faults + 1);
    expect(await codeOf(raw.beginTransaction({ database: DATABASE }))).toBe("ok");
  });

  it("listens on 127.0.0.1 only", async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (!external) return; // no other interface on this machine: nothing to reach
    const outcome = await new Promise<string>((resolve) => {
      const s = connect(server.port, external);
      s.once("connect", () => (s.destroy(), resolve("connected")));
      s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(outcome).toBe("ECONNREFUSED");
  });
});
