/**
 * Wiring only: the functions, their options and their secrets. Each handler module is required
 * inside its function, so a cold start loads only the code of the function being started.
 */
import { setGlobalOptions } from "firebase-functions/v2/options";
import { onCall, onRequest } from "firebase-functions/v2/https";
import type { onDocumentWritten } from "firebase-functions/v2/firestore";
import type { onSchedule } from "firebase-functions/v2/scheduler";
import { KLAVIYO_PRIVATE_KEY, MIN_INSTANCES, ORDER_LINK_SECRET, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET } from "./config";

setGlobalOptions({ region: "us-central1" });

/**
 * Cloud Functions sets FUNCTION_TARGET in each instance. firebase-functions/v2/firestore loads the whole
 * Firestore client (~+58 ms), so only an instance serving the trigger (or deploy discovery, which sets
 * none) loads it.
 */
const serving = (name: string): boolean => !process.env.FUNCTION_TARGET || process.env.FUNCTION_TARGET === name;

// Options follow the launch plan in docs/benchmarks.md (10,000 preorders in 10 minutes).
/* eslint-disable @typescript-eslint/no-require-imports */
export const createCheckoutSession = onCall(
  { secrets: [STRIPE_SECRET_KEY], cors: true, memory: "256MiB", concurrency: 80, maxInstances: 20, minInstances: MIN_INSTANCES },
  (request) => (require("./checkout/handler") as typeof import("./checkout/handler")).createCheckoutSession(request),
);

export const stripeWebhook = onRequest(
  { secrets: [STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET], memory: "256MiB", concurrency: 80, maxInstances: 20, minInstances: MIN_INSTANCES },
  (req, res) => (require("./webhook/handler") as typeof import("./webhook/handler")).stripeWebhook(req, res),
);

// Public and read-only: the live offer (CDN-cached by the handler's Cache-Control) and an order's public view.
export const getOffer = onRequest({ secrets: [STRIPE_SECRET_KEY], memory: "256MiB", concurrency: 80, maxInstances: 10 }, (req, res) =>
  (require("./offer/handler") as typeof import("./offer/handler")).getOffer(req, res),
);

export const getOrderStatus = onRequest({ secrets: [ORDER_LINK_SECRET], memory: "256MiB", concurrency: 80, maxInstances: 10 }, (req, res) =>
  (require("./order/handler") as typeof import("./order/handler")).getOrderStatus(req, res),
);

export const onPreorderWritten = (
  serving("onPreorderWritten")
    ? (require("firebase-functions/v2/firestore") as typeof import("firebase-functions/v2/firestore")).onDocumentWritten(
        {
          document: "preorders/{preorderId}",
          // ORDER_LINK_SECRET signs the order-lookup link the events carry (order_url)
          secrets: [KLAVIYO_PRIVATE_KEY, ORDER_LINK_SECRET],
          retry: true,
          memory: "256MiB",
          concurrency: 4,
          maxInstances: 10,
        },
        (event) => (require("./klaviyo/handler") as typeof import("./klaviyo/handler")).onPreorderWritten(event),
      )
    : undefined
) as ReturnType<typeof onDocumentWritten>;

/**
 * Reconciliation with Stripe every 15 minutes (README, "Reconciliation"): recovers events whose webhook
 * delivery never succeeded and preorders that can't still be open. One instance; a lease in Firestore keeps
 * overlapping runs (a slow run, a manual backfill) from doing the same work twice.
 */
export const reconcileStripe = (
  serving("reconcileStripe")
    ? (require("firebase-functions/v2/scheduler") as typeof import("firebase-functions/v2/scheduler")).onSchedule(
        {
          schedule: "every 15 minutes",
          timeZone: "Etc/UTC",
          secrets: [STRIPE_SECRET_KEY, KLAVIYO_PRIVATE_KEY],
          timeoutSeconds: 540,
          memory: "256MiB",
          maxInstances: 1,
          retryCount: 0, // the next run, 15 minutes later, resumes from the stored cursor
        },
        async () => {
          await (require("./reconcile/handler") as typeof import("./reconcile/handler")).scheduledReconcile();
        },
      )
    : undefined
) as ReturnType<typeof onSchedule>;
// The operations console (/admin). Every function checks the `admin` custom claim itself.
type AdminHandlers = typeof import("./admin/handlers");
const admin = (): AdminHandlers => require("./admin/handlers") as AdminHandlers;
const consoleOpts = { memory: "256MiB" as const, maxInstances: 5 };

export const adminConfig = onRequest(consoleOpts, (req, res) => admin().adminConfig(req, res));
export const adminOrders = onCall({ ...consoleOpts, secrets: [STRIPE_SECRET_KEY] }, (request) => admin().adminOrders(request));
export const adminOrder = onCall(consoleOpts, (request) => admin().adminOrder(request));
export const adminFunnel = onCall(consoleOpts, (request) => admin().adminFunnel(request));
export const adminRefund = onCall({ ...consoleOpts, secrets: [STRIPE_SECRET_KEY] }, (request) => admin().adminRefund(request));
export const adminResend = onCall({ ...consoleOpts, secrets: [KLAVIYO_PRIVATE_KEY] }, (request) => admin().adminResend(request));
export const adminExport = onRequest({ ...consoleOpts, memory: "512MiB", timeoutSeconds: 540 }, (req, res) =>
  admin().adminExport(req, res),
);

/** Funnel counters: each status change counted once, into sharded per-day documents (admin/funnel-trigger.ts). */
export const onPreorderCounted = (
  serving("onPreorderCounted")
    ? (require("firebase-functions/v2/firestore") as typeof import("firebase-functions/v2/firestore")).onDocumentWritten(
        { document: "preorders/{preorderId}", retry: true, memory: "256MiB", concurrency: 20, maxInstances: 10 },
        (event) => (require("./admin/funnel-trigger") as typeof import("./admin/funnel-trigger")).onPreorderCounted(event),
      )
    : undefined
) as ReturnType<typeof onDocumentWritten>;
