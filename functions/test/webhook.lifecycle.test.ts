/**
 * Every lifecycle of DESIGN.md, made by the local Stripe server (events shaped and ordered as Stripe sends
 * them), delivered signed over HTTP to the real webhook: in order, reversed, and in random orders with
 * every event repeated up to 3 times. The final preorder and the ledger must be the same every time. An event
 * answered 500 (one that cannot be placed yet) is redelivered later, as Stripe does.
 * Besides our own sessions: Payment Link sales (refunded, disputed), a sale of another product, a $1 payment
 * that claims a preorder, partial refunds, disputes, and events stamped in the same second.
 */
import type Stripe from "stripe";
import { createCheckoutSession } from "../src/index";
import { decide, foreignPreorderId, foreignPreorderNumber } from "../src/webhook/decide";
import { toPreorderChange } from "../src/webhook/events";
import { db } from "../src/shared/firestore";
import { startLocalStripe, type LocalStripe } from "./helpers/stripe";
import { serveWebhook, type WebhookServer } from "./helpers/webhook";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dispute } = require("../../devtools/stripe-server/webhook-support");

/** The Payment Link that sells the offer (STRIPE_PAYMENT_LINKS); sessions of any other link are not ours. */
const OFFER_LINK = "plink_lifecycle_offer";

let stripe: LocalStripe;
let hook: WebhookServer;
beforeAll(async () => {
  process.env.STRIPE_PAYMENT_LINKS = `plink_other,${OFFER_LINK}`;
  stripe = await startLocalStripe();
  hook = await serveWebhook();
});
afterAll(async () => {
  delete process.env.STRIPE_PAYMENT_LINKS;
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
  /** The session's claim on a preorder (metadata / client_reference_id), as Stripe's session list shows it. */
  claimed: string | null;
  /** Whether a session no preorder knows sells the offer (its Payment Link is configured). */
  offer: boolean;
}

async function preorder(color = "khaki") {
  const email = `life.${Math.random().toString(36).slice(2, 10)}@example.com`;
  const r = await createCheckoutSession.run({ data: { email, color }, rawRequest: {} as never, acceptsStreaming: false } as never);
  const initial = (await db().collection("preorders").doc(r.preorderId).get()).data()!;
  return { preorderId: r.preorderId, sessionId: r.sessionId, initial, claimed: r.preorderId, offer: false };
}

/** A sale made outside the callable; the preorder it would become is `stripe-{sessionId}`. */
function foreign(opts: { paymentLink?: string; email?: string; amount?: number; currency?: string } = {}) {
  const sessionId: string = stripe.server.createForeignSession({ paymentLink: OFFER_LINK, ...opts });
  return { preorderId: foreignPreorderId(sessionId), sessionId, initial: null, claimed: null, offer: opts.paymentLink === undefined };
}

const sameSecond = <T>(f: () => T): T => {
  stripe.server.state.frozenAt = stripe.server.state.tick() + 1;
  try {
    return f();
  } finally {
    stripe.server.state.frozenAt = null;
  }
};

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
    const f = foreign({ email: "Walk.In@Example.com", amount: 12800, currency: "hkd" });
    return { ...f, events: stripe.server.state.pay(f.sessionId) };
  },
  "Payment Link sale, refunded": async () => {
    const f = foreign({ email: "link.buyer@example.com" });
    const s = stripe.server.state;
    return { ...f, events: [...s.pay(f.sessionId), ...s.refund(f.sessionId)] };
  },
  "Payment Link sale, two partial refunds": async () => {
    const f = foreign({ email: "link.partial@example.com" });
    const s = stripe.server.state;
    return {
      ...f,
      events: [...s.pay(f.sessionId), ...s.refund(f.sessionId, { amount: 4000 }), ...s.refund(f.sessionId, { amount: 5900 })],
    };
  },
  "sale of another product": async () => {
    const f = foreign({ paymentLink: "plink_someone_else", email: "tshirt@example.com", amount: 2500 });
    const s = stripe.server.state;
    return { ...f, events: [...s.pay(f.sessionId), ...s.refund(f.sessionId)] };
  },
  "a $1 Payment Link payment that claims a preorder": async () => {
    const p = await preorder();
    const sessionId: string = stripe.server.createForeignSession({ paymentLink: OFFER_LINK, amount: 100, clientReferenceId: p.preorderId });
    const s = stripe.server.state;
    return { ...p, sessionId, claimed: p.preorderId, events: [...s.pay(sessionId), ...s.refund(sessionId)] };
  },
  "pay then one partial refund": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    return { ...p, events: [...s.pay(p.sessionId), ...s.refund(p.sessionId, { amount: 2500 })] };
  },
  "pay then two partial refunds": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    return { ...p, events: [...s.pay(p.sessionId), ...s.refund(p.sessionId, { amount: 1 }), ...s.refund(p.sessionId, { amount: 9899 })] };
  },
  "dispute lost": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    const events = [...s.pay(p.sessionId)];
    events.push(
      ...dispute(s, p.sessionId),
      ...dispute(s, p.sessionId, { status: "under_review" }),
      ...dispute(s, p.sessionId, { outcome: "lost" }),
    );
    return { ...p, events };
  },
  "Payment Link sale, dispute won": async () => {
    const f = foreign({ email: "link.dispute@example.com" });
    const s = stripe.server.state;
    return { ...f, events: [...s.pay(f.sessionId), ...dispute(s, f.sessionId), ...dispute(s, f.sessionId, { outcome: "won" })] };
  },
  "two declines and a payment in the same second": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    const events = sameSecond(() => [
      ...s.decline(p.sessionId),
      ...s.decline(p.sessionId, { message: "Your card has insufficient funds." }),
      ...s.pay(p.sessionId),
    ]);
    return { ...p, events };
  },
  "two declines in the same second": async () => {
    const p = await preorder();
    const s = stripe.server.state;
    const events = sameSecond(() => [
      ...s.decline(p.sessionId),
      ...s.decline(p.sessionId, { message: "Your card has insufficient funds." }),
    ]);
    return { ...p, events };
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
  "Payment Link sale, refunded": (d) => {
    expect(d).toMatchObject({ status: "refunded", origin: "stripe", amountRefunded: 9900, email: "link.buyer@example.com" });
    expect(d.customer).toMatchObject({ name: "Ada Shopper", shipping: { address: { country: "HK" } } });
  },
  "Payment Link sale, two partial refunds": (d) => expect(d).toMatchObject({ status: "refunded", origin: "stripe", amountRefunded: 9900 }),
  "sale of another product": (d) => expect(d).toBeNull(),
  "a $1 Payment Link payment that claims a preorder": (d) =>
    expect(d).toMatchObject({ status: "created", flagged: true, amountRefunded: 0, stripe: { paymentIntentId: null } }),
  "pay then one partial refund": (d) => expect(d).toMatchObject({ status: "succeeded", amountRefunded: 2500, hold: null }),
  "pay then two partial refunds": (d) => expect(d).toMatchObject({ status: "refunded", amountRefunded: 9900 }),
  "dispute lost": (d) => {
    expect(d).toMatchObject({
      status: "succeeded",
      dispute: { status: "lost", outcome: "lost", reason: "fraudulent" },
      hold: { reason: "dispute", disputeId: d.dispute.id },
    });
    expect(d.hold.since).toBeTruthy();
  },
  "Payment Link sale, dispute won": (d) =>
    expect(d).toMatchObject({ status: "succeeded", origin: "stripe", hold: null, dispute: { status: "won", outcome: "won" } }),
  "two declines and a payment in the same second": (d) => expect(d).toMatchObject({ status: "succeeded", errorReason: null }),
  "two declines in the same second": (d) =>
    expect(d).toMatchObject({ status: "failed", errorReason: expect.stringMatching(/declined|insufficient/) }),
};

