/**
 * The embedded Firestore's speed patches (devtools/firestore-speed.js) keep the package's answers: the same
 * query results in the same order as the package as published, a listener that ends with every document as
 * written, and commit times a listener can tell apart. How much faster and smaller it is lives in
 * `npm run bench:firestore`, not here.
 */
import { AggregateField, Firestore, Timestamp } from "@google-cloud/firestore";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startFirestore } = require("../firestore-server") as {
  startFirestore: (o?: object) => Promise<{ host: string; stop: () => void }>;
};

const PROJECT = "demo-speed";
type Server = Awaited<ReturnType<typeof startFirestore>>;
let fast: Server;
let plain: Server;
let fastDb: Firestore;
let plainDb: Firestore;

function client(host: string) {
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = host;
  const db = new Firestore({ projectId: PROJECT });
  process.env.FIRESTORE_EMULATOR_HOST = saved;
  return db;
}

beforeAll(async () => {
  [fast, plain] = await Promise.all([startFirestore({ fast: process.env.SPEED_OLD !== "1" }), startFirestore({ fast: false })]);
  fastDb = client(fast.host);
  plainDb = client(plain.host);
  // The same 300 documents on both: ties, missing fields and mixed types, so ordering edge cases show.
  for (const db of [fastDb, plainDb]) {
    const batch = db.batch();
    for (let i = 0; i < 300; i++) {
      const doc: Record<string, unknown> = {
        status: ["created", "succeeded", "expired"][i % 3],
        color: ["khaki", "black"][i % 2],
        n: i % 7,
        createdAt: Timestamp.fromMillis(1_700_000_000_000 + (i % 50) * 1000),
      };
      if (i % 11 === 0) delete doc.n;
      batch.set(db.collection("orders").doc(`o${String(i).padStart(3, "0")}`), doc);
    }
    await batch.commit();
  }
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 1000)); // the listener's stream closes after unsubscribe returns
  await Promise.all([fastDb?.terminate(), plainDb?.terminate()]);
  fast?.stop();
  plain?.stop();
});

const ids = async (q: FirebaseFirestore.Query) => (await q.get()).docs.map((d) => d.id);

