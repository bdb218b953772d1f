/**
 * The lifecycles of DESIGN.md made by the local Stripe server, their expected final documents, and a runner
 * that delivers a relabelled copy of one (so each run is its own preorder) over HTTP to the real webhook.
 * Shared by the lifecycle suite (orders) and the concurrency suite (deliveries at once).
 */
import type Stripe from "stripe";
import { createCheckoutSession } from "../../src/index";
import { db } from "../../src/shared/firestore";
import { foreignPreorderNumber } from "../../src/webhook/decide";
import type { LocalStripe } from "./stripe";
import type { WebhookServer } from "./webhook";

export type Doc = Record<string, any>;
export interface Template {
  preorderId: string;
  sessionId: string;
  initial: Doc | null;
  events: Stripe.Event[];
}

export const EXPECTED: Record<string, (doc: Doc) => void> = {
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

export function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The lifecycle generators and the runner, bound to a running local Stripe server and webhook. */
export function lifecycleKit(peers: () => { stripe: LocalStripe; hook: WebhookServer }) {
  const stripe = {
    get server() {
      return peers().stripe.server;
    },
  };
  const hook = { deliver: (e: unknown) => peers().hook.deliver(e) };

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

  /**
   * Deliver (one after another, or all at once), then read back the preorder and the ledger with the run's
   * labels removed.
   */
  async function run(t: Template, label: string, order: (events: Stripe.Event[]) => Stripe.Event[], { atOnce = false } = {}) {
    const r = relabel(t, label);
    if (r.initial) await db().collection("preorders").doc(r.preorderId).set(r.initial);
    const statuses: number[] = [];
    if (atOnce) statuses.push(...(await Promise.all(order(r.events).map((e) => hook.deliver(e)))).map((a) => a.status));
    else for (const e of order(r.events)) statuses.push((await hook.deliver(e)).status);
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

  return { LIFECYCLES, run };
}
