/**
 * POST /api/events with Klaviyo's retry rules: 429 waits Retry-After (bounded), 5xx / network errors /
 * timeouts back off exponentially with jitter, any other 4xx is final. Gives up after `maxAttempts` in
 * this invocation and says whether a later attempt may succeed.
 */
import { KLAVIYO_REVISION } from "./events-api";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000, timeoutMs: 10_000 };

export type SendResult =
  | { ok: true; attempts: number; status: number }
  | { ok: false; retryable: boolean; attempts: number; status: number | null; error: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export const backoffMs = (attempt: number, p: RetryPolicy, random = Math.random): number =>
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

export async function sendEvent(
  body: unknown,
  apiUrl: string,
  privateKey: string,
  policy: RetryPolicy = DEFAULT_POLICY,
): Promise<SendResult> {
  let last: Extract<SendResult, { ok: false }> = { ok: false, retryable: true, attempts: 0, status: null, error: "not attempted" };
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    let wait = backoffMs(attempt, policy);
    try {
      const res = await fetch(`${apiUrl}/api/events`, {
        method: "POST",
        headers: {
          Authorization: `Klaviyo-API-Key ${privateKey}`,
          revision: KLAVIYO_REVISION,
          "content-type": "application/vnd.api+json",
          accept: "application/vnd.api+json",
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      if (res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        return { ok: true, attempts: attempt, status: res.status };
      }
      const error = await errorDetail(res);
      if (res.status !== 429 && res.status < 500) return { ok: false, retryable: false, attempts: attempt, status: res.status, error };
      if (res.status === 429) wait = Math.min(policy.maxDelayMs, retryAfterMs(res.headers.get("retry-after")) ?? wait);
      last = { ok: false, retryable: true, attempts: attempt, status: res.status, error };
    } catch (err) {
      last = {
        ok: false,
        retryable: true,
        attempts: attempt,
        status: null,
        error: `network: ${String((err as Error).message ?? err)}`.slice(0, 300),
      };
    }
    if (attempt < policy.maxAttempts) await sleep(wait);
  }
  return last;
}
