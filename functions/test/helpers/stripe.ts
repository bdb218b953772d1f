/** Starts the local Stripe server and points the functions' config at it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StripeServer } = require("../../../devtools/stripe-server/server");

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, any>;
  idempotencyKey: string | null;
  replayed?: boolean;
  failed?: number;
}

export interface LocalStripe {
  url: string;
  server: any;
  requests(): RecordedRequest[];
  close(): Promise<void>;
}

export async function startLocalStripe(opts: { webhookUrl?: string; webhookSecret?: string } = {}): Promise<LocalStripe> {
  const server = new StripeServer(opts);
  const url: string = await server.listen();
  process.env.STRIPE_API_URL = url;
  return { url, server, requests: () => server.requests, close: () => server.close() };
}
