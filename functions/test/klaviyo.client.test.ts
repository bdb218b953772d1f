/**
 * klaviyo/client.ts with an injected fetch, sleep, clock and jitter: Klaviyo's retry rules inside the
 * invocation's budget, without a network or real waiting.
 */
import {
  backoffMs,
  DEFAULT_POLICY,
  KLAVIYO_REVISION,
  post,
  retryAfterMs,
  sendEvent,
  type ClientDeps,
  type RetryPolicy,
} from "../src/klaviyo/client";

type Answer = number | { status: number; headers?: Record<string, string>; body?: string } | Error;

/** A fake world: fetch answers from a script, sleep advances the clock, every call is recorded. */
function world(script: Answer[], start = 1_000_000) {
  let clock = start;
  const calls: Array<{ url: string; init: RequestInit; at: number }> = [];
  const sleeps: number[] = [];
  const deps: ClientDeps = {
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    fetch: async (url, init) => {
      calls.push({ url, init, at: clock });
      const a = script.shift();
      if (a === undefined) throw new Error("unexpected request");
      if (a instanceof Error) throw a;
      const spec = typeof a === "number" ? { status: a } : a;
      return new Response(spec.body ?? (spec.status >= 400 ? JSON.stringify({ errors: [{ code: "boom", detail: "it broke" }] }) : null), {
        status: spec.status,
        headers: spec.headers,
      });
    },
  };
  return { deps, calls, sleeps, advance: (ms: number) => (clock += ms), now: () => clock };
}

const P: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, timeoutMs: 5_000, minRequestMs: 500 };
const opts = (deps: ClientDeps, extra: Partial<Parameters<typeof post>[2]> = {}) => ({
  apiUrl: "http://k.test",
  privateKey: "pk_x",
  policy: P,
  deps,
  ...extra,
});

describe("retryAfterMs", () => {
  it.each([
    ["3", 3000],
    ["0", 0],
    ["1.5", 1500],
    ["-4", 0],
  ])("seconds %p → %p ms", (h, ms) => expect(retryAfterMs(h, 0)).toBe(ms));
  it("an HTTP date → the time until it, never negative", () => {
    const now = Date.parse("Tue, 24 Nov 2026 10:00:00 GMT");
    expect(retryAfterMs("Tue, 24 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Tue, 24 Nov 2026 09:59:00 GMT", now)).toBe(0);
  });
  it.each([null, "", "   ", "soon"])("absent or unreadable %p → null", (h) => expect(retryAfterMs(h as string | null, 0)).toBeNull());
});

describe("backoffMs", () => {
  it("doubles per attempt with jitter between half and all, capped at maxDelayMs", () => {
    expect(backoffMs(1, P, () => 0)).toBe(50);
    expect(backoffMs(1, P, () => 1)).toBe(100);
    expect(backoffMs(2, P, () => 0.5)).toBe(150);
    expect(backoffMs(3, P, () => 1)).toBe(400);
    expect(backoffMs(10, P, () => 1)).toBe(1_000);
  });
});

