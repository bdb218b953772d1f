/**
 * Issue #11 item 3: a consenting shopper is subscribed to KLAVIYO_LIST_ID through Klaviyo's Subscribe
 * Profiles API, exactly once, with consented_at; a shopper without consent still gets the transactional events.
 */
import { onPreorderWritten } from "../src/klaviyo/handler";
import { subscribeBody } from "../src/klaviyo/subscribe";
import { subscribeProblems } from "../src/klaviyo/validate";
import { newPreorder } from "../src/preorder/new-preorder";
import { firestoreModule, now } from "../src/shared/firestore";
import { deliveryRecord, stages, startSink, triggerEvent } from "./helpers/klaviyo";

let k: Awaited<ReturnType<typeof startSink>>;
const LIST = "Xy12Ab";
beforeAll(async () => {
  k = await startSink();
  process.env.KLAVIYO_LIST_ID = LIST;
});
afterAll(async () => {
  delete process.env.KLAVIYO_LIST_ID;
  await k.close();
});
beforeEach(() => k.sink.reset());

let n = 0;
const CONSENT_AT = "2026-11-24T08:59:30.000Z";
function preorder(consent: Record<string, unknown> | undefined) {
  const id = `kc${Date.now().toString(36)}${n++}`;
  return {
    ...newPreorder({
      preorderId: id,
      preorderNumber: "ROL-12345678",
      email: `c.${id}@example.com`,
      color: "khaki",
      locale: "zh-CN" as const,
      amount: 9900,
      currency: "usd",
      stripe: { sessionId: `cs_${id}` },
    }),
    ...(consent === undefined ? {} : { marketingConsent: consent }),
    createdAt: now(),
    updatedAt: now(),
  };
}
const given = () => ({
  given: true,
  at: firestoreModule().Timestamp.fromDate(new Date(CONSENT_AT)),
  locale: "zh-CN",
  textVersion: "2026-11-v1",
});
const subscribeRequests = () => k.sink.subscriptions.filter((r: any) => r.status === 202);

describe("the subscription body", () => {
  it("validates against Klaviyo's official bulk_subscribe_profiles schema", () => {
    const body = subscribeBody("a@example.com", LIST, new Date(CONSENT_AT));
    expect(subscribeProblems(body)).toEqual([]);
    expect(body).toEqual({
      data: {
        type: "profile-subscription-bulk-create-job",
        attributes: {
          custom_source: "Rolitt preorder page",
          historical_import: true,
          profiles: {
            data: [
              {
                type: "profile",
                attributes: {
                  email: "a@example.com",
                  subscriptions: { email: { marketing: { consent: "SUBSCRIBED", consented_at: CONSENT_AT } } },
                },
              },
            ],
          },
        },
        relationships: { list: { data: { type: "list", id: LIST } } },
      },
    });
  });

  it("a body Klaviyo's schema refuses is caught", () => {
    const body = subscribeBody("a@example.com", LIST, new Date(CONSENT_AT)) as any;
    body.data.attributes.profiles.data[0].attributes.subscriptions.email.marketing.consent = "MAYBE";
    // the record names the schema a refused request failed: what the console shows an operator
    expect(subscribeProblems(body).map((p) => p.schema)).toEqual(["Klaviyo bulk_subscribe_profiles 2026-07-15"]);
  });
});

