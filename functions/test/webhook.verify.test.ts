/** verifyEvent and isWellFormed without a server: the reason a refusal gives, the edges of each check. */
import { createHmac } from "node:crypto";
import { isWellFormed, TOLERANCE_SECONDS, verifyEvent, VerifyError } from "../src/webhook/verify";

const SECRET = "whsec_unit";
const now = () => Math.floor(Date.now() / 1000);
const body = Buffer.from(JSON.stringify({ id: "evt_1", object: "event", type: "charge.refunded", created: 1, data: { object: {} } }));
const sign = (payload: Buffer | string, t = now(), secret = SECRET) =>
  `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${payload}`).digest("hex")}`;

async function reason(payload: Buffer, header: string | undefined, secrets: string[] = [SECRET]): Promise<string> {
  try {
    await verifyEvent(payload, header, secrets);
  } catch (err) {
    expect(err).toBeInstanceOf(VerifyError);
    expect((err as Error).name).toBe("VerifyError");
    return (err as Error).message;
  }
  return "accepted";
}

describe("verifyEvent: the reason Stripe's Dashboard shows for a refused delivery", () => {
  it.each<[string, () => [Buffer, string | undefined, string[]?], string]>([
    ["no header", () => [body, undefined], "missing Stripe-Signature header"],
    ["an empty header", () => [body, ""], "missing Stripe-Signature header"],
    ["no timestamp", () => [body, `v1=${"a".repeat(64)}`], "malformed Stripe-Signature header"],
    ["no v1 signature", () => [body, `t=${now()}`], "malformed Stripe-Signature header"],
    ["a timestamp that is not a number", () => [body, `t=abc,v1=${"a".repeat(64)}`], "malformed Stripe-Signature header"],
    ["a v1 that is not hex", () => [body, `t=${now()},v1=zz`], "malformed Stripe-Signature header"],
    ["t= inside another field", () => [body, `xt=${now()},v1=${"a".repeat(64)}`], "malformed Stripe-Signature header"],
    ["v1= inside another field", () => [body, `t=${now()},xv1=${"a".repeat(64)}`], "malformed Stripe-Signature header"],
    ["the wrong secret", () => [body, sign(body, now(), "whsec_other")], "no signature matches a configured secret"],
    ["no secret at all", () => [body, sign(body), []], "no signature matches a configured secret"],
    ["a timestamp too old", () => [body, sign(body, now() - TOLERANCE_SECONDS - 60)], "timestamp outside the tolerance zone"],
    ["a timestamp too far ahead", () => [body, sign(body, now() + TOLERANCE_SECONDS + 60)], "timestamp outside the tolerance zone"],
    ["a signed body that is not JSON", () => [Buffer.from("not json"), sign("not json")], "body is not JSON"],
  ])("%s → %s", async (_label, make, expected) => {
    const [payload, header, secrets] = make();
    expect(await reason(payload, header, secrets)).toBe(expected);
  });

  it("takes a timestamp up to the tolerance ahead, and not one second more", async () => {
    // the check reads the clock once per call; a second boundary can pass while the test runs, so stay 2 s inside
    expect(await reason(body, sign(body, now() + TOLERANCE_SECONDS - 2))).toBe("accepted");
    expect(await reason(body, `t=${now() + TOLERANCE_SECONDS + 2},v1=${"a".repeat(64)}`)).toBe("timestamp outside the tolerance zone");
  });

  it("takes a timestamp exactly at the tolerance ahead (the clock held still)", async () => {
    const at = now();
    jest.spyOn(Date, "now").mockReturnValue(at * 1000);
    try {
      expect(await reason(body, sign(body, at + TOLERANCE_SECONDS))).toBe("accepted");
    } finally {
      jest.restoreAllMocks();
    }
  });

  it("reads the header's fields in any order, as Stripe's SDK does", async () => {
    const [t, v1] = sign(body).split(",");
    expect(await reason(body, `${v1},${t}`)).toBe("accepted");
  });

  it("accepts with the second secret of a rotation and returns the parsed event", async () => {
    const event = await verifyEvent(body, sign(body, now(), "whsec_second"), [SECRET, "whsec_second"]);
    expect(event.id).toBe("evt_1");
  });
});

describe("isWellFormed: the minimum an event needs", () => {
  const good = {
    id: "evt_1A2b",
    object: "event",
    type: "checkout.session.completed",
    created: 1_700_000_000,
    data: { object: { id: "cs_1" } },
  };
  it("accepts a Stripe event", () => expect(isWellFormed(good)).toBe(true));
  it.each<[string, unknown]>([
    ["null", null],
    ["an array", []],
    ["a number id", { ...good, id: 1 }],
    ["an id in an array (it would read as the string)", { ...good, id: ["evt_1"] }],
    ["a type in an array", { ...good, type: ["charge.refunded"] }],
    ["an id without evt_", { ...good, id: "ch_1" }],
    ["an id with evt_ inside", { ...good, id: "xevt_1" }],
    ["an id with a space", { ...good, id: "evt_1 2" }],
    ["an id too long", { ...good, id: `evt_${"a".repeat(256)}` }],
    ["a missing type", { ...good, type: undefined }],
    ["a type without a dot", { ...good, type: "checkout" }],
    ["a type with a trailing character", { ...good, type: "charge.refunded!" }],
    ["a type with a leading character", { ...good, type: "!charge.refunded" }],
    ["an upper-case type", { ...good, type: "Charge.Refunded" }],
    ["created as a string", { ...good, created: "1700000000" }],
    ["created 0", { ...good, created: 0 }],
    ["created negative", { ...good, created: -5 }],
    ["created fractional", { ...good, created: 1.5 }],
    ["no data", { ...good, data: undefined }],
    ["data.object null", { ...good, data: { object: null } }],
    ["data.object a string", { ...good, data: { object: "cs_1" } }],
  ])("refuses %s", (_label, event) => expect(isWellFormed(event)).toBe(false));
  it("accepts the longest id", () => expect(isWellFormed({ ...good, id: `evt_${"a".repeat(255)}` })).toBe(true));
});
