/**
 * Find or create the one Stripe Customer of an email, per Stripe mode.
 *
 * 1. `stripe_customers/{sha256(email)}_{test|live}` maps the email to its customer in that mode (a returning
 *    shopper: 0 Stripe calls). Test-mode ids never reach live mode and the other way round.
 * 2. On a miss, `customers.list({email})` (strongly consistent, unlike search) finds a customer this shop made
 *    earlier (`metadata.source`). A customer made elsewhere (Dashboard, another product) is never adopted:
 *    anyone can type an email, and Checkout on that customer would show its saved payment methods.
 * 3. Otherwise `customers.create` with an idempotency key derived from the email: calls racing for the same
 *    new email all get the same customer back (Stripe replays the first response for 24 h). The mapping is
 *    written create-only, so the first writer wins and a racer adopts what it finds.
 *
 * A mapped customer Stripe no longer has (deleted: 404 `resource_missing` or `deleted: true`) is replaced by
 * `replaceMissingCustomer`, so the mapping heals instead of failing every checkout of that email.
 */
import { createHash } from "node:crypto";
import type Stripe from "stripe";
import { COLLECTIONS, db, isAlreadyExists, now } from "../shared/firestore";

export type StripeMode = "test" | "live";
export const CUSTOMER_SOURCE = "rolitt-preorder";

export const emailKey = (email: string): string => createHash("sha256").update(email).digest("hex");

const mappingRef = (email: string, mode: StripeMode) =>
  db()
    .collection(COLLECTIONS.stripeCustomers)
    .doc(`${emailKey(email)}_${mode}`);

/** One of ours, still alive. */
const isOurs = (c: Stripe.Customer | Stripe.DeletedCustomer, not?: string): boolean =>
  !("deleted" in c && c.deleted) && c.id !== not && (c as Stripe.Customer).metadata?.source === CUSTOMER_SOURCE;

async function findOrMake(stripe: Stripe, email: string, idempotencyKey: string, not?: string): Promise<string> {
  const existing = await stripe.customers.list({ email, limit: 10 });
  const ours = existing.data.find((c) => isOurs(c, not));
  if (ours) return ours.id;
  const made = await stripe.customers.create({ email, metadata: { source: CUSTOMER_SOURCE } }, { idempotencyKey });
  return made.id;
}

export async function findOrCreateCustomer(stripe: Stripe, email: string, mode: StripeMode): Promise<string> {
  const ref = mappingRef(email, mode);
  const known = await ref.get();
  if (known.exists) return known.get("customerId") as string;

  // the mode in the key too: nothing of one mode (not even an idempotent replay) answers the other
  const customerId = await findOrMake(stripe, email, `rolitt-customer-${mode}-${emailKey(email)}`);
  try {
    await ref.create({ customerId, mode, createdAt: now() });
    return customerId;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return (await ref.get()).get("customerId") as string;
  }
}

/** Stripe refused `customer` as missing (a session create's `resource_missing` on param `customer`). */
export function isMissingCustomerError(err: unknown): boolean {
  const e = err as { type?: unknown; code?: unknown; param?: unknown };
  return e?.type === "StripeInvalidRequestError" && e.code === "resource_missing" && e.param === "customer";
}

/** Is this customer gone from Stripe: 404 `resource_missing`, or the `deleted: true` stub? */
async function isGone(stripe: Stripe, customerId: string): Promise<boolean> {
  try {
    const c = await stripe.customers.retrieve(customerId);
    return "deleted" in c && c.deleted === true;
  } catch (err) {
    const e = err as { statusCode?: unknown; code?: unknown };
    if (e?.statusCode === 404 || e?.code === "resource_missing") return true;
    throw err;
  }
}

/**
 * The mapped customer `deadId` is gone from Stripe: map the email to a live one. Returns null when Stripe
 * still has `deadId` (the refusal was about something else). Racers use the same idempotency key, derived
 * from the dead id, so they all get the same replacement.
 */
export async function replaceMissingCustomer(stripe: Stripe, email: string, mode: StripeMode, deadId: string): Promise<string | null> {
  if (!(await isGone(stripe, deadId))) return null;
  const customerId = await findOrMake(stripe, email, `rolitt-customer-${mode}-${emailKey(email)}-after-${deadId}`, deadId);
  const ref = mappingRef(email, mode);
  return db().runTransaction(async (tx) => {
    const current = await tx.get(ref);
    const mapped = current.get("customerId") as string | undefined;
    if (mapped && mapped !== deadId) return mapped; // someone healed it first
    tx.set(ref, { customerId, mode, createdAt: current.get("createdAt") ?? now(), replacedAt: now(), replaced: deadId });
    return customerId;
  });
}
