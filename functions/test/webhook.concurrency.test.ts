/**
 * Concurrent deliveries of the same events, and of competing events of one preorder. The outcome relies on
 * Firestore transactions (a writer that read a document another writer changed is retried), which only
 * the real Firestore emulator implements: the embedded server has no isolation, so here this suite is
 * skipped with the reason printed. `npm run test:emulators` runs it where Java 21 is present.
 */
import { createCheckoutSession } from "../src/index";
import { db } from "../src/shared/firestore";
import { isRealEmulator } from "./helpers/firestore";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";
import { serveWebhook, type WebhookServer } from "./helpers/webhook";

const RUN = isRealEmulator() || process.env.ROLITT_FORCE_CONCURRENCY === "1";
if (!RUN) {
  process.stderr.write(
    "SKIPPED webhook concurrency suite: needs the real Firestore emulator (Java 21+) for transaction isolation; " +
      "the embedded server has none. Run `npm run test:emulators` on a machine with Java 21.\n",
  );
}
const suite = RUN ? describe : describe.skip;

suite("concurrent webhook deliveries (real Firestore emulator)", () => {
  let stripe: LocalStripe;
  let hook: WebhookServer;
  beforeAll(async () => {
    stripe = await startLocalStripe();
    hook = await serveWebhook();
  });
  afterAll(async () => {
    await hook.close();
    await stripe.close();
  });

  const preorder = async () =>
    createCheckoutSession.run({
      data: { email: `conc.${Math.random().toString(36).slice(2)}@example.com`, color: "khaki" },
      rawRequest: {} as never,
      acceptsStreaming: false,
    } as never);

  it("the same event delivered 10 times at once is applied once", async () => {
    const { preorderId, sessionId } = await preorder();
    const events = stripe.server.state.pay(sessionId);
    const completed = events.find((e: { type: string }) => e.type === "checkout.session.completed");
    const answers = await Promise.all(Array.from({ length: 10 }, () => hook.deliver(completed)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.outcome === "applied")).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === "duplicate")).toHaveLength(9);
    const ledger = (await db().collection("stripe_events").doc(completed.id).get()).data();
    expect(ledger).toMatchObject({ outcome: "applied", preorderId });
  });

  it("every event of a lifecycle delivered 5 times, all at once, reaches the in-order result", async () => {
    const { preorderId, sessionId } = await preorder();
    const s = stripe.server.state;
    const events = [...s.decline(sessionId), ...s.pay(sessionId), ...s.refund(sessionId)];
    const answers = await Promise.all(events.flatMap((e: unknown) => Array.from({ length: 5 }, () => hook.deliver(e))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const doc = (await db().collection("preorders").doc(preorderId).get()).data()!;
    expect(doc).toMatchObject({ status: "refunded", errorReason: null, amountRefunded: 9900, customer: { name: "Ada Shopper" } });
    const ledger = await Promise.all(
      events.map(async (e: { id: string }) => (await db().collection("stripe_events").doc(e.id).get()).exists),
    );
    expect(ledger.every(Boolean)).toBe(true);
  });
});
