/**
 * Serves the real `stripeWebhook` export over HTTP the way Cloud Functions does (the raw body kept as
 * `req.rawBody`), and signs deliveries the way Stripe does.
 */
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import express from "express";
import { stripeWebhook } from "../../src/index";
import { closeServer } from "./serve";

export const TEST_SECRET = "whsec_local_test_secret";

export function signature(payload: string, { secret = TEST_SECRET, timestamp = Math.floor(Date.now() / 1000) } = {}): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${payload}`).digest("hex")}`;
}

export interface WebhookServer {
  url: string;
  post(body: string, headers?: Record<string, string>, method?: string): Promise<{ status: number; body: any; headers: Headers }>;
  deliver(event: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function serveWebhook(): Promise<WebhookServer> {
  const app = express();
  app.use(express.raw({ type: () => true, limit: "20mb" }), (req, _res, next) => {
    (req as unknown as { rawBody: Buffer }).rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    next();
  });
  app.use((req, res) => stripeWebhook(req as never, res));
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
    // Never close an idle keep-alive socket from this side: on a loaded machine the client could send on a
    // socket the server is closing (ECONNRESET), a harness failure that is no delivery outcome.
    s.keepAliveTimeout = 0;
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const post: WebhookServer["post"] = async (body, headers = {}, method = "POST") => {
    const res = await fetch(url, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: method === "GET" || method === "HEAD" ? undefined : body,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    url,
    post,
    deliver: (event) => {
      const payload = JSON.stringify(event, null, 2);
      return post(payload, { "stripe-signature": signature(payload) });
    },
    close: () => closeServer(server),
  };
}
