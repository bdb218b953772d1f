/**
 * What the Klaviyo profile says about a shopper, as a pure function of all of the shopper's preorders as they
 * are *now* (read when a request is sent, never taken from the trigger's old snapshot). Every request we send
 * carries these properties, so whatever order Klaviyo receives our requests in, the last one tells the truth.
 *
 * Rules (a shopper = an email; several preorders are possible):
 * - `preorder_paid`: true when any preorder is `succeeded` (paid and not refunded). "Paid wins": a shopper who
 *   has paid for one preorder gets no unpaid reminder and no failed-payment mail for another.
 * - `preorder_status`: `succeeded` when paid; otherwise the status of the latest preorder
 *   (`created` / `failed` / `expired` / `refunded`).
 * - `preorder_number`, `yoyo_color`, `stripe_order_id`, the profile's `locale`: the latest preorder's
 *   (latest = newest `createdAt`, then preorder id), what a retargeting ad or a reminder should show.
 * - `preorder_count`, `preorder_paid_count`: how many preorders, how many of them paid.
 */
import type { PreorderStatus } from "../preorder/status";

export interface ShopperPreorder {
  preorderId: string;
  preorderNumber: string;
  email: string;
  color: string;
  locale: string;
  status: PreorderStatus;
  stripe?: { sessionId?: string | null } | null;
  /** Epoch ms of creation (0 when unknown). */
  createdAtMs: number;
}

export interface ProfileProperties {
  preorder_paid: boolean;
  preorder_status: PreorderStatus;
  preorder_number: string;
  yoyo_color: string;
  stripe_order_id?: string;
  preorder_count: number;
  preorder_paid_count: number;
}

export interface ShopperProfile {
  email: string;
  locale: string;
  properties: ProfileProperties;
}

const newestFirst = (a: ShopperPreorder, b: ShopperPreorder): number =>
  b.createdAtMs - a.createdAtMs || (a.preorderId < b.preorderId ? 1 : a.preorderId > b.preorderId ? -1 : 0);

/** The shopper's profile from their preorders (at least one: the preorder being delivered). */
export function shopperProfile(preorders: readonly ShopperPreorder[]): ShopperProfile {
  if (preorders.length === 0) throw new Error("shopperProfile needs at least one preorder");
  const latest = [...preorders].sort(newestFirst)[0]!;
  const paid = preorders.filter((p) => p.status === "succeeded").length;
  const sessionId = latest.stripe?.sessionId;
  return {
    email: latest.email,
    locale: latest.locale,
    properties: {
      preorder_paid: paid > 0,
      preorder_status: paid > 0 ? "succeeded" : latest.status,
      preorder_number: latest.preorderNumber,
      yoyo_color: latest.color,
      ...(sessionId ? { stripe_order_id: sessionId } : {}),
      preorder_count: preorders.length,
      preorder_paid_count: paid,
    },
  };
}

/** A preorder document (as read from Firestore) → what the profile rules need. */
export function shopperPreorderOf(id: string, doc: Record<string, unknown>): ShopperPreorder {
  const created = doc.createdAt as { toMillis?: () => number } | undefined;
  return {
    preorderId: id,
    preorderNumber: String(doc.preorderNumber ?? ""),
    email: String(doc.email ?? ""),
    color: String(doc.color ?? ""),
    locale: String(doc.locale ?? "en"),
    status: doc.status as PreorderStatus,
    stripe: (doc.stripe as ShopperPreorder["stripe"]) ?? null,
    createdAtMs: typeof created?.toMillis === "function" ? created.toMillis() : 0,
  };
}

/**
 * POST /api/profile-import body: for transitions with no seed event (expired, refunded), so the profile is
 * brought up to date all the same.
 */
export function profileImportBody(profile: ShopperProfile): Record<string, unknown> {
  return {
    data: {
      type: "profile",
      attributes: { email: profile.email, locale: profile.locale, properties: { ...profile.properties } },
    },
  };
}
