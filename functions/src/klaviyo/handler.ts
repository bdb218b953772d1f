/**
 * onPreorderWritten: a status change → its delivery to Klaviyo (the seed event for created / succeeded /
 * failed, a profile update for expired / refunded), and a consenting shopper's list subscription, each
 * through the exactly-once path of ./delivery.ts. Trigger events come at least once and in any order: each
 * delivery is claimed with a lease before it is sent, and what it writes on the profile is read at send time.
 * The trigger writes only `klaviyo_deliveries`, so it can never trigger itself.
 */
import type { DocumentSnapshot } from "firebase-admin/firestore";
import type { Change, FirestoreEvent } from "firebase-functions/v2/firestore";
import { isStatus } from "../preorder/status";
import { deliver, type DeliverOptions, type DeliveryKey } from "./delivery";
import { givenConsent } from "./subscribe";

export type WrittenEvent = FirestoreEvent<Change<DocumentSnapshot> | undefined, Record<string, string>>;

/**
 * What one invocation may spend on Klaviyo: the trigger runs with the default 60 s timeout, and the rest is
 * left for recording the outcome. A longer Retry-After is honoured by the next invocation instead.
 */
export const INVOCATION_BUDGET_MS = 45_000;

/** The moment of the transition: the write's updatedAt, else the trigger event's time. */
function transitionTime(after: Record<string, unknown>, eventTime: string): Date {
  const t = after.updatedAt as { toDate?: () => Date } | undefined;
  return typeof t?.toDate === "function" ? t.toDate() : new Date(eventTime);
}

/** The deliveries a write asks for (pure). */
export function deliveriesFor(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): DeliveryKey[] {
  if (!after) return [];
  const keys: DeliveryKey[] = [];
  const statusChanged = before?.status !== after.status && isStatus(after.status);
  // A refund applied before the payment (events in the same second, or reconciled oldest-first) moves a
  // preorder straight from unpaid to refunded. The buyer did pay: Success is still owed, or the reminder
  // flow ("Success zero times") would mail a refunded buyer that they haven't paid. Its unique_id makes a
  // second send impossible if the payment's own transition is seen too.
  if (statusChanged && after.status === "refunded" && before?.status !== "succeeded") keys.push("succeeded");
  if (statusChanged) keys.push(after.status as DeliveryKey);
  // consent: on any transition of a consenting preorder (the record makes repeats cheap), or when it is given
  if (givenConsent(after.marketingConsent) && (statusChanged || !givenConsent(before?.marketingConsent))) keys.push("subscribe");
  return keys;
}

export async function onPreorderWritten(event: WrittenEvent, opts: DeliverOptions = {}): Promise<void> {
  const before = event.data?.before?.data();
  const after = event.data?.after?.data();
  const keys = deliveriesFor(before, after);
  if (keys.length === 0) return;
  const preorderId = event.params.preorderId!;
  const started = Date.now();
  const results = await Promise.all(
    keys.map((key) =>
      deliver(
        {
          preorderId,
          key,
          mode: "trigger",
          snapshot: after,
          transitionAt: key === "subscribe" ? undefined : transitionTime(after!, event.time),
          firstSeenAt: new Date(event.time),
          deadline: started + INVOCATION_BUDGET_MS,
        },
        opts,
      ).then((r) => ({ key, ...r })),
    ),
  );
  const again = results.filter((r) => r.retry);
  // throwing hands the event back to Cloud Functions' retry (retry: true), with its own backoff
  if (again.length) throw new Error(`Klaviyo delivery not finished, will retry: ${again.map((r) => `${r.key}: ${r.error}`).join("; ")}`);
}
