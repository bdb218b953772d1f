/**
 * The lifecycles of DESIGN.md made by the local Stripe server, their expected final documents, and a runner
 * that delivers a relabelled copy of one (so each run is its own preorder) over HTTP to the real webhook.
 * Shared by the lifecycle suite (orders) and the concurrency suite (deliveries at once). `LIFECYCLES` are our
 * own sessions' and a Dashboard sale; `ACCOUNT_LIFECYCLES` what else a real account sends (Payment Link sales
 * refunded or disputed, another product's sale, a $1 payment claiming a preorder, partial refunds, disputes,
 * same-second events). An event answered 500 (not placeable yet) is redelivered afterwards, as Stripe does.
 */
import type Stripe from "stripe";
import { createCheckoutSession } from "../../src/index";
import { db } from "../../src/shared/firestore";
import { foreignPreorderId, foreignPreorderNumber } from "../../src/webhook/decide";
import type { LocalStripe } from "./stripe";
import type { WebhookServer } from "./webhook";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dispute } = require("../../../devtools/stripe-server/webhook-support");

/** The Payment Link that sells the offer (STRIPE_PAYMENT_LINKS); sessions of any other link are not ours. */
export const OFFER_LINK = "plink_lifecycle_offer";

export type Doc = Record<string, any>;
export interface Template {
  preorderId: string;
  sessionId: string;
  initial: Doc | null;
  events: Stripe.Event[];
  /** The session's claim on a preorder (metadata / client_reference_id), as Stripe's session list shows it. */
  claimed: string | null;
  /** Whether a session no preorder knows sells the offer (its Payment Link is configured). */
  offer: boolean;
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
  // the Dashboard and Payment Link lifecycles sell the offer through this link
  process.env.STRIPE_PAYMENT_LINKS = `plink_other,${OFFER_LINK}`;

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

  /** Events made inside f() all carry one `created` second (Stripe's resolution). */
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
  };

  const ACCOUNT_LIFECYCLES: Record<string, () => Promise<Template>> = {
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
      const sessionId: string = stripe.server.createForeignSession({
        paymentLink: OFFER_LINK,
        amount: 100,
        clientReferenceId: p.preorderId,
      });
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

  /**
   * Deliver (one after another, or all at once), then read back the preorder and the ledger with the run's
   * labels removed.
   */
  async function run(
    t: Template,
    label: string,
    order: (events: Stripe.Event[]) => Stripe.Event[],
    {
      atOnce = false,
      deliver = (e: unknown) => hook.deliver(e),
    }: { atOnce?: boolean; deliver?: (e: unknown) => Promise<{ status: number }> } = {},
  ) {
    const r = relabel(t, label);
    if (r.initial) await db().collection("preorders").doc(r.preorderId).set(r.initial);
    const statuses: number[] = [];
    let pending = order(r.events);
    if (atOnce) {
      const answers = await Promise.all(pending.map((e) => deliver(e)));
      statuses.push(...answers.map((a) => a.status));
      pending = pending.filter((_, i) => answers[i]!.status >= 500);
    }
    // Stripe redelivers what was answered 5xx: up to 4 passes, one after another
    for (let pass = 0; pass < 4 && pending.length > 0; pass++) {
      const again: Stripe.Event[] = [];
      for (const e of pending) {
        const { status } = await deliver(e);
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
      statuses,
      /** every answer was 200, or 500 for an event not placeable yet that a redelivery then settled */
      settled: pending.length === 0 && statuses.every((s) => s === 200 || s === 500),
      retried: statuses.filter((s) => s === 500).length,
      doc: doc ? JSON.parse(r.unmap(JSON.stringify(stable))) : null,
      ledger: ledger.map((l) => (l ? { type: l.type, outcome: l.outcome } : null)),
    };
  }

  return { LIFECYCLES, ACCOUNT_LIFECYCLES, run };
}
