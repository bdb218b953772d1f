/**
 * The scheduled reconcile run's last step: Klaviyo deliveries left stuck are re-driven once, through the
 * klaviyo module's exactly-once path, and the run's summary says how many.
 */
import { onPreorderWritten } from "../src/klaviyo/handler";
import { scheduledReconcile } from "../src/reconcile/handler";
import { db, firestoreModule } from "../src/shared/firestore";
import { preorderDoc, stages, startSink, triggerEvent } from "./helpers/klaviyo";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";

let k: Awaited<ReturnType<typeof startSink>>;
let stripe: LocalStripe;
beforeAll(async () => {
  k = await startSink();
  stripe = await startLocalStripe();
});
afterAll(async () => {
  await k.close();
  await stripe.close();
});

it("re-drives each stuck delivery once and records the count in the run's summary", async () => {
  await db().collection("reconcile_state").doc("stripe").delete();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `rk${Date.now().toString(36)}${i}`;
    const p = preorderDoc(id);
    const [snap] = await stages(id, [p]);
    k.sink.failNext({ count: 3, status: 503 }); // Klaviyo down through the trigger's attempts
    await onPreorderWritten(triggerEvent(id, null, snap!)).catch(() => undefined);
    // untouched for an hour: the platform's retries are over
    await db()
      .collection("klaviyo_deliveries")
      .doc(`${id}_created`)
      .update({ updatedAt: firestoreModule().Timestamp.fromMillis(Date.now() - 3_600_000) });
    ids.push(id);
  }
  k.sink.reset();

  const first = await scheduledReconcile({ minRequestIntervalMs: 0 });
  expect(first.klaviyo).toMatchObject({ redriven: expect.any(Number), sent: expect.any(Number), stillFailing: 0 });
  const sent = k.sink.events().map((e: any) => e.body.data.attributes.unique_id);
  for (const id of ids) expect(sent.filter((u: string) => u === `${id}:created`)).toHaveLength(1);
  expect((await db().collection("reconcile_state").doc("stripe").get()).get("lastRun.klaviyo")).toMatchObject({
    sent: first.klaviyo && (first.klaviyo as any).sent,
  });

  // the next run finds nothing stuck: nothing is sent twice
  const second = await scheduledReconcile({ minRequestIntervalMs: 0 });
  const again = k.sink.events().map((e: any) => e.body.data.attributes.unique_id);
  for (const id of ids) expect(again.filter((u: string) => u === `${id}:created`)).toHaveLength(1);
  expect((second.klaviyo as any).sent).toBe(0);
});
