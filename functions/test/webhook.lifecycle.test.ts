/**
 * Every lifecycle of DESIGN.md, made by the local Stripe server (events shaped and ordered as Stripe sends
 * them), delivered signed over HTTP to the real webhook: in order, reversed, and in 200 random orders with
 * every event repeated up to 3 times. The final preorder and the ledger must be the same every time.
 */
import type Stripe from "stripe";
import { decide } from "../src/webhook/decide";
import { toPreorderChange } from "../src/webhook/events";
import { EXPECTED, lifecycleKit, shuffled, type Doc, type Template } from "./helpers/lifecycles";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";
import { serveWebhook, type WebhookServer } from "./helpers/webhook";

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

/** Through HTTP and Firestore; the embedded Firestore server (~3 ms per RPC, one thread) bounds this. */
const RANDOM_ORDERS = Number(process.env.RANDOM_ORDERS ?? 40);
/** Through the pure core (toPreorderChange + decide) with an in-memory ledger: see simulate(). */
const PURE_RANDOM_ORDERS = 300;
const PARALLEL_RUNS = 8;

const { LIFECYCLES, run } = lifecycleKit(() => ({ stripe, hook }));

type Stored = NonNullable<Parameters<typeof decide>[0]> & Doc;

/** Firestore's update semantics for dotted keys, for the in-memory store below. */
function patch(doc: Doc, update: Record<string, unknown>): Doc {
  const out = structuredClone(doc);
  for (const [key, value] of Object.entries(update)) {
    const path = key.split(".");
    let at = out;
    for (const p of path.slice(0, -1)) at = at[p] ??= {};
    at[path.at(-1)!] = value;
  }
  return out;
}

/**
 * The webhook's transaction as pure steps (ledger check, toPreorderChange, decide, write) over an in-memory
 * store: what apply.ts does against Firestore, without the embedded server's per-RPC cost.
 */
function simulate(initial: Doc | null, preorderId: string, events: Stripe.Event[]) {
  const ledger = new Map<string, string>();
  const pis = new Map<string, string>();
  let doc: Doc | null = initial ? structuredClone(initial) : null;
  for (const event of events) {
    if (ledger.has(event.id)) continue;
    const m = toPreorderChange(event);
    if (m.kind === "ignored") {
      ledger.set(event.id, "ignored");
      continue;
    }
    const c = m.change;
    const target =
      c.preorderId ??
      (c.foreign
        ? preorderId
        : c.paymentIntentId && (pis.get(c.paymentIntentId) ?? (c.eventType === "charge.refunded" ? preorderId : null)));
    if (target !== preorderId) {
      ledger.set(event.id, "ignored");
      continue;
    }
    const d = decide(doc as Stored | null, c);
    ledger.set(event.id, d.outcome);
    if (d.create) doc = { ...d.create };
    if (d.update) doc = patch(doc!, d.update);
    const pi = doc?.stripe?.paymentIntentId;
    if (pi) pis.set(pi, preorderId);
  }
  return { doc, ledger: [...ledger.keys()].sort() };
}

describe.each(Object.keys(LIFECYCLES))("lifecycle: %s", (name) => {
  let template: Template;
  let reference: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    template = await LIFECYCLES[name]!();
    reference = await run(template, "_inorder", (e) => e);
  });

  it("in Stripe's order reaches the expected document, every delivery answered 200", () => {
    expect(reference.statuses.every((s) => s === 200)).toBe(true);
    EXPECTED[name]!(reference.doc!);
    expect(reference.ledger.every((l) => l !== null)).toBe(true);
    expect(reference.ledger.some((l) => l!.outcome === "applied")).toBe(true);
  });

  it("reversed reaches the same document", async () => {
    const reversed = await run(template, "_reversed", (e) => [...e].reverse());
    expect(reversed.statuses.every((s) => s === 200)).toBe(true);
    expect(reversed.doc).toEqual(reference.doc);
    expect(reversed.ledger.map((l) => l?.type)).toEqual(reference.ledger.map((l) => l?.type));
  });

  it(`through the pure core, in ${PURE_RANDOM_ORDERS} random orders with repeats, reaches the same document and ledger`, () => {
    const { createdAt: _c, updatedAt: _u, ...initial } = template.initial ?? {};
    const expected = simulate(template.initial ? initial : null, template.preorderId, template.events);
    expect(expected.doc).toMatchObject({
      status: reference.doc!.status,
      errorReason: reference.doc!.errorReason,
      customer: reference.doc!.customer,
    });
    for (let i = 0; i < PURE_RANDOM_ORDERS; i++) {
      const order = shuffled(template.events.flatMap((e) => Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => e)));
      expect(simulate(template.initial ? initial : null, template.preorderId, order)).toEqual(expected);
    }
  });

  it(`through HTTP and Firestore, in ${RANDOM_ORDERS} random orders with each event repeated up to 3 times reaches the same document and ledger`, async () => {
    const labels = Array.from({ length: RANDOM_ORDERS }, (_, i) => `_rnd${i}`);
    const results: Array<Awaited<ReturnType<typeof run>>> = [];
    for (let i = 0; i < labels.length; i += PARALLEL_RUNS) {
      results.push(
        ...(await Promise.all(
          labels
            .slice(i, i + PARALLEL_RUNS)
            .map((label) =>
              run(template, label, (events) =>
                shuffled(events.flatMap((e) => Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => e))),
              ),
            ),
        )),
      );
    }
    for (const r of results) {
      expect(r.statuses.every((s) => s === 200)).toBe(true);
      expect(r.doc).toEqual(reference.doc);
      // one ledger entry per distinct event, never a second one for a repeat
      expect(r.ledger.map((l) => l?.type)).toEqual(reference.ledger.map((l) => l?.type));
      expect(r.ledger.every((l) => l && ["applied", "stale", "ignored"].includes(l.outcome))).toBe(true);
    }
  });
});
