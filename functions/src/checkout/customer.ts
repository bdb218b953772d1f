/**
 * Find or create the one Stripe Customer of an email.
 *
 * 1. `stripe_customers/{sha256(email)}` maps the email to its customer (a returning shopper: 0 Stripe calls).
 * 2. On a miss, `customers.list({email})` (strongly consistent, unlike search) adopts a customer made
 *    elsewhere, e.g. in the Dashboard.
 * 3. Otherwise `customers.create` with an idempotency key derived from the email: calls racing for the same
 *    new email all get the same customer back from Stripe, which replays the first response for 24 h; after
 *    that the mapping document answers. The mapping is written create-only, so the first writer wins and a
 *    racer adopts what it finds.
 */
import { createHash } from "node:crypto";
import type Stripe from "stripe";
import { COLLECTIONS, db, isAlreadyExists, now } from "../shared/firestore";

export const emailKey = (email: string): string => createHash("sha256").update(email).digest("hex");

export async function findOrCreateCustomer(stripe: Stripe, email: string): Promise<string> {
  const key = emailKey(email);
  const ref = db().collection(COLLECTIONS.stripeCustomers).doc(key);
  const known = await ref.get();
  if (known.exists) return known.get("customerId") as string;

  const existing = await stripe.customers.list({ email, limit: 1 });
  const customer =
    existing.data[0] ??
    (await stripe.customers.create({ email, metadata: { source: "rolitt-preorder" } }, { idempotencyKey: `rolitt-customer-${key}` }));
  try {
    await ref.create({ customerId: customer.id, createdAt: now() });
    return customer.id;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return (await ref.get()).get("customerId") as string;
  }
}
