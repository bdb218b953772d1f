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
    if (app.getApps().length === 0) app.initializeApp();
    instance = firestoreModule().getFirestore();
  }
  return instance;
}

export const serverTimestamp = (): AdminFirestore.FieldValue => firestoreModule().FieldValue.serverTimestamp();

export const COLLECTIONS = {
  preorders: "preorders",
  preorderNumbers: "preorder_numbers",
  stripeCustomers: "stripe_customers",
  stripeEvents: "stripe_events",
  klaviyoDeliveries: "klaviyo_deliveries",
} as const;

/** gRPC ALREADY_EXISTS, as raised by `DocumentReference.create()` on an existing document. */
export const isAlreadyExists = (err: unknown): boolean => (err as { code?: unknown })?.code === 6;
