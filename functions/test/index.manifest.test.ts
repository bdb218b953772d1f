/**
 * index.ts is wiring only, but what it wires is what `firebase deploy` creates: a function deployed without a
 * secret it reads fails every request in production, one in another region is not where Hosting's rewrites
 * send the page's calls, a trigger without `retry` loses the Klaviyo deliveries the platform was meant to
 * retry. So the deploy manifest (each export's `__endpoint`, what the Firebase CLI reads) is checked here
 * against what the code needs, and the page's cross-origin call is checked over HTTP.
 */
import express from "express";
import * as index from "../src/index";
import { serve } from "./helpers/serve";

type Endpoint = {
  region: string[];
  availableMemoryMb: number;
  maxInstances: number | null;
  concurrency: number | null;
  timeoutSeconds: number | null;
  secretEnvironmentVariables?: Array<{ key: string }>;
  callableTrigger?: object;
  httpsTrigger?: object;
  eventTrigger?: { eventType: string; eventFilterPathPatterns: Record<string, string>; retry: boolean };
  scheduleTrigger?: { schedule: string; timeZone: string; retryConfig: { retryCount: number } };
};
const endpoint = (name: keyof typeof index): Endpoint => (index[name] as unknown as { __endpoint: Endpoint }).__endpoint;
const secrets = (name: keyof typeof index) => (endpoint(name).secretEnvironmentVariables ?? []).map((s) => s.key).sort();

/** The secrets each function's code reads (config.ts); a missing one fails at runtime, an extra one widens access. */
const NEEDS: Record<string, string[]> = {
  createCheckoutSession: ["STRIPE_SECRET_KEY"],
  stripeWebhook: ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"],
  getOffer: ["STRIPE_SECRET_KEY"],
  getOrderStatus: ["ORDER_LINK_SECRET"],
  onPreorderWritten: ["KLAVIYO_PRIVATE_KEY", "ORDER_LINK_SECRET"],
  reconcileStripe: ["KLAVIYO_PRIVATE_KEY", "STRIPE_SECRET_KEY"],
  adminConfig: [],
  adminOrders: ["STRIPE_SECRET_KEY"],
  adminOrder: [],
  adminFunnel: [],
  adminRefund: ["STRIPE_SECRET_KEY"],
  adminResend: ["KLAVIYO_PRIVATE_KEY"],
  adminExport: [],
  onPreorderCounted: [],
};

describe("the deploy manifest", () => {
  it("deploys these 14 functions, all in us-central1 (where Hosting's rewrites point)", () => {
    expect(Object.keys(index).sort()).toEqual(Object.keys(NEEDS).sort());
    for (const name of Object.keys(NEEDS)) expect([name, endpoint(name as keyof typeof index).region]).toEqual([name, ["us-central1"]]);
  });

  it.each(Object.entries(NEEDS))("%s binds the secrets it reads, and no others", (name, needs) => {
    expect(secrets(name as keyof typeof index)).toEqual([...needs].sort());
  });

  it("memory: 256 MiB everywhere but the export (512 MiB: a whole launch's orders as CSV)", () => {
    for (const name of Object.keys(NEEDS))
      expect([name, endpoint(name as keyof typeof index).availableMemoryMb]).toEqual([name, name === "adminExport" ? 512 : 256]);
  });

  it("the launch plan's capacity (docs/benchmarks.md): checkout and webhook 80 × 20, public reads 80 × 10, console 5", () => {
    const cap = (n: keyof typeof index) => [endpoint(n).concurrency, endpoint(n).maxInstances];
    expect(cap("createCheckoutSession")).toEqual([80, 20]);
    expect(cap("stripeWebhook")).toEqual([80, 20]);
    expect(cap("getOffer")).toEqual([80, 10]);
    expect(cap("getOrderStatus")).toEqual([80, 10]);
    for (const n of ["adminConfig", "adminOrders", "adminOrder", "adminFunnel", "adminRefund", "adminResend", "adminExport"] as const)
      expect([n, endpoint(n).maxInstances]).toEqual([n, 5]);
    expect(endpoint("adminExport").timeoutSeconds).toBe(540);
  });

  it("both Firestore triggers watch preorders/{preorderId} and are retried by the platform", () => {
    for (const n of ["onPreorderWritten", "onPreorderCounted"] as const) {
      expect(endpoint(n).eventTrigger).toMatchObject({
        eventType: "google.cloud.firestore.document.v1.written",
        eventFilterPathPatterns: { document: "preorders/{preorderId}" },
        retry: true,
      });
    }
  });

  it("reconciliation runs every 15 minutes, once at a time, and is not retried (the next run resumes)", () => {
    expect(endpoint("reconcileStripe").scheduleTrigger).toMatchObject({
      schedule: "every 15 minutes",
      timeZone: "Etc/UTC",
      retryConfig: { retryCount: 0 },
    });
    expect(endpoint("reconcileStripe").maxInstances).toBe(1);
    expect(endpoint("reconcileStripe").timeoutSeconds).toBe(540);
  });

  it("the callables are callables and the rest plain HTTPS", () => {
    for (const n of ["createCheckoutSession", "adminOrders", "adminOrder", "adminFunnel", "adminRefund", "adminResend"] as const)
      expect([n, endpoint(n).callableTrigger]).toEqual([n, {}]);
    for (const n of ["stripeWebhook", "getOffer", "getOrderStatus", "adminConfig", "adminExport"] as const)
      expect([n, endpoint(n).httpsTrigger]).toEqual([n, {}]);
  });
});

describe("which functions an instance defines (FUNCTION_TARGET)", () => {
  const load = async (target: string | undefined): Promise<typeof index> => {
    const saved = process.env.FUNCTION_TARGET;
    if (target === undefined) delete process.env.FUNCTION_TARGET;
    else process.env.FUNCTION_TARGET = target;
    try {
      let mod!: typeof index;
      await jest.isolateModulesAsync(async () => {
        mod = await import("../src/index");
      });
      return mod;
    } finally {
      if (saved === undefined) delete process.env.FUNCTION_TARGET;
      else process.env.FUNCTION_TARGET = saved;
    }
  };

  it("deploy discovery (no target) sees every function, the triggers and the schedule included", async () => {
    const m = await load(undefined);
    expect(m.onPreorderWritten).toBeDefined();
    expect(m.onPreorderCounted).toBeDefined();
    expect(m.reconcileStripe).toBeDefined();
  });

  it("a trigger's own instance defines it; any other instance skips the Firestore trigger library", async () => {
    const own = await load("onPreorderWritten");
    expect(own.onPreorderWritten).toBeDefined();
    expect(own.onPreorderCounted).toBeUndefined();
    expect(own.reconcileStripe).toBeUndefined();
    expect((await load("reconcileStripe")).reconcileStripe).toBeDefined();
    expect((await load("onPreorderCounted")).onPreorderCounted).toBeDefined();
    const other = await load("getOffer");
    expect(other.onPreorderWritten).toBeUndefined();
    expect(other.reconcileStripe).toBeUndefined();
    expect(other.getOffer).toBeDefined();
  });
});

describe("the landing page calls createCheckoutSession from its own origin", () => {
  it("a CORS preflight from another origin is allowed", async () => {
    const app = express();
    app.use("/createCheckoutSession", (req, res) => index.createCheckoutSession(req as never, res as never));
    const server = await serve(app);
    try {
      const res = await fetch(`${server.url}/createCheckoutSession`, {
        method: "OPTIONS",
        headers: {
          origin: "https://rolitt.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get("access-control-allow-origin")).toBe("https://rolitt.example");
    } finally {
      await server.close();
    }
  });
});
