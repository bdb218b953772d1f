/**
 * Concurrent deliveries of the same events, of competing events of one preorder, and concurrent checkouts.
 * These outcomes rest on Firestore transactions (a transaction whose reads another commit changed is aborted
 * and retried by the Admin SDK). The embedded server models that (devtools/firestore-isolation.js); every test
 * here but the 30× delivery and the checkout burst fails with it switched off (`ROLITT_FIRESTORE_ISOLATION=0`;
 * figures and reasons in docs/concurrency.md). It also runs unchanged under the real emulator
 * (`npm run test:emulators`).
 *
 * The embedded server aborts a conflicting transaction at commit where Firestore would make it wait for a
 * lock, so under heavy contention on a loaded machine a delivery can exhaust the Admin SDK's 5 attempts and
 * be answered 500. Stripe redelivers a 5xx, so deliveries here do too (a few times, shortly): the outcome under
 * test is what Stripe and Firestore end with, and every event must end answered 200.
 */
import { createCheckoutSession } from "../src/index";
import { db } from "../src/shared/firestore";
import { emailKey } from "../src/checkout/customer";
import { EXPECTED, lifecycleKit, shuffled } from "./helpers/lifecycles";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";
import { serveWebhook, type WebhookServer } from "./helpers/webhook";

/** Lifecycles of each kind run at once (the issue asks for at least 20). */
const RUNS_PER_KIND = Number(process.env.CONCURRENT_RUNS ?? 20);
/** Deliveries of each event of a lifecycle, all at once, in random order. */
const COPIES = 3;
/** Contended tests wait on the Admin SDK's backoff (1 s, 1.5 s, 2.25 s, …): far beyond jest's default. */
const SLOW = 300_000;
/** Stripe-style redelivery of a 5xx, counted. */
let redeliveries = 0;

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
const kit = lifecycleKit(() => ({ stripe, hook }));
const { run } = kit;
/** Ours and a Dashboard sale, plus the account's harder cases whose events race for one preorder. */
const LIFECYCLES = {
  ...kit.LIFECYCLES,
  ...Object.fromEntries(
    ["Payment Link sale, refunded", "a $1 Payment Link payment that claims a preorder", "pay then two partial refunds"].map((name) => [
      name,
      kit.ACCOUNT_LIFECYCLES[name]!,
    ]),
  ),
};
afterAll(() => {
  if (redeliveries > 0) process.stderr.write(`webhook.concurrency: ${redeliveries} deliveries answered 5xx and redelivered\n`);
});

async function deliver(event: unknown): Promise<{ status: number; body: any }> {
  for (let attempt = 1; ; attempt++) {
    const answer = await hook.deliver(event);
    if (answer.status < 500 || attempt === 5) return answer;
    redeliveries++;
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
  }
}

const checkout = (email: string, color = "khaki") =>
  createCheckoutSession.run({ data: { email, color }, rawRequest: {} as never, acceptsStreaming: false } as never);
const uniqueEmail = (tag: string) => `${tag}.${Math.random().toString(36).slice(2, 10)}@example.com`;

describe("concurrent transactions", () => {
  it(
    "20 concurrent read-and-increment transactions on one document end at 20",
    async () => {
      const ref = db()
        .collection("concurrency_counters")
        .doc(`c${Math.random().toString(36).slice(2)}`);
      await ref.set({ n: 0 });
      await Promise.all(
        Array.from({ length: 20 }, () =>
          // More attempts than the default 5: the embedded server aborts where Firestore would wait for a lock.
          db().runTransaction(
            async (tx) => {
              const snap = await tx.get(ref);
              tx.update(ref, { n: (snap.get("n") as number) + 1 });
            },
            { maxAttempts: 20 },
          ),
        ),
      );
      expect((await ref.get()).get("n")).toBe(20);
    },
    SLOW,
  );
});

