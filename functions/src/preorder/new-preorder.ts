import type { PreorderStatus } from "./status";
import type { Attribution, Locale, MarketingConsent, Preorder, StripeRefs } from "./types";

export interface NewPreorder {
  preorderId: string;
  preorderNumber: string;
  email: string;
  color: string;
  locale: Locale;
  amount: number;
  currency: string;
  stripe?: Partial<StripeRefs>;
  status?: PreorderStatus;
  origin?: Preorder["origin"];
  marketingConsent?: MarketingConsent;
  attribution?: Attribution | null;
}

/** A preorder as first written, every field of the document present (pure; timestamps are the caller's). */
export function newPreorder(init: NewPreorder): Omit<Preorder, "createdAt" | "updatedAt"> {
  return {
    preorderId: init.preorderId,
    preorderNumber: init.preorderNumber,
    email: init.email,
    color: init.color,
    locale: init.locale,
    status: init.status ?? "created",
    amount: init.amount,
    currency: init.currency,
    stripe: { customerId: null, sessionId: null, paymentIntentId: null, ...init.stripe },
    customer: null,
    errorReason: null,
    amountRefunded: 0,
    lastEventCreated: null,
    lastEventId: null,
    origin: init.origin ?? "callable",
    hold: null,
    flagged: false,
    dispute: null,
    ...(init.marketingConsent && { marketingConsent: init.marketingConsent }),
    ...(init.attribution !== undefined && { attribution: init.attribution }),
  };
}
