/**
 * Every lifecycle of DESIGN.md, made by the local Stripe server (events shaped and ordered as Stripe sends
 * them), delivered signed over HTTP to the real webhook: in order, reversed, and in random orders with
 * every event repeated up to 3 times. The final preorder and the ledger must be the same every time. An event
 * answered 500 (one that cannot be placed yet) is redelivered later, as Stripe does.
 * Besides our own sessions: Payment Link sales (refunded, disputed), a sale of another product, a $1 payment
 * that claims a preorder, partial refunds, disputes, and events stamped in the same second.
 */
import type Stripe from "stripe";
import { decide, foreignPreorderId } from "../src/webhook/decide";
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

const kit = lifecycleKit(() => ({ stripe, hook }));
const { run } = kit;
const LIFECYCLES = { ...kit.LIFECYCLES, ...kit.ACCOUNT_LIFECYCLES };

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
 * The webhook's transaction as pure steps (ledger check, toPreorderChange, placement, decide, write) over an
 * in-memory store: what apply.ts does against Firestore, without the embedded server's per-RPC cost. An event
 * whose session's preorder does not exist yet goes back in the queue, as Stripe redelivers it after a 500.
 */
function simulate(t: Template, initial: Doc | null, events: Stripe.Event[]) {
  const ledger = new Map<string, string>();
  const pis = new Map<string, string>();
  let doc: Doc | null = initial ? structuredClone(initial) : null;
  const queue = [...events];
  for (let guard = 0; queue.length > 0 && guard < 10 * events.length; guard++) {
    const event = queue.shift()!;
    if (ledger.has(event.id)) continue;
    const m = toPreorderChange(event);
    if (m.kind === "ignored") {
      ledger.set(event.id, "ignored");
      continue;
    }
    let c = m.change;
    let target: string | null = null;
    let mustExist = false;
    if (c.preorderId) target = c.preorderId;
    else if (c.foreign) target = t.offer ? foreignPreorderId(c.foreign.sessionId) : null;
    else if (c.paymentIntentId && pis.has(c.paymentIntentId)) target = pis.get(c.paymentIntentId)!;
    else if (c.paymentIntentId) {
      // Stripe's session list names the PaymentIntent's session (one session per template)
      c = { ...c, sessionId: t.sessionId };
      target = t.claimed ?? (t.offer ? foreignPreorderId(t.sessionId) : null);
      mustExist = !t.claimed;
    }
    if (target !== t.preorderId) {
      ledger.set(event.id, "ignored");
      continue;
    }
    if (mustExist && !doc) {
      queue.push(event);
      continue;
    }
    const d = decide(doc as Stored | null, c);
    ledger.set(event.id, d.outcome);
    if (d.outcome === "mismatch") doc = { ...doc!, flagged: true };
    if (d.create) doc = { ...d.create };
    if (d.update) doc = patch(doc!, d.update);
    const pi = doc?.stripe?.paymentIntentId;
    if (pi) pis.set(pi, t.preorderId);
  }
  expect(queue).toEqual([]);
  return { doc, ledger: [...ledger.keys()].sort() };
}

describe.each(Object.keys(LIFECYCLES))("lifecycle: %s", (name) => {
  let template: Template;
  let reference: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    template = await LIFECYCLES[name]!();
    reference = await run(template, "_inorder", (e) => e);
  });

  it("in Stripe's order reaches the expected document, every delivery answered 200 (or 500 then 200 on redelivery)", () => {
    expect(reference.settled).toBe(true);
    // only a sale made outside the callable can have events that come before its session's
    if (template.claimed) expect(reference.retried).toBe(0);
    EXPECTED[name]!(reference.doc!);
    expect(reference.ledger.every((l) => l !== null)).toBe(true);
    const outcomes = reference.ledger.map((l) => l!.outcome);
    if (!template.offer && !template.claimed) expect(new Set(outcomes)).toEqual(new Set(["ignored"]));
    else if (template.claimed && template.claimed === template.preorderId && template.sessionId !== reference.doc?.stripe.sessionId)
      expect(outcomes.filter((o) => o !== "ignored").every((o) => o === "mismatch") && outcomes.includes("mismatch")).toBe(true);
    else expect(outcomes).toContain("applied");
  });

  it("reversed reaches the same document", async () => {
    const reversed = await run(template, "_reversed", (e) => [...e].reverse());
    expect(reversed.settled).toBe(true);
    expect(reversed.doc).toEqual(reference.doc);
    expect(reversed.ledger.map((l) => l?.type)).toEqual(reference.ledger.map((l) => l?.type));
  });

  it(`through the pure core, in ${PURE_RANDOM_ORDERS} random orders with repeats, reaches the same document and ledger`, () => {
    const { createdAt: _c, updatedAt: _u, ...initial } = template.initial ?? {};
    const expected = simulate(template, template.initial ? initial : null, template.events);
    if (reference.doc) {
      const { hold, preorderNumber, ...rest } = reference.doc;
      expect(expected.doc).toMatchObject({ ...rest, hold: hold && { ...hold, since: expect.any(Date) } });
      if (preorderNumber !== "ROL-derived") expect(expected.doc!.preorderNumber).toBe(preorderNumber);
    } else expect(expected.doc).toBeNull();
    for (let i = 0; i < PURE_RANDOM_ORDERS; i++) {
      const order = shuffled(template.events.flatMap((e) => Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => e)));
      expect(simulate(template, template.initial ? initial : null, order)).toEqual(expected);
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
      expect(r.settled).toBe(true);
      expect(r.doc).toEqual(reference.doc);
      // one ledger entry per distinct event, never a second one for a repeat
      expect(r.ledger.map((l) => l?.type)).toEqual(reference.ledger.map((l) => l?.type));
      expect(r.ledger.every((l) => l && ["applied", "stale", "ignored", "mismatch"].includes(l.outcome))).toBe(true);
    }
    // ample for a loaded machine: about 5 s on an idle 2-core one
  }, 240_000);
});
