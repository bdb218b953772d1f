/**
 * The Firestore adapter. firebase-admin/firestore (gRPC, protobufs) is loaded on first use, so a function
 * that never touches Firestore does not pay for it at cold start.
 */
import type * as AdminFirestore from "firebase-admin/firestore";

type FirestoreModule = typeof AdminFirestore;
let mod: FirestoreModule | undefined;
let instance: AdminFirestore.Firestore | undefined;

export function firestoreModule(): FirestoreModule {
  if (!mod) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("firebase-admin/firestore") as FirestoreModule;
  }
  return mod;
}

export function db(): AdminFirestore.Firestore {
  if (!instance) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const app = require("firebase-admin/app") as typeof import("firebase-admin/app");
    // the default app, even when the process already holds named apps of its own
    const existing = app.getApps().find((a) => a.name === "[DEFAULT]");
    instance = firestoreModule().getFirestore(existing ?? app.initializeApp());
  }
  return instance;
}

/**
 * The time of a write, taken once per write so that fields written together agree (createdAt === updatedAt
 * on creation). Client time rather than a server transform: the embedded test server applies only the first
 * transform of a write, and Cloud Functions' clocks are synchronised.
 */
export const now = (): AdminFirestore.Timestamp => firestoreModule().Timestamp.now();

export const COLLECTIONS = {
  preorders: "preorders",
  preorderNumbers: "preorder_numbers",
  stripeCustomers: "stripe_customers",
  /** paymentIntentId → preorderId, for events that name only the PaymentIntent (charges, foreign PIs). */
  paymentIntents: "stripe_payment_intents",
  stripeEvents: "stripe_events",
  klaviyoDeliveries: "klaviyo_deliveries",
  /** `stripe`: the reconcile cursor, lease and last run's summary (one document) */
  reconcileState: "reconcile_state",
  /** one summary per reconcile run */
  reconcileRuns: "reconcile_runs",
  /** console: one record per admin action (who, what, when, result) */
  adminAudit: "admin_audit",
  /** console: per-day sharded funnel counters, and per-preorder marks of the metrics already counted */
  funnelCounters: "funnel_counters",
  funnelMarks: "funnel_marks",
  /** A Stripe object that claimed a preorder it does not belong to (webhook mismatch), for operations. */
  anomalies: "anomalies",
  /** per-IP / per-email limiter counters and tickets; expire through the `expireAt` TTL policy. */
  rateLimits: "rate_limits",
  /** `{sha256(email)}_{color}` → the open preorder and session a repeated click gets back; TTL `expireAt`. */
  openCheckouts: "open_checkouts",
} as const;

/** gRPC ALREADY_EXISTS, as raised by `DocumentReference.create()` on an existing document. */
export const isAlreadyExists = (err: unknown): boolean => (err as { code?: unknown })?.code === 6;
