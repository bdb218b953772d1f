/**
 * The one exactly-once path to Klaviyo, used by the trigger and by re-drives (./redrive.ts).
 *
 * `klaviyo_deliveries/{preorderId}_{key}` (key = a status, or `subscribe`) is claimed before anything is sent:
 * a transaction reads it and, unless it is settled or someone else holds an unexpired lease, takes a short
 * lease (`leaseOwner`, `leaseUntil`). The first claim `create()`s the record, so even a Firestore without
 * transaction isolation lets only one of many concurrent duplicates through. A duplicate that finds the lease
 * taken waits briefly for the holder's outcome and stands down; if the holder seems stuck it throws so the
 * platform retries it after the lease has expired (a crashed holder's lease simply runs out).
 *
 * The holder then reads the shopper's preorders *now* (./profile.ts), builds the request (the transition's
 * event, a profile update for statuses without one, or the consent subscription), validates it against the
 * schemas, sends it and records the outcome, releasing the lease. Klaviyo's unique_id still covers the
 * moment between a send and its record.
 */
import type { DocumentReference, DocumentSnapshot, Timestamp } from "firebase-admin/firestore";
import { logger } from "firebase-functions/logger";
import { klaviyoConfig, orderLinkSecret } from "../config";
import { colorName, shipWindow } from "../offer/content";
import { orderLink } from "../order/link";
import { isStatus, type PreorderStatus } from "../preorder/status";
import { maskEmail } from "../preorder/types";
import { COLLECTIONS, db, firestoreModule, now as firestoreNow } from "../shared/firestore";
import { DEFAULT_POLICY, post, REAL_DEPS, type ClientDeps, type RetryPolicy, type SendResult } from "./client";
import { attributionProperties, offerProperties, toEventsApiBody } from "./events-api";
import { profileImportBody, shopperPreorderOf, shopperProfile } from "./profile";
import { EVENT_NAMES, isNotified, seedEventFor, type PreorderView } from "./seed-event";
import { givenConsent, SUBSCRIBE_PATH, subscribeBody } from "./subscribe";
import { bodyProblems, profileImportProblems, seedEventProblems, subscribeProblems, type SchemaProblem } from "./validate";

export type DeliveryKey = PreorderStatus | "subscribe";
export type DeliveryState = "sent" | "retrying" | "failed" | "invalid";

export const isDeliveryKey = (k: unknown): k is DeliveryKey => k === "subscribe" || isStatus(k);
export const deliveryId = (preorderId: string, key: DeliveryKey): string => `${preorderId}_${key}`;

export interface DeliverOptions {
  policy?: RetryPolicy;
  client?: ClientDeps;
  /** How long a claim holds (ms); must outlast the holder's send and record. */
  leaseMs?: number;
  /** How long a duplicate waits for the lease holder's outcome before handing back to the platform. */
  waitForHolderMs?: number;
  /** This invocation's id as a lease owner (tests name them). */
  owner?: string;
}

export interface DeliverRequest {
  preorderId: string;
  key: DeliveryKey;
  /** trigger: the platform retries a thrown invocation; redrive: nothing retries it but the next re-drive. */
  mode: "trigger" | "redrive";
  /** The preorder as the trigger saw it: the transition's own data (event properties, e.g. the failure reason). */
  snapshot?: Record<string, unknown>;
  /** When the transition happened (the event's time in Klaviyo). */
  transitionAt?: Date;
  /** When the trigger event was first emitted: the age limit counts from it. */
  firstSeenAt?: Date;
  /** Epoch ms by which the send must be over. */
  deadline: number;
}

export interface DeliverResult {
  /** The record's state afterwards; `none` = no such delivery to re-drive; `busy` = another holder has it. */
  state: DeliveryState | "none" | "busy";
  /** Whether this call made Klaviyo accept the request. */
  sent: boolean;
  /** The trigger should throw so the platform retries. */
  retry: boolean;
  error?: string;
}

