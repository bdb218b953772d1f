/**
 * Nested-field reads of the embedded Firestore (devtools/firestore-nested.js): filters, ordering and counts on
 * `a.b` answer as Firestore does, through the real client over gRPC.
 */
import type { Firestore } from "@google-cloud/firestore";
import { ids, seededFirestore } from "./helpers/seeded-firestore";

let db: Firestore;
let stop: () => Promise<void>;

beforeAll(async () => {
  const docs: Record<string, Record<string, unknown>> = {
    a: { stripe: { sessionId: "cs_1", amount: 300 }, attribution: { utm: { campaign: "x" } } },
    b: { stripe: { sessionId: "cs_2", amount: 100 } },
    c: { stripe: { sessionId: "cs_1", amount: 200 } },
    d: { stripe: "not a map" },
    e: { other: 1 },
  };
  ({ db, stop } = await seededFirestore("demo-nested", docs));
});
afterAll(() => stop?.());

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
