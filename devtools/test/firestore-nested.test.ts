/**
 * Nested-field reads of the embedded Firestore (devtools/firestore-nested.js): filters, ordering and counts on
 * `a.b` answer as Firestore does, through the real client over gRPC.
 */
import { Firestore } from "@google-cloud/firestore";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startFirestore } = require("../firestore-server") as {
  startFirestore: (o?: object) => Promise<{ host: string; stop: () => void }>;
};

let server: Awaited<ReturnType<typeof startFirestore>>;
let db: Firestore;

beforeAll(async () => {
  server = await startFirestore();
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  db = new Firestore({ projectId: "demo-nested" });
  process.env.FIRESTORE_EMULATOR_HOST = saved;
  const docs: Record<string, Record<string, unknown>> = {
    a: { stripe: { sessionId: "cs_1", amount: 300 }, attribution: { utm: { campaign: "x" } } },
    b: { stripe: { sessionId: "cs_2", amount: 100 } },
    c: { stripe: { sessionId: "cs_1", amount: 200 } },
    d: { stripe: "not a map" },
    e: { other: 1 },
  };
  const batch = db.batch();
  for (const [id, data] of Object.entries(docs)) batch.set(db.collection("orders").doc(id), data);
  await batch.commit();
});
afterAll(async () => {
  await db?.terminate();
  server?.stop();
});

const ids = async (q: FirebaseFirestore.Query) => (await q.get()).docs.map((d) => d.id);

describe("embedded Firestore: nested fields", () => {
  it("an equality filter on a nested field finds its documents; a path through a non-map or a missing map finds none", async () => {
    expect(await ids(db.collection("orders").where("stripe.sessionId", "==", "cs_1"))).toEqual(["a", "c"]);
    expect(await ids(db.collection("orders").where("stripe.sessionId", "==", "cs_1").limit(1))).toEqual(["a"]);
    expect(await ids(db.collection("orders").where("stripe.sessionId", "==", "nope"))).toEqual([]);
    expect(await ids(db.collection("orders").where("attribution.utm.campaign", "==", "x"))).toEqual(["a"]);
  });

  // Ordering alone keeps documents without the field (at the end) here, where Firestore leaves them out.
  it("ranges and ordering on a nested field", async () => {
    expect(await ids(db.collection("orders").where("stripe.amount", ">", 0).orderBy("stripe.amount"))).toEqual(["b", "c", "a"]);
    expect(await ids(db.collection("orders").where("stripe.amount", ">=", 200).orderBy("stripe.amount", "desc"))).toEqual(["a", "c"]);
  });

  it("counts over a nested filter", async () => {
    const snap = await db.collection("orders").where("stripe.sessionId", "==", "cs_2").count().get();
    expect(snap.data().count).toBe(1);
  });
});
