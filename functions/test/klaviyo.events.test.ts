/** The pure Klaviyo core: seed events and Events API bodies, against goldens built from the seed's examples. */
import { attributionProperties, offerProperties, toEventsApiBody } from "../src/klaviyo/events-api";
import { colorName, shipWindow } from "../src/offer/content";
import { shopperProfile, type ShopperPreorder } from "../src/klaviyo/profile";
import { toMajorUnits } from "../src/klaviyo/money";
import { seedEventFor, type PreorderView } from "../src/klaviyo/seed-event";
import { bodyProblems, seedEventProblems } from "../src/klaviyo/validate";
import seedStarted from "./fixtures/seed-example-started.json";
import seedSuccess from "./fixtures/seed-example-success.json";
import seedFailed from "./fixtures/seed-example-failed.json";

/** The preorder behind the seed's example data. */
const SEED_PREORDER: PreorderView = {
  preorderId: "abc123def456",
  preorderNumber: "ROL-1721463810",
  email: "user@example.com",
  color: "khaki",
  locale: "zh-HK",
  amount: 9900,
  currency: "usd",
  stripe: { customerId: "cus_1", sessionId: "cs_test_abc123", paymentIntentId: "pi_test_xyz789" },
  errorReason: "Payment declined",
};
const AT = new Date("2026-11-22T10:00:00.000Z");
/** The seed preorder's shopper, in the given status, as the only preorder of that email. */
const shopper = (status: ShopperPreorder["status"], sessionId: string | null = "cs_test_abc123") =>
  shopperProfile([{ ...SEED_PREORDER, status, stripe: { sessionId }, createdAtMs: AT.getTime() }]);
const strip = ({ time: _t, ...rest }: Record<string, unknown>) => rest;

describe("amounts in major units", () => {
  it.each([
    [9900, "usd", 99],
    [9950, "usd", 99.5],
    [128000, "hkd", 1280],
    [1, "hkd", 0.01],
    [9900, "jpy", 9900],
    [15000, "krw", 15000],
    [12345, "kwd", 12.345],
    [0, "usd", 0],
  ])("%i %s → %d", (amount, currency, major) => {
    expect(toMajorUnits(amount, currency)).toBe(major);
  });
});

describe("seed events", () => {
  it("Started equals the seed's example", () => {
    const e = seedEventFor(SEED_PREORDER, "created", AT);
    expect(strip(e as never)).toEqual(seedStarted);
    expect(e.time).toBe(Math.floor(AT.getTime() / 1000));
    expect(seedEventProblems(e)).toEqual([]);
  });

  it("Success equals the seed's example (9900 usd → 99)", () => {
    const e = seedEventFor(SEED_PREORDER, "succeeded", AT);
    expect(strip(e as never)).toEqual(seedSuccess);
    expect(seedEventProblems(e)).toEqual([]);
  });

  it("Failed equals the seed's example, plus the preorder number", () => {
    const e = seedEventFor(SEED_PREORDER, "failed", AT);
    expect(strip(e as never)).toEqual({ ...seedFailed, properties: { ...seedFailed.properties, preorder_number: "ROL-1721463810" } });
    expect(seedEventProblems(e)).toEqual([]);
  });

  it("a zero-decimal currency is sent unchanged", () => {
    const e = seedEventFor({ ...SEED_PREORDER, amount: 15000, currency: "jpy" }, "succeeded", AT);
    expect(e.properties).toMatchObject({ amount: 15000, currency: "jpy" });
  });

  it("an invalid email fails the seed schema", () => {
    const problems = seedEventProblems(seedEventFor({ ...SEED_PREORDER, email: "not-an-email" }, "created", AT));
    expect(problems.map((p) => p.schema)).toEqual(["Rolitt Preorder Started", "KlaviyoEventPayload"]);
    expect(problems[0]!.errors[0]).toMatchObject({ instancePath: "/customer_properties/$email", keyword: "format" });
  });

  it("an event name with no schema of its own is refused by name, not sent as is", () => {
    const unknown = { ...seedEventFor(SEED_PREORDER, "created", AT), event: "Rolitt Preorder Lost" } as never;
    expect(seedEventProblems(unknown)).toEqual([{ schema: "event name", errors: [] }]);
  });

  it("a malformed preorder number fails the seed schema", () => {
    expect(seedEventProblems(seedEventFor({ ...SEED_PREORDER, preorderNumber: "R-1" }, "created", AT))).not.toEqual([]);
  });
});

