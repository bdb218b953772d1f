/**
 * Smoke test of the local stack, as `npm start` runs it: the Functions and Hosting emulators on the built
 * code, the local Stripe server, the Klaviyo sink and the trigger relay. One preorder goes through it over
 * real HTTP: create (callable protocol), pay and refund (signed webhooks with their real raw bodies, one of
 * them through the Hosting rewrite), then the document and the sink are checked and everything stops.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require("../stack") as { startStack: (o: object) => Promise<any> };
import { initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";

const PROJECT = "demo-rolitt-smoke";
const firestore = getFirestore(initializeApp({ projectId: PROJECT }, PROJECT));
const db = () => firestore;

let stack: any;
beforeAll(async () => {
  stack = await startStack({
    projectId: PROJECT,
    dynamicPorts: true,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    log: process.env.DEBUG_STACK ? (l: string) => process.stderr.write(`${l}\n`) : undefined,
  });
}, 180_000);
afterAll(() => stack?.stop(), 30_000);

const callable = async (data: unknown) => {
  const res = await fetch(stack.urls.callable, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data }),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as any };
  } catch {
    return { status: res.status, body: text as any }; // e.g. the emulator's plain-text 404
  }
};

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it("refuses bad input over HTTP with INVALID_ARGUMENT naming the field", async () => {
  const res = await callable({ email: "nope", color: "khaki" });
  // one matcher for status and body, so a failure shows what answered
  expect(res).toMatchObject({ status: 400, body: { error: { status: "INVALID_ARGUMENT", details: { field: "email" } } } });
});

it("runs one preorder: create, pay, refund; the document and the Klaviyo sink agree", async () => {
  const email = `smoke.${Date.now()}@example.com`;
  const created = await callable({ email, color: "black", locale: "zh-HK" });
  expect(created).toMatchObject({ status: 200, body: { result: {} } });
  const { preorderId, sessionId, url } = created.body.result;
  expect(url).toBe(`${stack.urls.stripe}/c/pay/${sessionId}`);
  const ref = db().collection("preorders").doc(preorderId);
  expect((await ref.get()).data()).toMatchObject({ status: "created", email, color: "black", locale: "zh-HK" });

  // pay: the local Stripe server signs and POSTs its events to the emulated stripeWebhook
  const paid = await stack.stripe.act("pay", sessionId);
  expect(stack.stripe.deliveries.slice(-paid.length).map((d: any) => d.status)).toEqual(paid.map(() => 200));
  expect((await ref.get()).data()).toMatchObject({
    status: "succeeded",
    stripe: { sessionId, paymentIntentId: expect.stringMatching(/^pi_/) },
  });

  // refund, delivered through the Hosting rewrite /api/stripe-webhook
  const refund = await stack.stripe.act("refund", sessionId, {}, { url: stack.urls.hostedWebhook, duplicate: 1 });
  expect(stack.stripe.deliveries.slice(-refund.length * 2).map((d: any) => d.status)).toEqual(refund.flatMap(() => [200, 200]));
  expect((await ref.get()).data()).toMatchObject({ status: "refunded", amountRefunded: 9900 });
  const ledger = await db().collection("stripe_events").doc(refund[1].id).get();
  expect(ledger.data()).toMatchObject({ type: "charge.refunded", outcome: "applied", preorderId });

  // the relay hands each status change to onPreorderWritten, which posts to the sink
  await until(
    async () => (await db().collection("klaviyo_deliveries").doc(`${preorderId}_succeeded`).get()).get("state") === "sent",
    "the Success delivery",
  );
  await stack.relay!.settled();
  const names = stack.klaviyo
    .events()
    .filter((e: any) => e.body.data.attributes.properties.preorder_id === preorderId)
    .map((e: any) => e.body.data.attributes.metric.data.attributes.name);
  expect(names).toEqual(["Rolitt Preorder Started", "Rolitt Preorder Success"]);
});
