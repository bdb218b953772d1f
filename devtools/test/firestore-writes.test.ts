/**
 * Firestore's write semantics in the embedded Firestore (devtools/firestore-writes.js), through the real client
 * over gRPC. Without the patch, set() merged and deleted fields stayed.
 */
import { FieldValue, type Firestore } from "@google-cloud/firestore";
import { seededFirestore } from "./helpers/seeded-firestore";

let db: Firestore;
let stop: () => Promise<void>;
const doc = (id: string) => db.collection("orders").doc(id);
const data = async (id: string) => (await doc(id).get()).data();

beforeAll(async () => {
  ({ db, stop } = await seededFirestore("demo-writes", {}));
});
afterAll(() => stop?.());

describe("embedded Firestore: writes", () => {
  it("set() without merge replaces the whole document", async () => {
    await doc("a").set({ x: 1, y: 2, m: { p: 1, q: 2 } });
    await doc("a").set({ x: 3, m: { p: 5 } });
    expect(await data("a")).toEqual({ x: 3, m: { p: 5 } });
  });

  it("set(…, { merge: true }) keeps what the data leaves out, nested maps included", async () => {
    await doc("b").set({ x: 1, y: 2, m: { p: 1, q: 2 } });
    await doc("b").set({ x: 3, m: { p: 5 } }, { merge: true });
    expect(await data("b")).toEqual({ x: 3, y: 2, m: { p: 5, q: 2 } });
  });

  it("mergeFields writes only the named paths, each replaced whole", async () => {
    await doc("c").set({ x: 1, y: 2, lease: { holder: "a", until: 1 } });
    await doc("c").set({ x: 9, lease: { holder: "b" } }, { mergeFields: ["lease"] });
    expect(await data("c")).toEqual({ x: 1, y: 2, lease: { holder: "b" } });
  });

  it("update() sets dotted paths and FieldValue.delete() removes fields, nested ones too", async () => {
    await doc("d").set({ x: 1, key: "k", m: { p: 1, q: 2 } });
    await doc("d").update({ key: FieldValue.delete(), "m.q": FieldValue.delete(), "m.r": 3, "n.s": 4 });
    expect(await data("d")).toEqual({ x: 1, m: { p: 1, r: 3 }, n: { s: 4 } });
  });

  it("a transform still applies after a replacing set", async () => {
    await doc("e").set({ count: 1, other: true });
    await doc("e").set({ count: FieldValue.increment(2) });
    expect(await data("e")).toEqual({ count: 2 });
  });

  it("a write with a transform keeps the rest of its own data", async () => {
    await doc("f").set({ state: "claimed", attempts: 1, lease: "x" });
    await doc("f").set({ state: "sent", attempts: FieldValue.increment(1), at: FieldValue.serverTimestamp() }, { merge: true });
    expect(await data("f")).toEqual({ state: "sent", attempts: 2, lease: "x", at: expect.anything() });
    await doc("f").update({ lease: FieldValue.delete(), attempts: FieldValue.increment(1) });
    expect(await data("f")).toEqual({ state: "sent", attempts: 3, at: expect.anything() });
  });
});
