/**
 * The reconcile run, wired to the real adapters: Stripe's Events API (the shared Stripe client, which
 * retries 429s and network errors itself), the webhook's `applyEvent`, the ledger and the state document.
 * `scheduledReconcile` is what the scheduled function runs every 15 minutes: the Stripe pass, then the
 * sweep of preorders that can't still be open, then re-driving stuck Klaviyo deliveries (klaviyo/redrive's
 * `redriveStuck`), all under one lease; its summary, with each step's counts, is stored and logged. `backfill` is the same pass over every event since a date.
 */
import { randomBytes } from "node:crypto";
import { logger } from "firebase-functions/logger";
import { stripeClient } from "../shared/stripe-client";
import { applyEvent } from "../webhook/apply";
import { HANDLED_EVENT_TYPES } from "../webhook/events";
import { DEFAULT_OPTIONS, reconcileEvents, type Deps, type RunOptions, type RunSummary } from "./run";
import { firestoreStore, recordedEvents } from "./store";
import type { RedriveSummary } from "../klaviyo/redrive";
import { redriveKlaviyo } from "./klaviyo-step";
import { sweepExpired, type SweepSummary } from "./sweep";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const newRunId = (prefix: string): string =>
  `${prefix}-${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}`;

export function realDeps(overrides: Partial<Deps> = {}): Deps {
  return {
    listEvents: async (params) => (await stripeClient()).events.list(params),
    applyEvent,
    recorded: recordedEvents,
    store: firestoreStore,
    nowMs: Date.now,
    sleep,
    ...overrides,
  };
}

export type ReconcileOptions = Partial<Omit<RunOptions, "mode" | "holder" | "types">>;

/** The scheduled run's summary: the Stripe pass, plus what its later steps did. */
export interface ScheduledSummary extends RunSummary {
  sweep?: SweepSummary | { error: string };
  klaviyo?: RedriveSummary | { error: string };
}

const errorOf = (err: unknown) => ({ error: String((err as Error)?.message ?? err).slice(0, 300) });

/** What a log line may carry: counts and ids, never an email. */
function logSummary(s: RunSummary): void {
  const line = { ...s, cursorBefore: s.cursorBefore?.created ?? null, cursorAfter: s.cursorAfter?.created ?? null };
  if (s.gap)
    logger.error("reconcile: the cursor is older than the 30 days Stripe keeps events; events in the gap are lost to reconciliation", {
      gap: s.gap,
    });
  if (s.error) logger.error("reconcile run stopped on an error; the cursor stays before it", line);
  else logger.info("reconcile run", line);
}

export async function scheduledReconcile(
  opts: ReconcileOptions = {},
  deps: Deps = realDeps(),
  redrive: () => Promise<RedriveSummary> = redriveKlaviyo,
): Promise<ScheduledSummary> {
  const holder = newRunId("scheduled");
  const summary: ScheduledSummary = await reconcileEvents(deps, {
    ...DEFAULT_OPTIONS,
    ...opts,
    mode: { kind: "steady" },
    holder,
    types: HANDLED_EVENT_TYPES,
  });
  if (summary.skipped) {
    logger.info("reconcile: another run holds the lease; skipped", summary.skipped);
    return summary;
  }
  try {
    summary.sweep = await sweepExpired({
      retrieveSession: async (id) => (await stripeClient()).checkout.sessions.retrieve(id),
      nowMs: deps.nowMs,
      sleep: deps.sleep,
    });
  } catch (err) {
    summary.sweep = errorOf(err);
  }
  try {
    summary.klaviyo = await redrive();
  } catch (err) {
    summary.klaviyo = errorOf(err);
  }
  summary.finishedAt = deps.nowMs();
  summary.ms = summary.finishedAt - summary.startedAt;
  await firestoreStore.finish(holder, summary);
  logSummary(summary);
  return summary;
}

/** Every handled event since `since` (seconds), delivered or not; resumes a backfill of the same `since`. */
export async function backfill(since: number, opts: ReconcileOptions = {}, deps: Deps = realDeps()): Promise<RunSummary> {
  const holder = newRunId("backfill");
  const summary = await reconcileEvents(deps, {
    ...DEFAULT_OPTIONS,
    ...opts,
    mode: { kind: "backfill", since },
    holder,
    types: HANDLED_EVENT_TYPES,
  });
  if (!summary.skipped) await firestoreStore.finish(holder, summary);
  logSummary(summary);
  return summary;
}