describe("Events API bodies", () => {
  it("Success maps to the golden body", () => {
    const body = toEventsApiBody(seedEventFor(SEED_PREORDER, "succeeded", AT), "succeeded", shopper("succeeded"), AT);
    expect(body).toEqual({
      data: {
        type: "event",
        attributes: {
          properties: seedSuccess.properties,
          time: "2026-11-22T10:00:00.000Z",
          value: 99,
          value_currency: "USD",
          unique_id: "abc123def456:succeeded",
          metric: { data: { type: "metric", attributes: { name: "Rolitt Preorder Success" } } },
          profile: {
            data: {
              type: "profile",
              attributes: {
                email: "user@example.com",
                locale: "zh-HK",
                properties: {
                  yoyo_color: "khaki",
                  preorder_paid: true,
                  preorder_status: "succeeded",
                  preorder_number: "ROL-1721463810",
                  stripe_order_id: "cs_test_abc123",
                  preorder_count: 1,
                  preorder_paid_count: 1,
                },
              },
            },
          },
        },
      },
    });
    expect(bodyProblems(body)).toEqual([]);
  });

  it("Started and Failed carry no value and validate against both schemas", () => {
    for (const status of ["created", "failed"] as const) {
      const body = toEventsApiBody(seedEventFor(SEED_PREORDER, status, AT), status, shopper(status), AT);
      expect(body.data.attributes.value).toBeUndefined();
      expect(body.data.attributes.unique_id).toBe(`abc123def456:${status}`);
      expect(body.data.attributes.profile.data.attributes.properties.preorder_status).toBe(status);
      expect(bodyProblems(body)).toEqual([]);
    }
  });

  it("Klaviyo's official schema refuses a body without properties, which the seed schema allows", () => {
    const body = toEventsApiBody(seedEventFor(SEED_PREORDER, "created", AT), "created", shopper("created", null), AT) as {
      data: { attributes: Record<string, unknown> };
    };
    delete body.data.attributes.properties;
    expect(bodyProblems(body).map((p) => p.schema)).toEqual(["Klaviyo create_event 2026-07-15"]);
  });

  it("a body that is not even an event fails the seed's KlaviyoNewAPIPayload first, named as such", () => {
    expect(bodyProblems({ data: { type: "event", attributes: {} } }).map((p) => p.schema)).toEqual([
      "KlaviyoNewAPIPayload",
      "Klaviyo create_event 2026-07-15",
    ]);
  });

  it("attribution travels as event properties, only the known non-empty keys, and still validates", () => {
    const attribution = attributionProperties({
      utm_source: "facebook",
      utm_medium: "paid",
      utm_campaign: "launch-black",
      utm_content: "",
      referrer: "https://www.instagram.com/",
      other: "ignored",
    });
    expect(attribution).toEqual({
      utm_source: "facebook",
      utm_medium: "paid",
      utm_campaign: "launch-black",
      referrer: "https://www.instagram.com/",
    });
    expect(attributionProperties(null)).toEqual({});
    const seed = seedEventFor(SEED_PREORDER, "created", AT);
    expect(seedEventProblems(seed)).toEqual([]);
    const body = toEventsApiBody(seed, "created", shopper("created"), AT, attribution);
    expect(body.data.attributes.properties).toEqual({ ...seed.properties, ...attribution });
    expect(bodyProblems(body)).toEqual([]);
  });
});

describe("the offer's words and the order link ride on the events", () => {
  const words = { colorName, shipWindow } as Parameters<typeof offerProperties>[1];
  it("colour name and ship window in the shopper's language, from the one content file", () => {
    expect(offerProperties({ color: "khaki", locale: "zh-HK" }, words, null)).toEqual({
      color_name: "卡其色",
      ship_window: "2027 年 3 月起出貨",
    });
    expect(offerProperties({ color: "black", locale: "en" }, words, "https://x.test/order?id=p&sig=s")).toEqual({
      color_name: "Black",
      ship_window: "Ships from March 2027",
      order_url: "https://x.test/order?id=p&sig=s",
    });
  });
  it("a colour the content file does not know is named after its id", () => {
    expect(offerProperties({ color: "sunset", locale: "en" }, words, null)).toEqual({
      color_name: "Sunset",
      ship_window: "Ships from March 2027",
    });
  });
  it("the Success body with them still passes both schemas, and the event's own properties win", () => {
    const seed = seedEventFor(SEED_PREORDER, "succeeded", AT);
    const extra = offerProperties(SEED_PREORDER, words, "https://x.test/order?id=abc123def456&sig=s");
    const body = toEventsApiBody(seed, "succeeded", shopper("succeeded"), AT, extra);
    expect(body.data.attributes.properties).toEqual({ ...extra, ...seed.properties });
    expect(bodyProblems(body)).toEqual([]);
  });
});
