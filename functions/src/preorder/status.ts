/**
 * The preorder status machine. Statuses only move forward: an older or repeated Stripe event can never
 * undo a newer state: a move the table below does not allow marks the event as stale (succeeded and
 * expired exclude each other; a refund ends the lifecycle).
 */
export const STATUSES = ["created", "failed", "succeeded", "expired", "refunded"] as const;
export type PreorderStatus = (typeof STATUSES)[number];

/** The lifecycle of DESIGN.md. A refund implies a success, so a refund that overtakes it may jump ahead. */
const NEXT: Record<PreorderStatus, readonly PreorderStatus[]> = {
  created: ["succeeded", "failed", "expired", "refunded"],
  failed: ["succeeded", "expired", "refunded"],
  succeeded: ["refunded"],
  expired: [],
  refunded: [],
};

export const canMove = (from: PreorderStatus, to: PreorderStatus): boolean => NEXT[from].includes(to);

export const isStatus = (value: unknown): value is PreorderStatus =>
  typeof value === "string" && (STATUSES as readonly string[]).includes(value);
