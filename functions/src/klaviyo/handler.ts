/**
 * onPreorderWritten: a status change → the seed event → schema checks → the Events API body → schema checks
 * → Klaviyo, once. `klaviyo_deliveries/{preorderId}_{status}` records each transition's delivery; a
 * redelivered trigger finds it `sent` and sends nothing, and Klaviyo's unique_id covers the moment between
 * a send and its record. The trigger writes only that collection, so it can never trigger itself.
 */
import type { DocumentSnapshot } from "firebase-admin/firestore";
import type { Change, FirestoreEvent } from "firebase-functions/v2/firestore";
import { logger } from "firebase-functions/logger";
import { klaviyoConfig } from "../config";
import { isStatus } from "../preorder/status";
import { maskEmail, type Preorder } from "../preorder/types";
import { COLLECTIONS, db, firestoreModule, now } from "../shared/firestore";
import { DEFAULT_POLICY, sendEvent, type RetryPolicy } from "./client";
import { toEventsApiBody } from "./events-api";
import { isNotified, seedEventFor, type PreorderView } from "./seed-event";
import { bodyProblems, seedEventProblems } from "./validate";

export type DeliveryState = "sent" | "retrying" | "failed" | "invalid";
/** States after which a transition is never sent again. */
const FINAL: readonly DeliveryState[] = ["sent", "failed", "invalid"];

export type WrittenEvent = FirestoreEvent<Change<DocumentSnapshot> | undefined, Record<string, string>>;

/** The moment of the transition: the write's updatedAt, else the trigger event's time. */
function transitionTime(after: Record<string, unknown>, eventTime: string): Date {
  const t = after.updatedAt as { toDate?: () => Date } | undefined;
  return typeof t?.toDate === "function" ? t.toDate() : new Date(eventTime);
}

export async function onPreorderWritten(event: WrittenEvent, policy: RetryPolicy = DEFAULT_POLICY): Promise<void> {
  const before = event.data?.before?.data();
  const after = event.data?.after?.data();
  if (!after || before?.status === after.status || !isStatus(after.status) || !isNotified(after.status)) return;

  const status = after.status;
  const preorderId = event.params.preorderId!;
  const ref = db().collection(COLLECTIONS.klaviyoDeliveries).doc(`${preorderId}_${status}`);
  const log = { preorderId, status, email: maskEmail(String(after.email ?? "")) };

  const record = await ref.get();
  if (record.exists && FINAL.includes(record.get("state"))) {
    logger.info("klaviyo delivery already settled; nothing sent", { ...log, state: record.get("state") });
    return;
  }

  const when = transitionTime(after, event.time);
  const view = { ...(after as Preorder), preorderId } as PreorderView;
  const seed = seedEventFor(view, status, when);
  const seedProblems = seedEventProblems(seed);
  const body = toEventsApiBody(seed, status, view.stripe?.sessionId ?? null, when);
  const problems = seedProblems.length ? seedProblems : bodyProblems(body);
  const base = { preorderId, status, event: seed.event, uniqueId: body.data.attributes.unique_id, updatedAt: now() };
  if (problems.length) {
    logger.error("klaviyo event failed its schema; not sent", { ...log, problems });
    await ref.set({ ...base, state: "invalid", errors: problems, lastError: "schema validation failed" }, { merge: true });
    return;
  }

  const config = klaviyoConfig();
  if (!config.privateKey) {
    logger.error("KLAVIYO_PRIVATE_KEY is not configured: event not sent", log);
    await ref.set({ ...base, body, state: "failed", lastError: "KLAVIYO_PRIVATE_KEY is not configured" }, { merge: true });
    return;
  }

  const result = await sendEvent(body, config.apiUrl, config.privateKey, policy);
  const attempts = firestoreModule().FieldValue.increment(result.attempts);
  if (result.ok) {
    await ref.set({ ...base, body, state: "sent", attempts, lastError: null, sentAt: base.updatedAt }, { merge: true });
    logger.info("klaviyo event sent", { ...log, event: seed.event, attempts: result.attempts });
    return;
  }
  const age = Date.now() - Date.parse(event.time);
  if (!result.retryable || age > config.maxEventAgeMs) {
    const why = result.retryable ? `gave up after ${Math.round(age / 60_000)} min: ${result.error}` : result.error;
    await ref.set({ ...base, body, state: "failed", attempts, lastError: why }, { merge: true });
    logger.error("klaviyo event failed for good", { ...log, error: why });
    return;
  }
  await ref.set({ ...base, body, state: "retrying", attempts, lastError: result.error }, { merge: true });
  logger.warn("klaviyo unavailable; the platform will retry", { ...log, error: result.error });
  // throwing hands the event back to Cloud Functions' retry (retry: true), with its own backoff
  throw new Error(`Klaviyo delivery failed, will retry: ${result.error}`);
}