const LEASE_MARGIN_MS = 15_000;
const randomOwner = () => `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const millis = (t: unknown): number | null => (t && typeof (t as Timestamp).toMillis === "function" ? (t as Timestamp).toMillis() : null);
const dateOf = (t: unknown): Date | null => {
  const ms = millis(t);
  return ms === null ? null : new Date(ms);
};

type Claim =
  | { kind: "settled"; record: Record<string, unknown> | undefined }
  | { kind: "busy"; leaseUntil: number | null }
  | { kind: "claimed"; record: Record<string, unknown> | undefined };

/** A state after which this kind of caller sends nothing more. The trigger stops at `failed`; a re-drive retries a retryable one. */
function settled(record: Record<string, unknown> | undefined, mode: DeliverRequest["mode"]): boolean {
  const state = record?.state;
  if (state === "sent" || state === "invalid") return true;
  if (state === "failed") return mode === "trigger" || record?.retryable !== true;
  return false;
}

async function claim(ref: DocumentReference, req: DeliverRequest, owner: string, leaseMs: number): Promise<Claim> {
  const fs = firestoreModule();
  try {
    return await db().runTransaction(async (tx) => {
      const snap: DocumentSnapshot = await tx.get(ref);
      const record = snap.data();
      if (!snap.exists && req.mode === "redrive") return { kind: "settled", record: undefined } as Claim;
      if (settled(record, req.mode)) return { kind: "settled", record } as Claim;
      const now = Date.now();
      const leaseUntil = millis(record?.leaseUntil);
      if (leaseUntil !== null && leaseUntil > now && record?.leaseOwner !== owner) return { kind: "busy", leaseUntil } as Claim;
      const lease = { leaseOwner: owner, leaseUntil: fs.Timestamp.fromMillis(now + leaseMs), leasedAt: fs.Timestamp.fromMillis(now) };
      if (!snap.exists) {
        const at = firestoreNow();
        tx.create(ref, {
          preorderId: req.preorderId,
          key: req.key,
          status: req.key,
          state: "retrying",
          retryable: true,
          attempts: 0,
          lastError: "in flight",
          transitionAt: req.transitionAt ? fs.Timestamp.fromDate(req.transitionAt) : null,
          firstSeenAt: req.firstSeenAt ? fs.Timestamp.fromDate(req.firstSeenAt) : at,
          createdAt: at,
          updatedAt: at,
          ...lease,
        });
      } else {
        tx.update(ref, lease);
      }
      return { kind: "claimed", record } as Claim;
    });
  } catch (err) {
    // a concurrent duplicate created the record first: it holds the lease
    if ((err as { code?: unknown })?.code === 6) return { kind: "busy", leaseUntil: null };
    throw err;
  }
}

export interface Outcome {
  state: DeliveryState;
  retryable: boolean;
  lastError: string | null;
  attempts?: number;
  errors?: SchemaProblem[];
  body?: unknown;
  notBefore?: number | null;
  sent?: boolean;
}

async function record(ref: DocumentReference, o: Outcome, extra: Record<string, unknown> = {}): Promise<void> {
  const fs = firestoreModule();
  const at = firestoreNow();
  await ref.set(
    {
      ...extra,
      state: o.state,
      retryable: o.retryable,
      lastError: o.lastError,
      attempts: fs.FieldValue.increment(o.attempts ?? 0),
      ...(o.errors ? { errors: o.errors } : {}),
      ...(o.body ? { body: o.body } : {}),
      ...(o.sent ? { sentAt: at } : {}),
      notBefore: o.notBefore ? fs.Timestamp.fromMillis(o.notBefore) : null,
      updatedAt: at,
      leaseOwner: null,
      leaseUntil: null,
    },
    { merge: true },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A duplicate waits for the holder: settled → stand down; released → stand down (the holder's own retry owns it); expired → claim. */
async function waitForHolder(
  ref: DocumentReference,
  req: DeliverRequest,
  waitMs: number,
): Promise<"settled" | "released" | "expired" | "held"> {
  const until = Math.min(Date.now() + waitMs, req.deadline);
  let pause = 100;
  while (Date.now() + pause <= until) {
    await sleep(pause);
    pause = Math.min(pause * 2, 1_000);
    const r = (await ref.get()).data();
    if (settled(r, req.mode)) return "settled";
    const leaseUntil = millis(r?.leaseUntil);
    if (leaseUntil === null) return "released";
    if (leaseUntil <= Date.now()) return "expired";
  }
  return "held";
}

interface Built {
  path: string;
  body: unknown;
  problems: SchemaProblem[];
  /** Whether to record the body (events and profile updates; the subscription carries nothing more). */
  label: string;
}

/** The request for this delivery from the preorder as it is now (and the transition as the trigger saw it). */
function build(
  key: DeliveryKey,
  preorderId: string,
  current: Record<string, unknown>,
  shoppers: Array<{ id: string; data: Record<string, unknown> }>,
  snapshot: Record<string, unknown> | undefined,
  transitionAt: Date,
  listId: string,
  priorBody: unknown,
): Built | { skip: string } {
  const profile = shopperProfile(shoppers.map((s) => shopperPreorderOf(s.id, s.data)));
  if (key === "subscribe") {
    const consent = givenConsent(current.marketingConsent);
    if (!consent) return { skip: "the preorder carries no marketing consent" };
    const body = subscribeBody(profile.email, listId, consent.at.toDate());
    return { path: SUBSCRIBE_PATH, body, problems: subscribeProblems(body), label: "subscription" };
  }
  if (!isNotified(key)) {
    const body = profileImportBody(profile);
    return { path: "/api/profile-import", body, problems: profileImportProblems(body), label: "profile update" };
  }
  const sentBefore = priorBody as { data?: { type?: string; attributes?: { profile?: { data?: { attributes?: unknown } } } } } | undefined;
  if (!snapshot && sentBefore?.data?.type === "event" && sentBefore.data.attributes?.profile?.data) {
    // a re-drive: the transition's event as first built (its properties and time), with today's profile
    const body = structuredClone(sentBefore) as { data: { attributes: { profile: { data: { attributes: unknown } } } } };
    body.data.attributes.profile.data.attributes = { email: profile.email, locale: profile.locale, properties: { ...profile.properties } };
    return { path: "/api/events", body, problems: bodyProblems(body), label: EVENT_NAMES[key] };
  }
  const view = { ...(snapshot ?? current), preorderId } as PreorderView;
  const seed = seedEventFor(view, key, transitionAt);
  const seedProblems = seedEventProblems(seed);
  const extra = { ...attributionProperties(current.attribution), ...offerProperties(view, OFFER_WORDS, linkFor(preorderId, view.locale)) };
  const body = toEventsApiBody(seed, key, profile, transitionAt, extra);
  return { path: "/api/events", body, problems: seedProblems.length ? seedProblems : bodyProblems(body), label: seed.event };
}

const OFFER_WORDS = { colorName, shipWindow } as Parameters<typeof offerProperties>[1];

/** The signed order-lookup link for the mail; none when ORDER_LINK_SECRET is not configured. */
const linkFor = (preorderId: string, locale: string): string | null => (orderLinkSecret() ? orderLink(preorderId, locale) : null);

/** Reads the preorder and every preorder of the same shopper (a single-field equality query: no composite index). */
async function readShopper(preorderId: string, email: string | undefined) {
  const preorders = db().collection(COLLECTIONS.preorders);
  let mail = email;
  if (!mail) {
    const snap = await preorders.doc(preorderId).get();
    if (!snap.exists) return null;
    mail = String(snap.get("email") ?? "");
  }
  const q = await preorders.where("email", "==", mail).get();
  const shoppers = q.docs.map((d) => ({ id: d.id, data: d.data() }));
  const current = shoppers.find((s) => s.id === preorderId);
  return current ? { current: current.data, shoppers } : null;
}

export async function deliver(req: DeliverRequest, opts: DeliverOptions = {}): Promise<DeliverResult> {
  const ref = db().collection(COLLECTIONS.klaviyoDeliveries).doc(deliveryId(req.preorderId, req.key));
  const owner = opts.owner ?? randomOwner();
  const leaseMs = opts.leaseMs ?? Math.max(0, req.deadline - Date.now()) + LEASE_MARGIN_MS;
  const email = typeof req.snapshot?.email === "string" ? req.snapshot.email : undefined;
  const log = { preorderId: req.preorderId, key: req.key, mode: req.mode, ...(email ? { email: maskEmail(email) } : {}) };

  let c = await claim(ref, req, owner, leaseMs);
  for (let round = 0; c.kind === "busy" && round < 2; round++) {
    const seen = await waitForHolder(ref, req, opts.waitForHolderMs ?? 10_000);
    if (seen === "settled") {
      c = { kind: "settled", record: (await ref.get()).data() };
    } else if (seen === "released") {
      logger.info("klaviyo delivery handled by a concurrent invocation; standing down", log);
      return { state: "retrying", sent: false, retry: false };
    } else if (seen === "expired") {
      c = await claim(ref, req, owner, leaseMs);
    } else {
      logger.warn("klaviyo delivery leased by another invocation; the platform will retry", log);
      return { state: "busy", sent: false, retry: true, error: "leased by another invocation" };
    }
  }
  if (c.kind === "busy") return { state: "busy", sent: false, retry: true, error: "leased by another invocation" };
  if (c.kind === "settled") {
    const state = (c.record?.state as DeliveryState | undefined) ?? "none";
    logger.info("klaviyo delivery already settled; nothing sent", { ...log, state });
    return { state, sent: false, retry: false };
  }

  const prior = c.record;
  const config = klaviyoConfig();
  const notBefore = millis(prior?.notBefore);
  if (notBefore !== null && notBefore > Date.now()) {
    // Klaviyo asked us to wait (429 Retry-After): wait here if it fits, else hand back without a request
    if (notBefore + (opts.policy ?? DEFAULT_POLICY).minRequestMs > req.deadline) {
      const error = `Klaviyo asked to wait until ${new Date(notBefore).toISOString()}`;
      await record(ref, { state: "retrying", retryable: true, lastError: error, notBefore });
      return { state: "retrying", sent: false, retry: req.mode === "trigger", error };
    }
    await sleep(notBefore - Date.now());
  }

  const transitionAt = req.transitionAt ?? dateOf(prior?.transitionAt) ?? dateOf(req.snapshot?.updatedAt) ?? new Date();
  const firstSeenAt = dateOf(prior?.firstSeenAt) ?? req.firstSeenAt ?? new Date();
  const base = { preorderId: req.preorderId, key: req.key, status: req.key };

  if (!config.privateKey) {
    const error = "KLAVIYO_PRIVATE_KEY is not configured";
    logger.error(`${error}: nothing sent`, log);
    await record(ref, { state: "failed", retryable: true, lastError: error }, base);
    return { state: "failed", sent: false, retry: false, error };
  }
  if (req.key === "subscribe" && !config.listId) {
    const error = "KLAVIYO_LIST_ID is not configured: subscription is off";
    logger.info(error, log);
    await record(ref, { state: "failed", retryable: true, lastError: error }, base);
    return { state: "failed", sent: false, retry: false, error };
  }

  const shopper = await readShopper(req.preorderId, email);
  if (!shopper) {
    const error = "preorder not found";
    await record(ref, { state: "failed", retryable: false, lastError: error }, base);
    return { state: "failed", sent: false, retry: false, error };
  }
  const built = build(
    req.key,
    req.preorderId,
    shopper.current,
    shopper.shoppers,
    req.snapshot,
    transitionAt,
    config.listId ?? "",
    prior?.body,
  );
  if ("skip" in built) {
    await record(ref, { state: "failed", retryable: false, lastError: built.skip }, base);
    return { state: "failed", sent: false, retry: false, error: built.skip };
  }
  const extra = req.key === "subscribe" ? base : { ...base, event: built.label };
  if (built.problems.length) {
    logger.error("klaviyo request failed its schema; not sent", { ...log, problems: built.problems });
    await record(ref, { state: "invalid", retryable: false, lastError: "schema validation failed", errors: built.problems }, extra);
    return { state: "invalid", sent: false, retry: false, error: "schema validation failed" };
  }

  const result: SendResult = await post(built.path, built.body, {
    apiUrl: config.apiUrl,
    privateKey: config.privateKey,
    policy: opts.policy ?? DEFAULT_POLICY,
    deadline: req.deadline,
    deps: opts.client ?? REAL_DEPS,
  });
  const withBody = {
    ...extra,
    uniqueId: (built.body as { data?: { attributes?: { unique_id?: string } } }).data?.attributes?.unique_id ?? null,
  };
  if (result.ok) {
    await record(
      ref,
      { state: "sent", retryable: false, lastError: null, attempts: result.attempts, body: built.body, sent: true },
      withBody,
    );
    logger.info(`klaviyo ${built.label} sent`, { ...log, attempts: result.attempts });
    return { state: "sent", sent: true, retry: false };
  }
  if (!result.retryable) {
    await record(
      ref,
      { state: "failed", retryable: false, lastError: result.error, attempts: result.attempts, body: built.body },
      withBody,
    );
    logger.error(`klaviyo ${built.label} refused for good`, { ...log, error: result.error });
    return { state: "failed", sent: false, retry: false, error: result.error };
  }
  const age = Date.now() - firstSeenAt.getTime();
  const later = result.retryAfterMs !== undefined ? Date.now() + result.retryAfterMs : null;
  if (req.mode === "redrive" || age > config.maxEventAgeMs) {
    // no platform retry will follow: failed, but retryable, so a re-drive can pick it up
    const why =
      req.mode === "redrive" ? `re-drive failed: ${result.error}` : `gave up after ${Math.round(age / 60_000)} min: ${result.error}`;
    await record(
      ref,
      { state: "failed", retryable: true, lastError: why, attempts: result.attempts, body: built.body, notBefore: later },
      withBody,
    );
    logger.error(`klaviyo ${built.label} failed`, { ...log, error: why });
    return { state: "failed", sent: false, retry: false, error: why };
  }
  await record(
    ref,
    { state: "retrying", retryable: true, lastError: result.error, attempts: result.attempts, body: built.body, notBefore: later },
    withBody,
  );
  logger.warn("klaviyo unavailable; the platform will retry", { ...log, error: result.error });
  return { state: "retrying", sent: false, retry: true, error: result.error };
}
