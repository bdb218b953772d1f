/**
 * reconcile/handler.ts, the runs operators start or read: the scheduled run and a backfill with the real
 * Firestore store, an empty Stripe account (injected listEvents) and the functions logger watched. What an
 * operator relies on: run ids that sort by time and say which kind of run holds the lease, the stored
 * summary, the lease released when a backfill ends, and the error lines their alerts are built on.
 */
import { logger } from "firebase-functions/logger";
import * as sweep from "../src/reconcile/sweep";
import { backfill, realDeps, scheduledReconcile } from "../src/reconcile/handler";
import { newPreorder } from "../src/preorder/new-preorder";
import { db, firestoreModule } from "../src/shared/firestore";
import { stripeClient } from "../src/shared/stripe-client";
import { startLocalStripe } from "./helpers/stripe";

const state = db().collection("reconcile_state").doc("stripe");
const runs = db().collection("reconcile_runs");
const emptyStripe = () => realDeps({ listEvents: async () => ({ data: [], has_more: false }) as never });
const FAST = { minRequestIntervalMs: 0 };
const NO_REDRIVE = async () => ({ examined: 0, redriven: 0, sent: 0, stillFailing: 0 });
const runId = (kind: string) => new RegExp(`^${kind}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z-[0-9a-f]{6}$`);
const nowSec = () => Math.floor(Date.now() / 1000);

beforeEach(() => state.delete());
afterEach(() => jest.restoreAllMocks());
afterAll(() => state.delete());

describe("backfill", () => {
  it("ends by releasing its lease and storing its summary under a time-sorted backfill- id", async () => {
    const s = await backfill(nowSec() - 7_200, FAST, emptyStripe());
    expect(s.runId).toMatch(runId("backfill"));
    expect(s.ms).toBe(s.finishedAt - s.startedAt);
    const st = (await state.get()).data()!;
    expect(st.lease).toBeNull(); // the next scheduled run is not skipped
    expect(st.lastRun).toMatchObject({ runId: s.runId, mode: "backfill" });
    expect((await runs.doc(s.runId).get()).exists).toBe(true);
  });

  it("while another run holds the lease: skipped, nothing stored, the holder's lease and last run untouched", async () => {
    const lease = { holder: "scheduled-other", until: Date.now() + 60_000 };
    await state.set({ lease, lastRun: { runId: "earlier" } });
    const info = jest.spyOn(logger, "info");
    const s = await backfill(nowSec() - 7_200, FAST, emptyStripe());
    expect(s.skipped).toEqual(lease);
    expect((await state.get()).data()).toMatchObject({ lease, lastRun: { runId: "earlier" } });
    expect((await runs.doc(s.runId).get()).exists).toBe(false);
    expect(info).toHaveBeenCalledWith("reconcile run", expect.objectContaining({ cursorBefore: null, cursorAfter: null }));
  });

  it("from further back than Stripe keeps events: an error line names the gap (what the alert fires on)", async () => {
    const error = jest.spyOn(logger, "error");
    const s = await backfill(nowSec() - 40 * 86_400, { ...FAST, maxPages: 3 }, emptyStripe());
    expect(s.gap).not.toBeNull();
    expect(error).toHaveBeenCalledWith(expect.stringContaining("older than the 30 days Stripe keeps events"), { gap: s.gap });
  });

  it("a run without a gap or an error logs one info line with the cursors' seconds, and no error", async () => {
    const error = jest.spyOn(logger, "error");
    const info = jest.spyOn(logger, "info");
    const s = await backfill(nowSec() - 7_200, FAST, emptyStripe());
    expect(error).not.toHaveBeenCalled();
    expect(info).toHaveBeenCalledWith(
      "reconcile run",
      expect.objectContaining({ runId: s.runId, cursorBefore: null, cursorAfter: s.cursorAfter?.created ?? null }),
    );
  });

  it("a run Stripe stops with an error logs it as an error, not as a normal run", async () => {
    const error = jest.spyOn(logger, "error");
    const info = jest.spyOn(logger, "info");
    const failing = realDeps({ listEvents: async () => Promise.reject(new Error("Stripe is down")) });
    const s = await backfill(nowSec() - 7_200, FAST, failing);
    expect(s.error).toContain("Stripe is down");
    expect(error).toHaveBeenCalledWith(
      "reconcile run stopped on an error; the cursor stays before it",
      expect.objectContaining({ runId: s.runId }),
    );
    expect(info).not.toHaveBeenCalledWith("reconcile run", expect.anything());
  });
});

