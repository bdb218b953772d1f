/**
 * A second click is not a second order. `open_checkouts/{sha256(email)}_{color}` points at the open preorder of
 * that email and colour and its Checkout Session. A call first *claims* the document create-only (`pending`);
 * racers for the same email and colour wait for the claimant and get its answer. Once the preorder is written
 * the document turns `open` in the same batch. A later call within the session's lifetime (while the preorder
 * is still `created` or `failed`, so the session can still be paid) gets the same preorder and session back:
 * no new customer, session, preorder or Started event. A paid, expired or refunded preorder, or a session about
 * to expire, makes way for a new one. `expireAt` (the session's end) drives the Firestore TTL policy.
 */
import { randomUUID } from "node:crypto";
import { HttpsError } from "firebase-functions/v2/https";
import type * as AdminFirestore from "firebase-admin/firestore";
import { COLLECTIONS, db, firestoreModule, isAlreadyExists } from "../shared/firestore";
import { emailKey } from "./customer";

export interface CheckoutResult {
  preorderId: string;
  preorderNumber: string;
  sessionId: string;
  url: string;
}

/** A session closer than this to its end is not handed out again. */
const EXPIRY_MARGIN_MS = 5 * 60_000;
/** A claim older than this belongs to a call that died: it may be taken over. */
const PENDING_STALE_MS = 90_000;
/** How long a racer waits for the claimant's answer. */
const WAIT_MS = 20_000;
const POLL_MS = 150;
const REUSABLE = new Set(["created", "failed"]);

export type Claim =
  | { kind: "reuse"; result: CheckoutResult }
  | { kind: "claimed"; ref: AdminFirestore.DocumentReference; claimant: string; writeTime: AdminFirestore.Timestamp };

export const openCheckoutRef = (email: string, color: string) =>
  db()
    .collection(COLLECTIONS.openCheckouts)
    .doc(`${emailKey(email)}_${color}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** gRPC FAILED_PRECONDITION (an update-time precondition that no longer holds) or NOT_FOUND. */
const lostRace = (err: unknown): boolean => [5, 9].includes((err as { code?: number })?.code ?? -1) || isAlreadyExists(err);

export async function claimOrReuse(email: string, color: string): Promise<Claim> {
  const ref = openCheckoutRef(email, color);
  const claimant = randomUUID();
  const { Timestamp } = firestoreModule();
  const pending = () => ({
    state: "pending",
    claimant,
    claimedAt: Timestamp.now(),
    expireAt: Timestamp.fromMillis(Date.now() + 24 * 3600_000),
  });
  const deadline = Date.now() + WAIT_MS;

  for (;;) {
    const snap = await ref.get();
    try {
      if (!snap.exists) {
        const w = await ref.create(pending());
        return { kind: "claimed", ref, claimant, writeTime: w.writeTime };
      }
      const d = snap.data()!;
      if (d.state === "open" && (d.sessionExpiresAt as AdminFirestore.Timestamp).toMillis() - EXPIRY_MARGIN_MS > Date.now()) {
        const status = (
          await db()
            .collection(COLLECTIONS.preorders)
            .doc(d.preorderId as string)
            .get()
        ).get("status");
        if (REUSABLE.has(status)) {
          return {
            kind: "reuse",
            result: { preorderId: d.preorderId, preorderNumber: d.preorderNumber, sessionId: d.sessionId, url: d.url },
          };
        }
      } else if (d.state === "pending" && (d.claimedAt as AdminFirestore.Timestamp).toMillis() + PENDING_STALE_MS > Date.now()) {
        if (Date.now() > deadline) throw new HttpsError("aborted", "The same preorder is still being prepared, please retry");
        await sleep(POLL_MS);
        continue;
      }
      // closed, expiring or abandoned: take it over, unless someone else changed it since we read it
      const w = await ref.update(pending(), { lastUpdateTime: snap.updateTime! });
      return { kind: "claimed", ref, claimant, writeTime: w.writeTime };
    } catch (err) {
      if (lostRace(err)) continue;
      throw err;
    }
  }
}

/** The claim's final state, written in the same batch as the preorder. */
export function openState(claim: Extract<Claim, { kind: "claimed" }>, result: CheckoutResult, sessionExpiresAtSec: number) {
  const { Timestamp } = firestoreModule();
  const at = Timestamp.fromMillis(sessionExpiresAtSec * 1000);
  return { state: "open", claimant: claim.claimant, ...result, sessionExpiresAt: at, expireAt: at };
}

/** Give the claim back after a failure, unless it has already changed hands. */
export async function release(claim: Extract<Claim, { kind: "claimed" }>): Promise<void> {
  await claim.ref.delete({ lastUpdateTime: claim.writeTime }).catch(() => undefined);
}