describe("concurrent webhook deliveries", () => {
  it(
    "one event delivered 30 times at once is applied exactly once, the rest are duplicates",
    async () => {
      const { preorderId, sessionId } = await checkout(uniqueEmail("conc"));
      const events = stripe.server.state.pay(sessionId);
      const completed = events.find((e: { type: string }) => e.type === "checkout.session.completed");
      const answers = await Promise.all(Array.from({ length: 30 }, () => deliver(completed)));
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      expect(answers.filter((a) => a.body.outcome === "applied")).toHaveLength(1);
      expect(answers.filter((a) => a.body.outcome === "duplicate")).toHaveLength(29);
      const ledger = (await db().collection("stripe_events").doc(completed.id).get()).data();
      expect(ledger).toMatchObject({ outcome: "applied", preorderId });
      const doc = (await db().collection("preorders").doc(preorderId).get()).data()!;
      expect(doc).toMatchObject({ status: "succeeded", errorReason: null, customer: { name: "Ada Shopper" } });
    },
    SLOW,
  );

  describe.each(Object.keys(LIFECYCLES))("lifecycle: %s", (name) => {
    it(
      `${RUNS_PER_KIND} runs at once, every event delivered ${COPIES}× at once in random order, each reach the in-order result`,
      async () => {
        const template = await LIFECYCLES[name]!();
        const reference = await run(template, "_inorder", (e) => e);
        EXPECTED[name]!(reference.doc!);
        const labels = Array.from({ length: RUNS_PER_KIND }, (_, i) => `_conc${i}`);
        const results = await Promise.all(
          labels.map((label) =>
            run(template, label, (events) => shuffled(events.flatMap((e) => Array.from({ length: COPIES }, () => e))), { atOnce: true }),
          ),
        );
        const wrong = results.filter(
          (r) =>
            // 200, or 500 for an event of a sale whose preorder did not exist yet, settled by Stripe's redelivery
            !r.settled ||
            JSON.stringify(r.doc) !== JSON.stringify(reference.doc) ||
            // one ledger entry per distinct event, never a second one for a repeat
            JSON.stringify(r.ledger.map((l) => l?.type)) !== JSON.stringify(reference.ledger.map((l) => l?.type)) ||
            !r.ledger.every((l) => l && ["applied", "stale", "ignored", "mismatch"].includes(l.outcome)),
        );
        // How many runs went wrong, and the first of them in full.
        expect({ wrong: wrong.length, first: wrong[0] }).toEqual({ wrong: 0, first: undefined });
      },
      SLOW,
    );
  });
});

describe("concurrent checkouts", () => {
  it(
    "20 parallel checkouts for one new email in three colours make one Stripe customer, one mapping and one open preorder per colour",
    async () => {
      const email = uniqueEmail("burst");
      const colors = Array.from({ length: 20 }, (_, i) => ["khaki", "black", "white"][i % 3]!);
      const results = await Promise.all(colors.map((color) => checkout(email, color)));
      expect(stripe.server.state.listCustomers({ email }).data).toHaveLength(1);
      const customerIds = await Promise.all(
        results.map(async (r) => (await db().collection("preorders").doc(r.preorderId).get()).get("stripe.customerId") as string),
      );
      expect(new Set(customerIds).size).toBe(1);
      expect(
        (
          await db()
            .collection("stripe_customers")
            .doc(`${emailKey(email)}_test`)
            .get()
        ).get("customerId"),
      ).toBe(customerIds[0]);
      // a repeated click (same email and colour) gets the open preorder back (#14); another colour is another order
      const byColor = new Map<string, Set<string>>();
      results.forEach((r, i) => byColor.set(colors[i]!, (byColor.get(colors[i]!) ?? new Set()).add(r.preorderId)));
      expect([...byColor.values()].map((ids) => ids.size)).toEqual([1, 1, 1]);
      expect(new Set(results.map((r) => r.preorderId)).size).toBe(3);
    },
    SLOW,
  );
});
