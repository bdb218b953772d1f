/**
 * Issue #14: what a stranger can do with the callable. Through the callable's `.run()` with the real Stripe SDK
 * against the local Stripe server and the real Admin SDK against the test Firestore; each test uses its own
 * client address so that limits do not leak between tests.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { createCheckoutSession } from "../src/index";
import { openCheckoutRef } from "../src/checkout/open-checkout";
import { db, firestoreModule } from "../src/shared/firestore";
import { counts } from "./helpers/firestore";
import { localStripePerTest, uniqueEmail as unique } from "./helpers/checkout";

const { Timestamp } = firestoreModule();
const stripe = localStripePerTest();

let ipSeq = 0;
/** A fresh client address per test, seen through Google's front end (client, then one proxy). */
const freshIp = () => `198.51.${Math.floor(Math.random() * 200)}.${(ipSeq++ % 250) + 1}`;

interface CallOpts {
  ip?: string;
  app?: unknown;
  rawBody?: Buffer;
  headers?: Record<string, string>;
}
const call = (data: unknown, o: CallOpts = {}) =>
  createCheckoutSession.run({
    data,
    rawRequest: {
      ip: "169.254.8.1",
      headers: { "x-forwarded-for": `${o.ip ?? freshIp()}, 66.102.8.142`, ...o.headers },
      rawBody: o.rawBody,
    } as never,
    acceptsStreaming: false,
    ...(o.app ? { app: o.app } : {}),
  } as never);

async function settle<T>(p: Promise<T>): Promise<{ ok: T } | { err: HttpsError }> {
  try {
    return { ok: await p };
  } catch (e) {
    return { err: e as HttpsError };
  }
}

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

/** Run `n` calls with at most `width` in flight. */
async function inWaves<T>(n: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await make(i);
      }
    }),
  );
  return out;
}

const sessionsCreated = () =>
  stripe()
    .requests()
    .filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions").length;
const TRACKED = ["preorders", "preorder_numbers", "stripe_customers", "open_checkouts", "rate_limits"];

describe("App Check", () => {
  it("is enforced by default (production): no token → unauthenticated, nothing written, Stripe not called", async () => {
    await withEnv({ ENFORCE_APP_CHECK: undefined }, async () => {
      const before = await counts(...TRACKED);
      const r = await settle(call({ email: unique("noapp"), color: "khaki" }));
      expect("err" in r && r.err.code).toBe("unauthenticated");
      expect(stripe().requests()).toHaveLength(0);
      expect(await counts(...TRACKED)).toEqual(before);
    });
  });

  it("with enforcement on, a call that carries a verified token (the debug token's, locally) goes through", async () => {
    await withEnv({ ENFORCE_APP_CHECK: "true" }, async () => {
      const ok = await call(
        { email: unique("debugtoken"), color: "khaki" },
        { app: { appId: "1:123:web:abc", token: { sub: "1:123:web:abc" } } },
      );
      expect(ok.sessionId).toMatch(/^cs_test_/);
    });
  });
});

