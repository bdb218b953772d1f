/**
 * The preorder status machine. Statuses only move forward: an older or repeated Stripe event can never
 * undo a newer state. `rank` orders them so that a late event can be recognised as stale; two statuses of
 * the same rank (succeeded/expired) exclude each other.
 */
export const STATUSES = ["created", "failed", "succeeded", "expired", "refunded"] as const;
export type PreorderStatus = (typeof STATUSES)[number];

const RANK: Record<PreorderStatus, number> = {
  created: 0,
  failed: 1,
  succeeded: 2,
  expired: 2,
  refunded: 3,
};

/** The lifecycle of DESIGN.md. A refund implies a success, so a refund that overtakes it may jump ahead. */
const NEXT: Record<PreorderStatus, readonly PreorderStatus[]> = {
  created: ["succeeded", "failed", "expired", "refunded"],
  failed: ["succeeded", "expired", "refunded"],
  succeeded: ["refunded"],
  expired: [],
  refunded: [],
};

export const rank = (status: PreorderStatus): number => RANK[status];

export const canMove = (from: PreorderStatus, to: PreorderStatus): boolean => NEXT[from].includes(to);

export const isStatus = (value: unknown): value is PreorderStatus =>
  typeof value === "string" && (STATUSES as readonly string[]).includes(value);