describe("the scheduled run", () => {
  it("a failing sweep is recorded in the summary (cut to 300 characters) and the Klaviyo step still runs", async () => {
    const message = `9 FAILED_PRECONDITION: The query requires an index. ${"x".repeat(400)}`;
    jest.spyOn(sweep, "sweepExpired").mockRejectedValue(new Error(message));
    const redrive = jest.fn(NO_REDRIVE);
    const s = await scheduledReconcile(FAST, emptyStripe(), redrive);
    expect(s.runId).toMatch(runId("scheduled"));
    expect(s.sweep).toEqual({ error: message.slice(0, 300) });
    expect(redrive).toHaveBeenCalledTimes(1);
    expect(s.klaviyo).toEqual({ examined: 0, redriven: 0, sent: 0, stillFailing: 0 });
    expect(s.ms).toBe(s.finishedAt - s.startedAt);
    expect((await state.get()).get("lastRun")).toMatchObject({ runId: s.runId, sweep: { error: message.slice(0, 300) }, ms: s.ms });
  });
});

describe("the scheduled run's sweep, with Stripe", () => {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.map((id) => db().collection("preorders").doc(id).delete()));
  });

  const OFFER = { color: "khaki", locale: "en", amount: 9900, currency: "usd" } as const;
  /** A preorder `hoursAgo` old whose session Stripe has expired, as the callable and Stripe leave it. */
  async function abandoned(hoursAgo: number): Promise<{ id: string; sessionId: string }> {
    const id = db().collection("preorders").doc().id;
    made.push(id);
    const number = `ROL-${String(Date.now() + made.length).slice(-8)}`;
    const metadata = { preorder_id: id, preorder_number: number, color: OFFER.color, email: `${id}@example.com`, locale: OFFER.locale };
    const stripe = await stripeClient();
    const session = await stripe.checkout.sessions.create({
      mode: "payment",
      client_reference_id: id,
      metadata,
      line_items: [{ price_data: { currency: "usd", unit_amount: 9900, product_data: { name: "Rolitt" } }, quantity: 1 }],
      success_url: "https://example.com/ok",
    });
    await stripe.checkout.sessions.expire(session.id);
    const at = firestoreModule().Timestamp.fromMillis(Date.now() - hoursAgo * 3600_000);
    const doc = newPreorder({ ...OFFER, preorderId: id, preorderNumber: number, email: metadata.email });
    await db()
      .collection("preorders")
      .doc(id)
      .set({ ...doc, stripe: { sessionId: session.id, customerId: null, paymentIntentId: null }, createdAt: at, updatedAt: at });
    return { id, sessionId: session.id };
  }

  it("asks Stripe about each preorder left open over a day, a request at a time, and expires those Stripe expired; a younger one waits", async () => {
    const local = await startLocalStripe();
    try {
      const old = [await abandoned(30), await abandoned(26)];
      const young = (await abandoned(2)).id; // its webhook may still come: not the sweep's yet
      const s = await scheduledReconcile(FAST, emptyStripe(), NO_REDRIVE);
      // other files' stale preorders may share this Firestore: only this test's are asserted
      const changed = (s.sweep as sweep.SweepSummary).changed;
      expect(changed).toEqual(expect.arrayContaining(old.map((o) => o.id)));
      expect(changed).not.toContain(young);
      for (const { id } of old) expect((await db().collection("preorders").doc(id).get()).get("status")).toBe("expired");
      expect((await db().collection("preorders").doc(young).get()).get("status")).toBe("created");
      const asked = local
        .requests()
        .filter((r) => r.method === "GET" && old.some((o) => r.path === `/v1/checkout/sessions/${o.sessionId}`));
      expect(asked).toHaveLength(2);
    } finally {
      await local.close();
    }
  });
});
