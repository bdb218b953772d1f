/**
 * Every lifecycle of DESIGN.md, made by the local Stripe server (events shaped and ordered as Stripe sends
 * them), delivered signed over HTTP to the real webhook: in order, reversed, and in 200 random orders with
 * every event repeated up to 3 times. The final preorder and the ledger must be the same every time.
 */
import type Stripe from "stripe";
import { createCheckoutSession } from "../src/index";
import { decide, foreignPreorderNumber } from "../src/webhook/decide";
import { toPreorderChange } from "../src/webhook/events";
import { db } from "../src/shared/firestore";
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

type Doc = Record<string, any>;
interface Template {
  preorderId: string;
  sessionId: string;
  initial: Doc | null;
  events: Stripe.Event[];
}

async function preorder(color = "khaki") {
  const email = `life.${Math.random().toString(36).slice(2, 10)}@example.com`;
  const r = await createCheckoutSession.run({ data: { email, color }, rawRequest: {} as never, acceptsStreaming: false } as never);
  const initial = (await db().collection("preorders").doc(r.preorderId).get()).data()!;
  return { preorderId: r.preorderId, sessionId: r.sessionId, initial };
}

const LIFECYCLES: Record<string, () => Promise<Template>> = {
  pay: async () => {
    const p = await preorder();
    return { ...p, events: stripe.server.state.pay(p.sessionId) };
  },
  "decline then pay": async () => {
    const p = await preorder("black");
    return { ...p, events: [...stripe.server.state.decline(p.sessionId), ...stripe.server.state.pay(p.sessionId)] };
  },
  "decline twice then expire": async () => {
    const p = await preorder("white");
    const s = stripe.server.state;
    return {
      ...p,
      events: [
        ...s.decline(p.sessionId),
        ...s.decline(p.sessionId, { message: "Your card has insufficient funds." }),
        ...s.expire(p.sessionId),
      ],
    };
  },
  "async payment succeeded": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    return { ...p, events: [...s.pay(p.sessionId, { async: true }), ...s.settle(p.sessionId, "succeeded")] };
  },
  "async payment failed": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    return { ...p, events: [...s.pay(p.sessionId, { async: true }), ...s.settle(p.sessionId, "failed")] };
  },
  "pay then refund": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    return { ...p, events: [...s.pay(p.sessionId), ...s.refund(p.sessionId)] };
  },
  "Dashboard-made session": async () => {
    const sessionId = stripe.server.createForeignSession({ email: "Walk.In@Example.com", amount: 12800, currency: "hkd" });
    return { preorderId: `stripe-${sessionId}`, sessionId, initial: null, events: stripe.server.state.pay(sessionId) };
  },
};

const EXPECTED: Record<string, (doc: Doc) => void> = {
  pay: (d) => {
    expect(d).toMatchObject({ status: "succeeded", errorReason: null, amountRefunded: 0 });
    expect(d.stripe.paymentIntentId).toMatch(/^pi_/);
    expect(d.customer).toEqual({
      name: "Ada Shopper",
      phone: "+85212345678",
      shipping: { name: "Ada Shopper", address: expect.objectContaining({ country: "HK", line1: "1 Harbour Road" }) },
    });
  },
  "decline then pay": (d) => expect(d).toMatchObject({ status: "succeeded", errorReason: null, color: "black" }),
  "decline twice then expire": (d) => expect(d).toMatchObject({ status: "expired", errorReason: null }),
  "async payment succeeded": (d) => expect(d).toMatchObject({ status: "succeeded", errorReason: null, customer: { name: "Ada Shopper" } }),
  "async payment failed": (d) => expect(d).toMatchObject({ status: "failed", errorReason: "The delayed payment failed" }),
  "pay then refund": (d) => expect(d).toMatchObject({ status: "refunded", amountRefunded: 9900, amount: 9900 }),
  "Dashboard-made session": (d) => {
    expect(d).toMatchObject({
      status: "succeeded",
      origin: "stripe",
      email: "walk.in@example.com",
      color: "unspecified",
      amount: 12800,
      currency: "hkd",
      locale: "en",
    });
    expect(d.preorderNumber).toBe("ROL-derived");
  },
};

/** A copy of the template with every Stripe and preorder id suffixed, so that each run is its own order. */
function relabel(t: Template, run: string) {
  const ids = new Set<string>([t.preorderId, t.sessionId]);
  for (const e of t.events) {
    ids.add(e.id);
    const o = e.data.object as { id: string; payment_intent?: unknown };
    ids.add(o.id);
    if (typeof o.payment_intent === "string") ids.add(o.payment_intent);
  }
  const sorted = [...ids].sort((a, b) => b.length - a.length);
  const map = (s: string) => sorted.reduce((acc, id) => acc.split(id).join(`${id}${run}`), s);
  const events = JSON.parse(map(JSON.stringify(t.events))) as Stripe.Event[];
  // the local Stripe server must know the relabelled PaymentIntents (a refund that comes first looks its PI up)
  for (const [id, pi] of stripe.server.state.paymentIntents as Map<string, Doc>) {
    if (ids.has(id)) stripe.server.state.paymentIntents.set(`${id}${run}`, JSON.parse(map(JSON.stringify(pi))));
  }
  let initial: Doc | null = null;
  if (t.initial) {
    const { createdAt, updatedAt, ...plain } = t.initial;
    initial = { ...JSON.parse(map(JSON.stringify(plain))), createdAt, updatedAt };
  }
  return { preorderId: `${t.preorderId}${run}`, events, initial, unmap: (s: string) => s.split(run).join("") };
}

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Deliver, then read back the preorder and the ledger with the run's labels removed. */
async function run(t: Template, label: string, order: (events: Stripe.Event[]) => Stripe.Event[]) {
  const r = relabel(t, label);
  if (r.initial) await db().collection("preorders").doc(r.preorderId).set(r.initial);
  const statuses: number[] = [];
  for (const e of order(r.events)) statuses.push((await hook.deliver(e)).status);
  const eventIds = [...new Set(r.events.map((e) => e.id))];
  const [docSnap, ...ledgerSnaps] = await db().getAll(
    db().collection("preorders").doc(r.preorderId),
    ...eventIds.map((id) => db().collection("stripe_events").doc(id)),
  );
  const doc = docSnap!.data();
  const ledger = ledgerSnaps.map((l) => l.data());
  const { createdAt: _c, updatedAt: _u, ...stable } = doc ?? {};
  if (stable.origin === "stripe") {
    // derived from the (relabelled) session id: check it, then compare the rest
    expect(stable.preorderNumber).toBe(foreignPreorderNumber(stable.stripe.sessionId));
    stable.preorderNumber = "ROL-derived";
  }
  return {
    statuses,
    doc: doc ? JSON.parse(r.unmap(JSON.stringify(stable))) : null,
    ledger: ledger.map((l) => (l ? { type: l.type, outcome: l.outcome } : null)),
  };
}

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
