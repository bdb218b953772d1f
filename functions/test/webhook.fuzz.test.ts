/** 1,000 generated malformed or forged requests: every one answered 4xx, none writes anything. */
import { createHmac } from "node:crypto";
import { counts } from "./helpers/firestore";
import { serveWebhook, signature, type WebhookServer } from "./helpers/webhook";

let hook: WebhookServer;
beforeAll(async () => {
  hook = await serveWebhook();
});
afterAll(() => hook.close());

/** A small seeded PRNG so that a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Req {
  kind: string;
  method: string;
  body: string;
  headers: Record<string, string>;
}

function generate(n: number, seed = 20261122): Req[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const hex = (len: number) => Array.from({ length: len }, () => "0123456789abcdef"[Math.floor(rnd() * 16)]).join("");
  const now = Math.floor(Date.now() / 1000);
  const goodEvent = () =>
    JSON.stringify({
      id: `evt_fz${hex(10)}`,
      object: "event",
      type: pick(["checkout.session.completed", "charge.refunded", "payment_intent.succeeded"]),
      created: now,
      data: {
        object: {
          id: `cs_${hex(8)}`,
          object: "checkout.session",
          mode: "payment",
          payment_status: "paid",
          metadata: { preorder_id: hex(20) },
        },
      },
    });
  const kinds: Array<() => Req> = [
    () => ({ kind: "unsigned event", method: "POST", body: goodEvent(), headers: {} }),
    () => {
      const body = goodEvent();
      return { kind: "forged v1", method: "POST", body, headers: { "stripe-signature": `t=${now},v1=${hex(64)}` } };
    },
    () => {
      const body = goodEvent();
      return {
        kind: "wrong secret",
        method: "POST",
        body,
        headers: { "stripe-signature": signature(body, { secret: `whsec_${hex(12)}` }) },
      };
    },
    () => {
      const body = goodEvent();
      const sig = signature(body);
      const i = Math.floor(rnd() * body.length);
      const tampered = body.slice(0, i) + String.fromCharCode(33 + Math.floor(rnd() * 90)) + body.slice(i + 1);
      return {
        kind: "tampered body",
        method: "POST",
        body: tampered === body ? `${body} ` : tampered,
        headers: { "stripe-signature": sig },
      };
    },
    () => {
      const body = goodEvent();
      return {
        kind: "expired timestamp",
        method: "POST",
        body,
        headers: { "stripe-signature": signature(body, { timestamp: now - 301 - Math.floor(rnd() * 1e6) }) },
      };
    },
    () => {
      const body = goodEvent();
      return {
        kind: "header garbage",
        method: "POST",
        body,
        headers: {
          "stripe-signature": pick(["", "t=", "v1=", "t=abc,v1=def", `v1=${hex(64)}`, "t=\u00ff,v1=\u00fe", `t=${now}`, hex(100)]),
        },
      };
    },
    () => {
      const body = pick(["{", "null", "[]", '"str"', "42", '{"id":', "<xml/>", "\u0000\u0001", "{}}", "true"]);
      return { kind: "signed bad JSON/non-event", method: "POST", body, headers: { "stripe-signature": signature(body) } };
    },
    () => {
      const e = JSON.parse(goodEvent());
      delete e[pick(["id", "type", "created", "data"])];
      const body = JSON.stringify(e);
      return { kind: "signed event missing a field", method: "POST", body, headers: { "stripe-signature": signature(body) } };
    },
    () => {
      const e = JSON.parse(goodEvent());
      const field = pick(["id", "type", "created", "data"]);
      e[field] = pick(field === "created" ? [null, "", "1700000000", [], {}, true, -5, 1.5] : [null, 1, "", [], {}, true]);
      if (typeof e.data === "object" && e.data && !Array.isArray(e.data) && !("object" in e.data)) e.data = { object: null };
      const body = JSON.stringify(e);
      return { kind: "signed event with a wrong-typed field", method: "POST", body, headers: { "stripe-signature": signature(body) } };
    },
    () => ({ kind: "wrong method", method: pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]), body: goodEvent(), headers: {} }),
    () => {
      const body = `{"id":"evt_big","pad":"${"x".repeat(520 * 1024 + Math.floor(rnd() * 100_000))}"}`;
      return { kind: "huge body", method: "POST", body, headers: { "stripe-signature": signature(body) } };
    },
    () => ({
      kind: "empty body",
      method: "POST",
      body: "",
      headers: { "stripe-signature": `t=${now},v1=${createHmac("sha256", "x").update("").digest("hex")}` },
    }),
  ];
  return Array.from({ length: n }, () => pick(kinds)());
}

it("answers 1,000 malformed or forged requests with 4xx and writes nothing", async () => {
  const requests = generate(1000);
  const before = await counts("preorders", "stripe_events", "preorder_numbers");
  const byKind = new Map<string, number>();
  const failures: string[] = [];
  for (let i = 0; i < requests.length; i += 25) {
    await Promise.all(
      requests.slice(i, i + 25).map(async (r) => {
        const res = await hook.post(r.body, r.headers, r.method);
        byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
        if (res.status < 400 || res.status >= 500) failures.push(`${r.kind} → ${res.status}`);
      }),
    );
  }
  expect(failures).toEqual([]);
  expect(byKind.size).toBeGreaterThanOrEqual(12);
  expect(await counts("preorders", "stripe_events", "preorder_numbers")).toEqual(before);
});