describe("consent through the trigger", () => {
  it("consent given → subscribed once to the list with consented_at, and the Started event sent", async () => {
    const p = preorder(given());
    const [snap] = await stages(p.preorderId, [p]);
    const event = triggerEvent(p.preorderId, null, snap!);
    await onPreorderWritten(event);
    await onPreorderWritten(event); // redelivered
    expect(subscribeRequests()).toHaveLength(1);
    expect(k.sink.subscriptions).toHaveLength(1);
    expect(k.sink.members(LIST)).toEqual([p.email]);
    expect(k.sink.lists.get(LIST).get(p.email).consented_at).toBe(CONSENT_AT);
    expect(k.sink.events()).toHaveLength(1);
    // a subscription is no event: it has no transition time of its own
    expect(await deliveryRecord(p.preorderId, "subscribe")).toMatchObject({
      state: "sent",
      retryable: false,
      attempts: 1,
      transitionAt: null,
    });

    // a later transition of the same preorder does not subscribe again
    const [, paid] = await stages(p.preorderId, [p, { ...p, status: "succeeded", updatedAt: now() }]);
    await onPreorderWritten(triggerEvent(p.preorderId, snap!, paid!));
    expect(k.sink.subscriptions).toHaveLength(1);
  });

  it("10 concurrent duplicate triggers → one subscription request", async () => {
    const p = preorder(given());
    const [snap] = await stages(p.preorderId, [p]);
    const event = triggerEvent(p.preorderId, null, snap!);
    await Promise.all(Array.from({ length: 10 }, () => onPreorderWritten(event)));
    expect(k.sink.subscriptions).toHaveLength(1);
    expect(k.sink.received).toHaveLength(1);
  });

  it.each([
    ["not given", { given: false, at: null, locale: "en", textVersion: "2026-11-v1" }],
    ["absent (older preorders)", undefined],
    ["withdrawn, its time kept", { ...given(), given: false }],
    ["with a time that is not a timestamp (a hand-edited document)", { ...given(), at: CONSENT_AT }],
  ])("consent %s → no subscription, the transactional event still sent", async (_n, consent) => {
    const p = preorder(consent);
    const [snap] = await stages(p.preorderId, [p]);
    await onPreorderWritten(triggerEvent(p.preorderId, null, snap!));
    expect(k.sink.subscriptions).toHaveLength(0);
    expect(k.sink.events()).toHaveLength(1);
    expect(await deliveryRecord(p.preorderId, "subscribe")).toBeUndefined();
  });

  it("no KLAVIYO_LIST_ID → subscription off: recorded, not an error, nothing sent", async () => {
    process.env.KLAVIYO_LIST_ID = "";
    try {
      const p = preorder(given());
      const [snap] = await stages(p.preorderId, [p]);
      await expect(onPreorderWritten(triggerEvent(p.preorderId, null, snap!))).resolves.toBeUndefined();
      expect(k.sink.subscriptions).toHaveLength(0);
      expect(k.sink.events()).toHaveLength(1);
      expect(await deliveryRecord(p.preorderId, "subscribe")).toMatchObject({
        state: "failed",
        retryable: true,
        lastError: "KLAVIYO_LIST_ID is not configured: subscription is off",
      });
    } finally {
      process.env.KLAVIYO_LIST_ID = LIST;
    }
  });

  it("a subscription that meets 5xx is retried like events and lands once", async () => {
    const p = preorder(given());
    const [snap] = await stages(p.preorderId, [p]);
    const event = triggerEvent(p.preorderId, null, snap!);
    k.sink.failNext({ count: 3, status: 502, path: "/api/profile-subscription-bulk-create-jobs" });
    await expect(onPreorderWritten(event)).rejects.toThrow(/subscribe: 502/);
    expect(await deliveryRecord(p.preorderId, "subscribe")).toMatchObject({ state: "retrying", retryable: true, attempts: 3 });
    expect(await deliveryRecord(p.preorderId, "created")).toMatchObject({ state: "sent" });
    await onPreorderWritten(event); // the platform's retry
    expect(subscribeRequests()).toHaveLength(1);
    expect(k.sink.events()).toHaveLength(1);
    expect(await deliveryRecord(p.preorderId, "subscribe")).toMatchObject({ state: "sent", attempts: 4 });
  });

  it("the event and the subscription both failing → the retry's error names each", async () => {
    const p = preorder(given());
    const [snap] = await stages(p.preorderId, [p]);
    k.sink.failNext({ count: 6, status: 503 });
    await expect(onPreorderWritten(triggerEvent(p.preorderId, null, snap!))).rejects.toThrow(/created: 503.*; subscribe: 503/);
  });

  it("consent given on a later write (the preorder existed without it) → subscribed then", async () => {
    const p = preorder(undefined);
    const [before, after] = await stages(p.preorderId, [p, { ...p, marketingConsent: given() }]);
    await onPreorderWritten(triggerEvent(p.preorderId, before!, after!));
    expect(k.sink.members(LIST)).toEqual([p.email]);
    expect(k.sink.received).toHaveLength(0); // no status change, no event
  });
});
