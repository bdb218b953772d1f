/**
 * onPreorderWritten fired by the real Firestore + Functions emulators (no relay): a preorder's creation and
 * its success each reach the Klaviyo sink started by devtools/test-emulators.js, exactly once.
 */
import { newPreorder } from "../../src/preorder/new-preorder";
import { db, now } from "../../src/shared/firestore";

const SINK = process.env.ROLITT_SINK_URL!;
const sinkEvents = async (id: string) =>
  ((await (await fetch(`${SINK}/_sink/events`)).json()) as any[]).filter(
    (r) => r.outcome === "accepted" && r.body?.data?.attributes?.properties?.preorder_id === id,
  );

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
}

it("fires for the creation and the success, one Klaviyo event each", async () => {
  const id = `emu${Date.now()}`;
  const ref = db().collection("preorders").doc(id);
  const base = newPreorder({
    preorderId: id,
    preorderNumber: "ROL-55555555",
    email: "emu@example.com",
    color: "khaki",
    locale: "en",
    amount: 9900,
    currency: "usd",
    stripe: { sessionId: "cs_test_emu" },
  });
  await ref.set({ ...base, createdAt: now(), updatedAt: now() });
  await until(
    () => sinkEvents(id),
    (e) => e.length >= 1,
  );
  await ref.update({ status: "succeeded", "stripe.paymentIntentId": "pi_emu", updatedAt: now() });
  await ref.update({ customer: { name: "Emu", phone: null, shipping: null }, updatedAt: now() }); // no status change
  const events = await until(
    () => sinkEvents(id),
    (e) => e.length >= 2,
  );
  await new Promise((r) => setTimeout(r, 3000)); // room for a wrong extra event to arrive
  expect((await sinkEvents(id)).map((e) => e.body.data.attributes.metric.data.attributes.name)).toEqual([
    "Rolitt Preorder Started",
    "Rolitt Preorder Success",
  ]);
  expect(events).toHaveLength(2);
}, 90_000);