describe("embedded Firestore speed patches", () => {
  const queries: Array<[string, (db: Firestore) => FirebaseFirestore.Query]> = [
    ["whole collection", (db) => db.collection("orders")],
    [
      "filter + order desc + limit",
      (db) => db.collection("orders").where("status", "==", "succeeded").orderBy("createdAt", "desc").limit(25),
    ],
    [
      "two filters + order asc",
      (db) => db.collection("orders").where("status", "==", "created").where("color", "==", "black").orderBy("createdAt"),
    ],
    ["order on a field some lack", (db) => db.collection("orders").orderBy("n").orderBy("createdAt", "desc")],
    [
      "range + limit",
      (db) =>
        db.collection("orders").where("createdAt", "<=", Timestamp.fromMillis(1_700_000_020_000)).orderBy("createdAt", "desc").limit(40),
    ],
    ["in filter", (db) => db.collection("orders").where("status", "in", ["expired", "created"]).limit(10)],
    ["equality on a unique value", (db) => db.collection("orders").where("color", "==", "black").where("n", "==", 3).limit(5)],
    [
      "equality with a range",
      (db) => db.collection("orders").where("status", "==", "expired").where("createdAt", ">", Timestamp.fromMillis(1_700_000_030_000)),
    ],
    ["equality on a value no document has", (db) => db.collection("orders").where("color", "==", "mint")],
    ["empty result", (db) => db.collection("orders").where("status", "==", "refunded").orderBy("createdAt")],
    ["missing collection", (db) => db.collection("nothing").orderBy("createdAt").limit(3)],
  ];
  it.each(queries)("%s: same documents in the same order as the package as published", async (_name, make) => {
    const [a, b] = await Promise.all([ids(make(fastDb)), ids(make(plainDb))]);
    expect(a).toEqual(b);
  });

  it("equality queries stay right while the indexed field changes, documents go and come back", async () => {
    const q = (db: Firestore) => ids(db.collection("orders").where("status", "==", "refunded"));
    const q2 = (db: Firestore) =>
      ids(db.collection("orders").where("color", "==", "black").where("status", "==", "refunded").orderBy("createdAt", "desc"));
    expect(await q(fastDb)).toEqual([]); // builds the index while nothing matches
    for (const db of [fastDb, plainDb]) {
      const col = db.collection("orders");
      for (const i of [5, 17, 42, 99, 250]) await col.doc(`o${String(i).padStart(3, "0")}`).update({ status: "refunded" });
      await col.doc("o017").delete();
      await col.doc("o042").set({ status: "created", color: "black" }, { merge: true });
      await col.doc("o900").set({ status: "refunded", color: "black", createdAt: Timestamp.fromMillis(1_700_000_000_000) });
      await col.doc("o017").set({ status: "refunded", color: "khaki", createdAt: Timestamp.fromMillis(1_700_000_100_000) });
    }
    const [a, b] = await Promise.all([q(fastDb), q(plainDb)]);
    expect(a).toEqual(b);
    expect(a.sort()).toEqual(["o005", "o017", "o099", "o250", "o900"]);
    expect(await q2(fastDb)).toEqual(await q2(plainDb));
  });

  it("documents with integer-like ids come back in the package's order (JavaScript lists those keys first)", async () => {
    for (const db of [fastDb, plainDb])
      for (const id of ["b", "10", "a", "2", "x7", "0"]) await db.collection("numbered").doc(id).set({ kind: "k" });
    for (const make of [
      (db: Firestore) => db.collection("numbered"),
      (db: Firestore) => db.collection("numbered").where("kind", "==", "k"),
    ]) {
      const [a, b] = await Promise.all([ids(make(fastDb)), ids(make(plainDb))]);
      expect(a).toEqual(b);
    }
  });

  it("count and sum aggregations agree", async () => {
    const agg = (db: Firestore) =>
      db
        .collection("orders")
        .where("color", "==", "khaki")
        .aggregate({ c: AggregateField.count(), s: AggregateField.sum("n") })
        .get();
    const [a, b] = await Promise.all([agg(fastDb), agg(plainDb)]);
    expect(a.data()).toEqual(b.data());
  });

  it("a listener on a collection ends with every document as last written, and sees deletes", async () => {
    const col = fastDb.collection(`burst-${Date.now()}`);
    const seen = new Map<string, number>();
    let ready!: () => void;
    const first = new Promise<void>((r) => (ready = r));
    const unsubscribe = col.onSnapshot((snap) => {
      for (const c of snap.docChanges()) {
        if (c.type === "removed") seen.delete(c.doc.id);
        else seen.set(c.doc.id, c.doc.get("v") as number);
      }
      ready();
    });
    await first;
    const last = new Map<string, number>();
    for (let round = 0; round < 10; round++)
      await Promise.all(
        Array.from({ length: 40 }, (_, k) => {
          const id = `d${k % 25}`;
          const v = round * 100 + k;
          last.set(id, Math.max(last.get(id) ?? -1, v));
          // one document written twice in a round: the later write must win at the listener too
          return col.doc(id).set({ v }, { merge: false });
        }),
      );
    await col.doc("d3").delete();
    last.delete("d3");
    const truth = new Map((await col.get()).docs.map((d) => [d.id, d.get("v") as number]));
    for (let i = 0; i < 50 && JSON.stringify([...seen].sort()) !== JSON.stringify([...truth].sort()); i++)
      await new Promise((r) => setTimeout(r, 100));
    unsubscribe();
    expect([...seen].sort()).toEqual([...truth].sort());
    expect(seen.has("d3")).toBe(false);
    expect(seen.size).toBe(24);
  });

  it("30 commits at once get 30 distinct, increasing update times (a listener drops a change whose time did not move)", async () => {
    const col = fastDb.collection(`times-${Date.now()}`);
    const results = await Promise.all(Array.from({ length: 30 }, (_, k) => col.doc(`t${k}`).set({ k })));
    const times = results.map((r) => r.writeTime.toMillis());
    expect(new Set(times).size).toBe(30);
    const docs = (await col.get()).docs.map((d) => d.updateTime.toMillis());
    expect(new Set(docs).size).toBe(30);
  });
});
