/**
 * The scheduled run's last step: Klaviyo deliveries left `retrying` after the platform's retries ended, or
 * `failed` for a reason that may have passed, re-driven through the klaviyo module's exactly-once path at a
 * bounded rate. Kept apart so that the Stripe pass never loads Klaviyo code.
 */
import type { RedriveSummary } from "../klaviyo/redrive";

/** Stuck = untouched for longer than the trigger's own retry window needs to have ended. */
export const REDRIVE = { limit: 200, perSecond: 5, olderThanMs: 30 * 60_000 };

export async function redriveKlaviyo(): Promise<RedriveSummary> {
  const { redriveStuck } = await import("../klaviyo/redrive");
  return redriveStuck(REDRIVE);
}
