/**
 * Signature verification with Stripe's own code (`Stripe.webhooks`, no API key needed), trying each
 * configured secret so that a rotation never drops an event. Throws VerifyError with a short reason.
 */
import type Stripe from "stripe";

export class VerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VerifyError";
  }
}

export const TOLERANCE_SECONDS = 300;

export async function verifyEvent(rawBody: Buffer, header: string | undefined, secrets: readonly string[]): Promise<Stripe.Event> {
  if (!header) throw new VerifyError("missing Stripe-Signature header");
  if (!/(^|,)t=\d+/.test(header) || !/(^|,)v1=[0-9a-f]+/.test(header)) throw new VerifyError("malformed Stripe-Signature header");
  // Stripe's SDK refuses timestamps too old; one too far ahead is as suspect (a replay prepared in advance).
  const t = Number(/(?:^|,)t=(\d+)/.exec(header)![1]);
  if (t > Math.floor(Date.now() / 1000) + TOLERANCE_SECONDS) throw new VerifyError("timestamp outside the tolerance zone");
  const { default: StripeSdk } = await import("stripe");
  let last: unknown;
  for (const secret of secrets) {
    try {
      return StripeSdk.webhooks.constructEvent(rawBody, header, secret, TOLERANCE_SECONDS);
    } catch (err) {
      last = err;
      // a signed body that is not JSON fails after the signature matched: no other secret will do better
      if (err instanceof SyntaxError) throw new VerifyError("body is not JSON");
    }
  }
  const message = String((last as Error)?.message ?? "");
  if (/timestamp outside the tolerance/i.test(message)) throw new VerifyError("timestamp outside the tolerance zone");
  throw new VerifyError("no signature matches a configured secret");
}

/** The minimum an event needs for us to act on it; anything else is refused as malformed. */
export function isWellFormed(event: unknown): event is Stripe.Event {
  const e = event as Partial<Stripe.Event> | null;
  return (
    !!e &&
    typeof e.id === "string" &&
    /^evt_\w{1,255}$/.test(e.id) &&
    typeof e.type === "string" &&
    /^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(e.type) &&
    Number.isInteger(e.created) &&
    (e.created as number) > 0 &&
    !!e.data &&
    typeof e.data.object === "object" &&
    e.data.object !== null
  );
}