/** A copy of the template with every Stripe and preorder id suffixed, so that each run is its own order. */
function relabel(t: Template, run: string) {
  const ids = new Set<string>([t.preorderId, t.sessionId]);
  for (const e of t.events) {
    ids.add(e.id);
    const o = e.data.object as { id: string; payment_intent?: unknown; charge?: unknown };
    ids.add(o.id);
    if (typeof o.payment_intent === "string") ids.add(o.payment_intent);
    if (typeof o.charge === "string") ids.add(o.charge);
  }
  const sorted = [...ids].sort((a, b) => b.length - a.length);
  const map = (s: string) => sorted.reduce((acc, id) => acc.split(id).join(`${id}${run}`), s);
  const events = JSON.parse(map(JSON.stringify(t.events))) as Stripe.Event[];
  // the local Stripe server must know the relabelled objects (an event that comes first looks its session up)
  const st = stripe.server.state;
  for (const store of [st.paymentIntents, st.sessions, st.charges] as Array<Map<string, Doc>>) {
    for (const [id, o] of [...store]) if (ids.has(id)) store.set(`${id}${run}`, JSON.parse(map(JSON.stringify(o))));
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
  // Stripe redelivers what was answered 5xx; a round of redeliveries follows each pass, up to 4 passes
  let pending = order(r.events);
  const statuses: number[] = [];
  for (let pass = 0; pass < 4 && pending.length > 0; pass++) {
    const again: Stripe.Event[] = [];
    for (const e of pending) {
      const { status } = await hook.deliver(e);
      statuses.push(status);
      if (status >= 500) again.push(e);
    }
    pending = again;
  }
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
    /** every answer was 200, or 500 for an event not placeable yet that a redelivery then settled */
    settled: pending.length === 0 && statuses.every((s) => s === 200 || s === 500),
    retried: statuses.filter((s) => s === 500).length,
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
  });
});