describe("limits", () => {
  it("1,000 calls from one IP with 1,000 emails: at most the IP limit reaches Stripe and Firestore, the rest wait politely", async () => {
    await withEnv({ RATE_LIMIT_PER_IP_10MIN: "30" }, async () => {
      const ip = freshIp();
      const before = await counts("preorders", "stripe_customers", "open_checkouts");
      // the limit is per fixed 10-minute window: a run that crosses a boundary (xx:x0:00) gets a second allowance
      const windowNow = () => Math.floor(Date.now() / 600_000);
      const firstWindow = windowNow();
      const results = await inWaves(1000, 25, (i) =>
        settle(call({ email: `flood${i}.${Date.now()}@example.com`, color: "khaki" }, { ip })),
      );
      const windows = windowNow() - firstWindow + 1;
      const ok = results.filter((r) => "ok" in r);
      const refused = results.flatMap((r) => ("err" in r ? [r.err] : []));
      expect(ok.length).toBeLessThanOrEqual(30 * windows);
      expect(ok.length).toBeGreaterThan(0);
      expect(refused.every((e) => e.code === "resource-exhausted")).toBe(true);
      const waits = refused.map((e) => (e.details as { retryAfterSeconds: number }).retryAfterSeconds);
      expect(Math.min(...waits)).toBeGreaterThan(0);
      expect(Math.max(...waits)).toBeLessThanOrEqual(600);
      expect(sessionsCreated()).toBe(ok.length);
      const after = await counts("preorders", "stripe_customers", "open_checkouts");
      expect(after.preorders - before.preorders).toBe(ok.length);
      expect(after.stripe_customers - before.stripe_customers).toBe(ok.length);
    });
  }, 180_000);

  it("refused calls count: malformed and oversized calls use up the IP's allowance before any Firestore or Stripe work", async () => {
    await withEnv({ RATE_LIMIT_PER_IP_10MIN: "4" }, async () => {
      const ip = freshIp();
      const before = await counts("preorders", "preorder_numbers", "stripe_customers", "open_checkouts");
      const bad = await settle(call({ email: "nope", color: "khaki" }, { ip }));
      expect("err" in bad && bad.err.code).toBe("invalid-argument");
      // a valid body padded past the 4 KiB cap
      const big = Buffer.from(JSON.stringify({ data: { email: "a@b.co", color: "khaki" } }) + " ".repeat(8 * 1024));
      const oversized = await settle(call({ email: unique("big"), color: "khaki" }, { ip, rawBody: big }));
      expect("err" in oversized && oversized.err.code).toBe("invalid-argument");
      expect("err" in oversized && oversized.err.message).toContain("4096 bytes");
      const huge = await settle(call({ email: "a@b.co", color: "khaki", extra: "x".repeat(50_000) }, { ip }));
      expect("err" in huge && huge.err.code).toBe("invalid-argument");
      expect(stripe().requests()).toHaveLength(0);
      expect(await counts("preorders", "preorder_numbers", "stripe_customers", "open_checkouts")).toEqual(before);

      expect("ok" in (await settle(call({ email: unique("fourth"), color: "khaki" }, { ip })))).toBe(true);
      const fifth = await settle(call({ email: unique("fifth"), color: "khaki" }, { ip }));
      expect("err" in fifth && fifth.err.code).toBe("resource-exhausted");
    });
  });

  it("the size cap: a body of exactly 4096 bytes goes through, 4097 does not; a declared Content-Length counts when the body is not at hand", async () => {
    const sized = (n: number) => {
      const body = JSON.stringify({ data: { email: unique("sized"), color: "khaki" } });
      return Buffer.from(body + " ".repeat(n - Buffer.byteLength(body)));
    };
    expect("ok" in (await settle(call({ email: unique("exact"), color: "khaki" }, { rawBody: sized(4096) })))).toBe(true);
    const over = await settle(call({ email: unique("over"), color: "khaki" }, { rawBody: sized(4097) }));
    expect("err" in over && [over.err.code, over.err.message]).toEqual(["invalid-argument", "The request is larger than 4096 bytes"]);
    const declared = await settle(call({ email: unique("declared"), color: "khaki" }, { headers: { "content-length": "5000" } }));
    expect("err" in declared && declared.err.code).toBe("invalid-argument");
    expect("ok" in (await settle(call({ email: unique("declared-ok"), color: "khaki" }, { headers: { "content-length": "200" } })))).toBe(
      true,
    );
  });

  it("a rate-limit refusal says which limit and how long to wait, in words the page shows", async () => {
    await withEnv({ RATE_LIMIT_PER_IP_10MIN: "1" }, async () => {
      const ip = freshIp();
      await call({ email: unique("first"), color: "khaki" }, { ip });
      const refused = await settle(call({ email: unique("second"), color: "khaki" }, { ip }));
      expect("err" in refused && refused.err.message).toBe("Too many preorder attempts, please wait and try again");
      const details = "err" in refused ? (refused.err.details as { limit: string; retryAfterSeconds: number }) : undefined;
      expect(details?.limit).toBe("ip");
      expect(details?.retryAfterSeconds).toBeGreaterThan(0);
      expect(details?.retryAfterSeconds).toBeLessThanOrEqual(600);
    });
  });

  it("5 new checkouts per email per hour, whatever the address; the refusal says how long to wait", async () => {
    await withEnv({ PREORDER_COLORS: "c1,c2,c3,c4,c5,c6,c7", RATE_LIMIT_PER_EMAIL_HOUR: "5" }, async () => {
      const email = unique("pest");
      for (const c of ["c1", "c2", "c3", "c4", "c5"]) expect((await call({ email, color: c })).sessionId).toMatch(/^cs_test_/);
      const sixth = await settle(call({ email, color: "c6" }));
      expect("err" in sixth && sixth.err.code).toBe("resource-exhausted");
      const d = ("err" in sixth && sixth.err.details) as { retryAfterSeconds: number; limit: string };
      expect(d.limit).toBe("email");
      // until the hour's window ends (not a short "busy" refusal): the count of the window is kept
      const untilHourEnd = 3600 - (Math.floor(Date.now() / 1000) % 3600);
      expect(Math.abs(d.retryAfterSeconds - untilHourEnd)).toBeLessThanOrEqual(2);
      // a repeat of an open checkout is not a new one: still answered
      expect((await call({ email, color: "c1" })).sessionId).toMatch(/^cs_test_/);
      expect(sessionsCreated()).toBe(5);
    });
  });

  it("a spoofed X-Forwarded-For does not buy a new allowance", async () => {
    await withEnv({ RATE_LIMIT_PER_IP_10MIN: "2" }, async () => {
      const real = freshIp();
      const spoofed = (fake: string) =>
        createCheckoutSession.run({
          data: { email: unique("spoof"), color: "khaki" },
          rawRequest: { ip: "169.254.8.1", headers: { "x-forwarded-for": `${fake}, ${real}, 66.102.8.142` } } as never,
          acceptsStreaming: false,
        } as never);
      const r = await Promise.all(["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"].map((f) => settle(spoofed(f))));
      expect(r.filter((x) => "ok" in x)).toHaveLength(2);
    });
  });

  it("counters expire by themselves: every limiter document carries expireAt and no address or email", async () => {
    const ip = freshIp();
    const email = unique("ttl");
    await call({ email, color: "white" }, { ip });
    const docs = (await db().collection("rate_limits").get()).docs;
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.get("expireAt").toMillis()).toBeGreaterThan(Date.now());
      expect(JSON.stringify(d.data())).not.toContain(ip);
      expect(d.id).not.toContain(ip);
      expect(JSON.stringify(d.data())).not.toContain(email);
    }
    const open = (await db().collection("open_checkouts").get()).docs;
    for (const d of open) expect(d.get("expireAt").toMillis()).toBeGreaterThan(Date.now());
  });
});

