/**
 * POST to Klaviyo's API with its retry rules, inside the time the invocation has left: 429 waits the whole
 * Retry-After when it fits the remaining budget, otherwise gives the wait back to the caller (`retryAfterMs`)
 * instead of retrying early; 5xx, network errors and timeouts back off exponentially with jitter; any other
 * 4xx is final. fetch, sleep, the clock and the jitter are injected so the rules are testable without a network.
 */
export const KLAVIYO_REVISION = "2026-07-15";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** One request's own timeout (shortened to what the budget has left). */
  timeoutMs: number;
  /** No request is started with less than this left before the deadline. */
  minRequestMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000, timeoutMs: 10_000, minRequestMs: 1_000 };

export interface ClientDeps {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
}

export const REAL_DEPS: ClientDeps = {
  fetch: (url, init) => fetch(url, init),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
  random: () => Math.random(),
};

export interface PostOptions {
  apiUrl: string;
  privateKey: string;
  policy?: RetryPolicy;
  /** Epoch ms by which this call must have returned (the invocation's budget). */
  deadline?: number;
  deps?: ClientDeps;
}

export type SendResult =
  | { ok: true; attempts: number; status: number }
  | {
      ok: false;
      retryable: boolean;
      attempts: number;
      status: number | null;
      error: string;
      /** Klaviyo asked for this wait (429) and it did not fit the budget: do not try before it has passed. */
      retryAfterMs?: number;
    };

type Failure = Extract<SendResult, { ok: false }>;

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (header.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": between half and all of base·2^(attempt−1), capped. */
export const backoffMs = (attempt: number, p: RetryPolicy, random: () => number): number =>
  Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1) * (0.5 + random() / 2));

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const first = (JSON.parse(text) as { errors?: Array<{ code?: string; detail?: string }> }).errors?.[0];
    if (first) return `${res.status} ${first.code ?? ""}: ${first.detail ?? ""}`.slice(0, 500);
  } catch {
    /* not JSON */
  }
  return `${res.status} ${text.slice(0, 200)}`;
}

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

export async function post(path: string, body: unknown, opts: PostOptions): Promise<SendResult> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const deps = opts.deps ?? REAL_DEPS;
  const deadline = opts.deadline ?? deps.now() + policy.maxAttempts * (policy.timeoutMs + policy.maxDelayMs);
  const left = () => deadline - deps.now();
  let last: Failure = { ok: false, retryable: true, attempts: 0, status: null, error: "no time left in this invocation" };

  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (left() < policy.minRequestMs) return last;
    let wait = backoffMs(attempt, policy, deps.random);
    try {
      const res = await deps.fetch(`${opts.apiUrl}${path}`, {
        method: "POST",
        headers: {
          Authorization: `Klaviyo-API-Key ${opts.privateKey}`,
          revision: KLAVIYO_REVISION,
          "content-type": "application/vnd.api+json",
          accept: "application/vnd.api+json",
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.min(policy.timeoutMs, left())),
      });
      if (res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        return { ok: true, attempts: attempt, status: res.status };
      }
      const error = await errorDetail(res);
      if (!isRetryableStatus(res.status)) return { ok: false, retryable: false, attempts: attempt, status: res.status, error };
      last = { ok: false, retryable: true, attempts: attempt, status: res.status, error };
      if (res.status === 429) {
        const asked = retryAfterMs(res.headers.get("retry-after"), deps.now());
        if (asked !== null) {
          // Klaviyo's wait is honoured in full: here if it fits, else by the caller's next invocation
          if (asked + policy.minRequestMs > left()) return { ...last, retryAfterMs: asked };
          wait = asked;
        }
      }
    } catch (err) {
      const e = err as Error;
      const what = e?.name === "TimeoutError" || e?.name === "AbortError" ? "timeout" : "network";
      last = { ok: false, retryable: true, attempts: attempt, status: null, error: `${what}: ${String(e?.message ?? err)}`.slice(0, 300) };
    }
    if (attempt < policy.maxAttempts) {
      if (wait + policy.minRequestMs > left()) return last;
      await deps.sleep(wait);
    }
  }
  return last;
}

export const sendEvent = (body: unknown, opts: PostOptions): Promise<SendResult> => post("/api/events", body, opts);
