/**
 * Marketing consent → Klaviyo's Subscribe Profiles request (POST /api/profile-subscription-bulk-create-jobs).
 * Pure. Sending an event never subscribes anyone; only this does, and only for a shopper who ticked the box.
 *
 * `consented_at` is the moment the shopper ticked it. Klaviyo accepts `consented_at` only together with
 * `historical_import: true` (its schema says any other use is an error), which also means Klaviyo sends no
 * double opt-in mail and runs no "added to list" flow for this subscription: the page's checkbox, its wording
 * version and time (kept on the preorder) are the consent record.
 */
export const SUBSCRIBE_PATH = "/api/profile-subscription-bulk-create-jobs";
export const CUSTOM_SOURCE = "Rolitt preorder page";

export interface MarketingConsent {
  given: boolean;
  at: { toDate(): Date } | null;
  locale?: string;
  textVersion?: string;
}

/** The consent on a preorder document, when the shopper gave it; null otherwise (or when malformed). */
export function givenConsent(raw: unknown): (MarketingConsent & { at: { toDate(): Date } }) | null {
  const c = raw as MarketingConsent | undefined | null;
  if (!c || c.given !== true || !c.at || typeof c.at.toDate !== "function") return null;
  return c as MarketingConsent & { at: { toDate(): Date } };
}

export function subscribeBody(email: string, listId: string, consentedAt: Date): Record<string, unknown> {
  return {
    data: {
      type: "profile-subscription-bulk-create-job",
      attributes: {
        custom_source: CUSTOM_SOURCE,
        historical_import: true,
        profiles: {
          data: [
            {
              type: "profile",
              attributes: {
                email,
                subscriptions: { email: { marketing: { consent: "SUBSCRIBED", consented_at: consentedAt.toISOString() } } },
              },
            },
          ],
        },
      },
      relationships: { list: { data: { type: "list", id: listId } } },
    },
  };
}