describe("a second click is not a second order", () => {
  it("10 parallel calls for one email and colour → one preorder, one session, one customer, the same answer; another colour → a second", async () => {
    const email = unique("twice");
    const before = await counts("preorders", "preorder_numbers");
    const answers = await Promise.all(Array.from({ length: 10 }, () => call({ email, color: "black" })));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(sessionsCreated()).toBe(1);
    expect(
      stripe()
        .requests()
        .filter((r) => r.method === "POST" && r.path === "/v1/customers"),
    ).toHaveLength(1);
    const mid = await counts("preorders", "preorder_numbers");
    expect(mid.preorders - before.preorders).toBe(1);
    expect(mid.preorder_numbers - before.preorder_numbers).toBe(1);
    // one created preorder = one "Rolitt Preorder Started" (the trigger sends one per created preorder)
    const mine = (await db().collection("preorders").where("email", "==", email).get()).docs;
    expect(mine.map((d) => d.get("status"))).toEqual(["created"]);

    // later, sequentially: still the same
    expect(await call({ email, color: "black" })).toEqual(answers[0]);
    const other = await call({ email, color: "white" });
    expect(other.preorderId).not.toBe(answers[0]!.preorderId);
    expect(sessionsCreated()).toBe(2);
    expect((await db().collection("preorders").where("email", "==", email).get()).size).toBe(2);
    // still one Stripe customer for the email
    expect(stripe().server.state.listCustomers({ email }).data).toHaveLength(1);
  });

  it("once the preorder is paid (or its session expired) the next click is a new preorder", async () => {
    const email = unique("again");
    const first = await call({ email, color: "khaki" });
    await db().collection("preorders").doc(first.preorderId).update({ status: "succeeded" });
    const second = await call({ email, color: "khaki" });
    expect(second.preorderId).not.toBe(first.preorderId);
    await db().collection("preorders").doc(second.preorderId).update({ status: "expired" });
    const third = await call({ email, color: "khaki" });
    expect(new Set([first.preorderId, second.preorderId, third.preorderId]).size).toBe(3);
    expect(await call({ email, color: "khaki" })).toEqual(third);
  });

  it("a payment that failed keeps its session: the next click hands the same checkout back", async () => {
    const email = unique("declined");
    const first = await call({ email, color: "khaki" });
    await db().collection("preorders").doc(first.preorderId).update({ status: "failed" });
    expect(await call({ email, color: "khaki" })).toEqual(first);
  });

  it("a session less than 5 minutes from its end is not handed out again; one with more is", async () => {
    const email = unique("expiring");
    const first = await call({ email, color: "white" });
    const open = openCheckoutRef(email, "white");
    await open.update({ sessionExpiresAt: Timestamp.fromMillis(Date.now() + 6 * 60_000) });
    expect(await call({ email, color: "white" })).toEqual(first);
    await open.update({ sessionExpiresAt: Timestamp.fromMillis(Date.now() + 4 * 60_000) });
    const second = await call({ email, color: "white" });
    expect(second.preorderId).not.toBe(first.preorderId);
    expect((await open.get()).get("preorderId")).toBe(second.preorderId);
  });

  it("a claim left by a call that died (older than 90 s) is taken over at once", async () => {
    const email = unique("abandoned");
    const open = openCheckoutRef(email, "black");
    await open.set({
      state: "pending",
      claimant: "died",
      claimedAt: Timestamp.fromMillis(Date.now() - 91_000),
      expireAt: Timestamp.fromMillis(Date.now() + 24 * 3600_000),
    });
    const started = Date.now();
    const result = await call({ email, color: "black" });
    expect(Date.now() - started).toBeLessThan(5_000); // no waiting on a dead claimant
    expect((await open.get()).data()).toMatchObject({ state: "open", preorderId: result.preorderId });
  });

  it("a failed Stripe call releases the claim: the next click tries again", async () => {
    const email = unique("retry");
    stripe().server.failNext({ count: 3, status: 500, path: "/v1/checkout/sessions" });
    const failed = await settle(call({ email, color: "khaki" }));
    expect("err" in failed && failed.err.code).toBe("unavailable");
    const ok = await call({ email, color: "khaki" });
    expect(ok.sessionId).toMatch(/^cs_test_/);
  });
});
