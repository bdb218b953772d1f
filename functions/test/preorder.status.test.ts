/**
 * The status machine against DESIGN.md's lifecycle, every one of the 25 (from, to) pairs spelled out here
 * rather than derived from the code, so that a change to either side shows up as a failing row.
 */
import { canMove, isStatus, STATUSES, type PreorderStatus } from "../src/preorder/status";
import { fresh } from "./helpers/fresh";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = () => fresh(() => require("../src/preorder/status") as typeof import("../src/preorder/status"));

/**
 * DESIGN.md, "Status lifecycle": created → succeeded | failed | expired; failed → succeeded | expired (a retry
 * with another card inside the same session); succeeded → refunded; nothing moves backwards.
 * Beyond the table, status.ts documents one more move: a refund implies a payment, so a `charge.refunded`
 * that overtakes the payment's own event may take created or failed straight to refunded.
 */
const LIFECYCLE: Record<PreorderStatus, Record<PreorderStatus, boolean>> = {
  created: { created: false, failed: true, succeeded: true, expired: true, refunded: true },
  failed: { created: false, failed: false, succeeded: true, expired: true, refunded: true },
  succeeded: { created: false, failed: false, succeeded: false, expired: false, refunded: true },
  expired: { created: false, failed: false, succeeded: false, expired: false, refunded: false },
  refunded: { created: false, failed: false, succeeded: false, expired: false, refunded: false },
};

const PAIRS = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to, LIFECYCLE[from][to]] as const));

describe("the status lifecycle", () => {
  it("knows exactly the five statuses of the data contract, in lifecycle order", () => {
    expect(load().STATUSES).toEqual(["created", "failed", "succeeded", "expired", "refunded"]);
  });

  it("checks all 25 pairs", () => {
    expect(PAIRS).toHaveLength(25);
  });

  it.each(PAIRS)("%s → %s allowed: %s", (from, to, allowed) => {
    expect(load().canMove(from, to)).toBe(allowed);
  });

  it("never lets an expired preorder become succeeded (a payment after expiry is an anomaly, not a sale)", () => {
    expect(canMove("expired", "succeeded")).toBe(false);
  });

  it("never repeats a status: a same-status event is ordered by time elsewhere, not by the table", () => {
    for (const s of STATUSES) expect(canMove(s, s)).toBe(false);
  });

  it("has no way back: every status reachable from another is never followed by that other again", () => {
    for (const [from, to, allowed] of PAIRS) if (allowed) expect(canMove(to, from)).toBe(false);
  });

  it("ends in expired and refunded, from which nothing moves", () => {
    const terminal = STATUSES.filter((from) => STATUSES.every((to) => !canMove(from, to)));
    expect(terminal).toEqual(["expired", "refunded"]);
  });

  it("reaches refunded from every status that may carry a payment, and succeeded only through a payment", () => {
    expect(STATUSES.filter((from) => canMove(from, "refunded"))).toEqual(["created", "failed", "succeeded"]);
    expect(STATUSES.filter((from) => canMove(from, "succeeded"))).toEqual(["created", "failed"]);
  });
});

describe("isStatus", () => {
  it.each(STATUSES.map((s) => [s]))("accepts %s", (s) => {
    expect(load().isStatus(s)).toBe(true);
  });

  it.each([
    ["an upper-case status", "CREATED"],
    ["a status with a space", "created "],
    ["the empty string", ""],
    ["Stripe's own word for a session", "complete"],
    ["Stripe's own word for a payment", "paid"],
    ["an Array method's name", "includes"],
    ["null", null],
    ["undefined", undefined],
    ["a number", 0],
    ["a boolean", true],
    ["an array holding a status", ["created"]],
    ["a String object", new String("created")],
    ["an object", { status: "created" }],
  ])("rejects %s", (_label, value) => {
    expect(isStatus(value)).toBe(false);
  });
});
