/**
 * `== null` and `!= null` in the embedded Firestore (devtools/firestore-unary.js), through the real client over
 * gRPC: the console's "on hold" list queries `hold != null`.
 */
import type { Firestore } from "@google-cloud/firestore";
import { ids, seededFirestore } from "./helpers/seeded-firestore";

let db: Firestore;
let stop: () => Promise<void>;

beforeAll(async () => {
  const docs: Record<string, Record<string, unknown>> = {
    a: { hold: null, status: "succeeded", n: 1 },
    b: { hold: { reason: "dispute" }, status: "succeeded", n: 2 },
    c: { status: "succeeded", n: 3 },
    d: { hold: "review", status: "created", n: 4 },
    e: { hold: { reason: "fraud" }, status: "succeeded", n: 5 },
    f: { stripe: { customerId: null }, n: 6 },
    g: { stripe: { customerId: "cus_1" }, n: 7 },
  };
  ({ db, stop } = await seededFirestore("demo-unary", docs));
});
afterAll(() => stop?.());

describe("embedded Firestore: null filters", () => {
  it("!= null finds the documents whose field is set and not null; a missing field matches neither", async () => {
    expect(await ids(db.collection("orders").where("hold", "!=", null))).toEqual(["b", "d", "e"]);
    expect(await ids(db.collection("orders").where("hold", "==", null))).toEqual(["a"]);
  });

  it("combined with other filters, ordering and a limit applied after the null filter", async () => {
    expect(await ids(db.collection("orders").where("hold", "!=", null).where("status", "==", "succeeded"))).toEqual(["b", "e"]);
    expect(await ids(db.collection("orders").where("status", "==", "succeeded").where("hold", "==", null))).toEqual(["a"]);
    expect(await ids(db.collection("orders").where("hold", "!=", null).orderBy("n", "desc").limit(2))).toEqual(["e", "d"]);
    expect(await ids(db.collection("orders").where("hold", "!=", null).limit(1))).toEqual(["b"]);
  });

  it("on a nested field, and in a count", async () => {
    expect(await ids(db.collection("orders").where("stripe.customerId", "==", null))).toEqual(["f"]);
    expect(await ids(db.collection("orders").where("stripe.customerId", "!=", null))).toEqual(["g"]);
    expect((await db.collection("orders").where("hold", "!=", null).count().get()).data().count).toBe(3);
  });
});