describe("post", () => {
  it("202 → ok after one request with Klaviyo's headers and the JSON body", async () => {
    const w = world([202]);
    const r = await sendEvent({ a: 1 }, opts(w.deps));
    expect(r).toEqual({ ok: true, attempts: 1, status: 202 });
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0]!.url).toBe("http://k.test/api/events");
    expect(w.calls[0]!.init.method).toBe("POST");
    expect(w.calls[0]!.init.headers).toEqual({
      Authorization: "Klaviyo-API-Key pk_x",
      revision: KLAVIYO_REVISION,
      "content-type": "application/vnd.api+json",
      accept: "application/vnd.api+json",
    });
    expect(w.calls[0]!.init.body).toBe('{"a":1}');
    expect(w.sleeps).toEqual([]);
  });

  it("posts to the path given", async () => {
    const w = world([200]);
    await post("/api/profile-import", {}, opts(w.deps));
    expect(w.calls[0]!.url).toBe("http://k.test/api/profile-import");
  });

  it.each([400, 401, 403, 404, 409, 413, 415])("%i → final at once, not retryable, Klaviyo's error detail kept", async (status) => {
    const w = world([status]);
    const r = await sendEvent({}, opts(w.deps));
    expect(r).toEqual({ ok: false, retryable: false, attempts: 1, status, error: `${status} boom: it broke` });
    expect(w.calls).toHaveLength(1);
  });

  it("an error body that is not JSON is kept as text", async () => {
    const w = world([{ status: 400, body: "plain nope" }]);
    expect(await sendEvent({}, opts(w.deps))).toMatchObject({ error: "400 plain nope" });
  });

  it("5xx → retried with backoff, then ok", async () => {
    const w = world([503, 500, 202]);
    const r = await sendEvent({}, opts(w.deps));
    expect(r).toEqual({ ok: true, attempts: 3, status: 202 });
    expect(w.sleeps).toEqual([75, 150]);
  });

  it("5xx every time → retryable after maxAttempts, no sleep after the last", async () => {
    const w = world([502, 502, 502]);
    const r = await sendEvent({}, opts(w.deps));
    expect(r).toEqual({ ok: false, retryable: true, attempts: 3, status: 502, error: "502 boom: it broke" });
    expect(w.sleeps).toHaveLength(2);
  });

  it("a network error is retryable and retried", async () => {
    const w = world([new TypeError("fetch failed"), 202]);
    expect(await sendEvent({}, opts(w.deps))).toEqual({ ok: true, attempts: 2, status: 202 });
  });

  it("network errors every time → retryable, says network", async () => {
    const w = world([new TypeError("fetch failed"), new TypeError("fetch failed"), new TypeError("fetch failed")]);
    expect(await sendEvent({}, opts(w.deps))).toEqual({
      ok: false,
      retryable: true,
      attempts: 3,
      status: null,
      error: "network: fetch failed",
    });
  });

  it("a timeout is retryable and says timeout", async () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    const w = world([timeout, timeout, timeout]);
    expect(await sendEvent({}, opts(w.deps))).toMatchObject({
      ok: false,
      retryable: true,
      status: null,
      error: expect.stringMatching(/^timeout: /),
    });
  });

  it("each request's timeout is the policy's, shortened to what the budget has left", async () => {
    const w = world([202]);
    const spy = jest.spyOn(AbortSignal, "timeout");
    await sendEvent({}, opts(w.deps, { deadline: w.now() + 2_000 }));
    expect(spy).toHaveBeenLastCalledWith(2_000);
    const w2 = world([202]);
    await sendEvent({}, opts(w2.deps, { deadline: w2.now() + 60_000 }));
    expect(spy).toHaveBeenLastCalledWith(5_000);
    spy.mockRestore();
  });

  it("429 waits the whole Retry-After when it fits the budget (not capped at maxDelayMs)", async () => {
    const w = world([{ status: 429, headers: { "retry-after": "20" } }, 202]);
    const r = await sendEvent({}, opts(w.deps, { deadline: w.now() + 40_000 }));
    expect(r).toEqual({ ok: true, attempts: 2, status: 202 });
    expect(w.sleeps).toEqual([20_000]);
    expect(w.calls[1]!.at - w.calls[0]!.at).toBe(20_000);
  });

  it("429 with a Retry-After longer than the budget → no early retry; the wait goes back to the caller", async () => {
    const w = world([{ status: 429, headers: { "retry-after": "30" } }]);
    const r = await sendEvent({}, opts(w.deps, { deadline: w.now() + 10_000 }));
    expect(r).toEqual({ ok: false, retryable: true, attempts: 1, status: 429, error: "429 boom: it broke", retryAfterMs: 30_000 });
    expect(w.calls).toHaveLength(1);
    expect(w.sleeps).toEqual([]);
  });

  it("429 whose Retry-After plus one minimal request just does not fit → handed back", async () => {
    const w = world([{ status: 429, headers: { "retry-after": "10" } }]);
    const r = await sendEvent({}, opts(w.deps, { deadline: w.now() + 10_499 }));
    expect(r).toMatchObject({ retryAfterMs: 10_000 });
    const w2 = world([{ status: 429, headers: { "retry-after": "10" } }, 202]);
    expect(await sendEvent({}, opts(w2.deps, { deadline: w2.now() + 10_500 }))).toEqual({ ok: true, attempts: 2, status: 202 });
  });

  it("429 without Retry-After → backoff like a 5xx", async () => {
    const w = world([429, 202]);
    expect(await sendEvent({}, opts(w.deps))).toEqual({ ok: true, attempts: 2, status: 202 });
    expect(w.sleeps).toEqual([75]);
  });

  it("a 5xx's Retry-After is not Klaviyo's throttle: backoff, as for any 5xx", async () => {
    const w = world([{ status: 503, headers: { "retry-after": "20" } }, 202]);
    expect(await sendEvent({}, opts(w.deps))).toEqual({ ok: true, attempts: 2, status: 202 });
    expect(w.sleeps).toEqual([75]);
  });

  it("a 400 whose body cannot be read is still final, named by its status", async () => {
    const w = world([]);
    const broken = () => new ReadableStream({ start: (c) => c.error(new Error("connection reset")) });
    const deps = { ...w.deps, fetch: async () => new Response(broken(), { status: 400 }) };
    expect(await sendEvent({}, opts(deps))).toEqual({ ok: false, retryable: false, attempts: 1, status: 400, error: "400 " });
  });

  it("no request starts with less than minRequestMs left", async () => {
    const w = world([]);
    const r = await sendEvent({}, opts(w.deps, { deadline: w.now() + 499 }));
    expect(r).toEqual({ ok: false, retryable: true, attempts: 0, status: null, error: "no time left in this invocation" });
    expect(w.calls).toHaveLength(0);
  });

  it("a backoff that would overrun the budget ends the call instead of sleeping", async () => {
    const w = world([503]);
    const r = await sendEvent({}, opts(w.deps, { deadline: w.now() + 574 }));
    expect(r).toMatchObject({ ok: false, retryable: true, attempts: 1, status: 503 });
    expect(w.sleeps).toEqual([]);
    const w2 = world([503, 202]);
    expect(await sendEvent({}, opts(w2.deps, { deadline: w2.now() + 575 }))).toMatchObject({ ok: true, attempts: 2 });
  });

  it("time spent in a slow request counts against the budget", async () => {
    const w = world([503]);
    const slow = w.deps.fetch;
    w.deps.fetch = async (u, i) => {
      w.advance(9_600);
      return slow(u, i);
    };
    const r = await sendEvent({}, opts(w.deps, { deadline: w.now() + 10_000 }));
    expect(r).toMatchObject({ attempts: 1, retryable: true });
  });

  it("an aborted request says timeout; a thrown non-Error or null says network, with what was thrown", async () => {
    const abort = Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
    expect(await sendEvent({}, opts(world([abort, abort, abort]).deps))).toMatchObject({ error: "timeout: This operation was aborted" });
    const odd = world([]);
    const thrown: unknown[] = ["socket hang up", null, "again"];
    odd.deps.fetch = async () => {
      throw thrown.shift();
    };
    expect(await sendEvent({}, opts(odd.deps))).toMatchObject({ retryable: true, error: "network: again" });
    const once = world([]);
    once.deps.fetch = async () => {
      throw null;
    };
    expect(await sendEvent({}, opts(once.deps, { policy: { ...P, maxAttempts: 1 } }))).toMatchObject({ error: "network: null" });
  });

  it("what is kept of an error: 300 characters of a thrown message, 500 of Klaviyo's detail, 200 of a non-JSON body", async () => {
    const long = new TypeError("x".repeat(1_000));
    const thrown = await sendEvent({}, opts(world([long]).deps, { policy: { ...P, maxAttempts: 1 } }));
    expect(thrown.ok === false && thrown.error).toHaveLength(300);
    const detail = await sendEvent(
      {},
      opts(world([{ status: 400, body: JSON.stringify({ errors: [{ code: "c", detail: "d".repeat(1_000) }] }) }]).deps),
    );
    expect(detail.ok === false && detail.error).toHaveLength(500);
    const text = await sendEvent({}, opts(world([{ status: 400, body: "t".repeat(1_000) }]).deps));
    expect(text.ok === false && text.error).toBe(`400 ${"t".repeat(200)}`);
    const noErrors = await sendEvent({}, opts(world([{ status: 400, body: '{"message":"nope"}' }]).deps));
    expect(noErrors).toMatchObject({ error: '400 {"message":"nope"}' });
    const bare = await sendEvent({}, opts(world([{ status: 400, body: '{"errors":[{}]}' }]).deps));
    expect(bare).toMatchObject({ error: "400 : " });
  });

  it("without a deadline the budget is maxAttempts × (request timeout + longest backoff)", async () => {
    // each request takes 6 s: 3 × (5 s + 1 s) = 18 s leaves room for a third try after two (12.2 s)
    const w = world([503, 503, 503]);
    const fetch = w.deps.fetch;
    w.deps.fetch = async (url, init) => {
      w.advance(6_000);
      return fetch(url, init);
    };
    expect(await sendEvent({}, opts(w.deps))).toMatchObject({ attempts: 3, status: 503 });
  });

  it("the default policy: 3 attempts, 10 s per request", () => {
    expect(DEFAULT_POLICY).toEqual({ maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000, timeoutMs: 10_000, minRequestMs: 1_000 });
  });
});
