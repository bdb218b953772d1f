/** Security rules (real Firestore emulator only): no client may read or write any server collection. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertFails, initializeTestEnvironment, type RulesTestEnvironment } from "@firebase/rules-unit-testing";
import { doc, getDoc, setDoc, collection, getDocs, deleteDoc } from "firebase/firestore";

const COLLECTIONS = ["preorders", "preorder_numbers", "stripe_customers", "stripe_payment_intents", "stripe_events", "klaviyo_deliveries"];
let env: RulesTestEnvironment;

beforeAll(async () => {
  const [host, port] = process.env.FIRESTORE_EMULATOR_HOST!.split(":");
  env = await initializeTestEnvironment({
    projectId: process.env.GCLOUD_PROJECT ?? "demo-rolitt-emu",
    firestore: { rules: readFileSync(join(__dirname, "..", "..", "..", "firestore.rules"), "utf8"), host, port: Number(port) },
  });
  await env.withSecurityRulesDisabled(async (ctx) => {
    for (const c of COLLECTIONS) await setDoc(doc(ctx.firestore(), c, "existing"), { email: "ada@example.com" });
  });
});
afterAll(() => env.cleanup());

describe.each(["anonymous", "signed-in"])("a %s client", (who) => {
  const db = () =>
    (who === "anonymous" ? env.unauthenticatedContext() : env.authenticatedContext("shopper-1", { email: "ada@example.com" })).firestore();
  it.each(COLLECTIONS)("can neither read nor write %s", async (c) => {
    await assertFails(getDoc(doc(db(), c, "existing")));
    await assertFails(getDocs(collection(db(), c)));
    await assertFails(setDoc(doc(db(), c, "new"), { status: "succeeded" }));
    await assertFails(setDoc(doc(db(), c, "existing"), { status: "refunded" }));
    await assertFails(deleteDoc(doc(db(), c, "existing")));
  });
});
