/**
 * The callable's refusals and failures, each answered with its own code and words, and leaving nothing
 * half-made: no preorder, no reserved number, no claim that would make the next click wait. Through the
 * callable's `.run()` with the real Stripe SDK against the local Stripe server and the real Admin SDK against
 * the test Firestore.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { reservePreorderNumber } from "../src/checkout/handler";
import { emailKey } from "../src/checkout/customer";
import { openCheckoutRef } from "../src/checkout/open-checkout";
import * as numbers from "../src/preorder/number";
import { db } from "../src/shared/firestore";
import { counts } from "./helpers/firestore";
import { callCheckout as call, failureOf, localStripePerTest, uniqueEmail as unique } from "./helpers/checkout";

const stripe = localStripePerTest();
const mine = async (email: string) => (await db().collection("preorders").where("email", "==", email).get()).size;

it("without an App Check token: unauthenticated, in the words the page's console shows", async () => {
  process.env.ENFORCE_APP_CHECK = "true";
  try {
    const err = await failureOf(call({ email: unique("noapp"), color: "khaki" }));
    expect(err).toBeInstanceOf(HttpsError);
    expect([(err as HttpsError).code, (err as HttpsError).message]).toEqual(["unauthenticated", "App Check verification failed"]);
  } finally {
    process.env.ENFORCE_APP_CHECK = "false";
  }
});

it("a malformed STRIPE_API_URL is passed on as it is, not reported as a missing setting", async () => {
  const url = process.env.STRIPE_API_URL;
  process.env.STRIPE_API_URL = "not a url";
  try {
    const err = await failureOf(call({ email: unique("badurl"), color: "khaki" }));
    expect(err).not.toBeInstanceOf(HttpsError);
    expect(String(err)).toContain("Invalid URL");
  } finally {
    process.env.STRIPE_API_URL = url;
  }
});

it("a number reservation that fails for another reason than a taken number is not drawn again", async () => {
  let draws = 0;
  // an empty id is refused by the SDK before anything is written: a failure that is not ALREADY_EXISTS
  const err = await failureOf(reservePreorderNumber("badid", () => (draws++, "")));
  expect(draws).toBe(1);
  expect(err).not.toBeInstanceOf(HttpsError);
  expect(String(err)).toContain("documentPath");
});

it("when no preorder number can be reserved: unavailable, Stripe is not asked, and the claim is given back", async () => {
  const email = unique("nonumber");
  const taken = `ROL-${String(Date.now() + 13).slice(-8)}`;
  await reservePreorderNumber("owner", () => taken);
  // our own draw stands in for five unlucky draws in a row
  const draw = jest.spyOn(numbers, "drawPreorderNumber").mockReturnValue(taken);
  let err: unknown;
  try {
    err = await failureOf(call({ email, color: "khaki" }));
  } finally {
    draw.mockRestore();
  }
  expect([(err as HttpsError).code, (err as HttpsError).message]).toEqual([
    "unavailable",
    "Could not allocate a preorder number, please retry",
  ]);
  expect(stripe().requests()).toHaveLength(0);
  expect(await mine(email)).toBe(0);
  expect((await openCheckoutRef(email, "khaki").get()).exists).toBe(false);
  // the next click does not wait for a claim nobody holds
  const started = Date.now();
  expect((await call({ email, color: "khaki" })).sessionId).toMatch(/^cs_test_/);
  expect(Date.now() - started).toBeLessThan(5_000);
});

it("a failure that is not Stripe's, after the session was made: unavailable, and no preorder, number or claim left", async () => {
  const email = unique("notstripe");
  // a mapping without a customer id (a hand edit): Firestore then refuses the preorder that names no customer
  await db()
    .collection("stripe_customers")
    .doc(`${emailKey(email)}_test`)
    .set({ mode: "test" });
  const before = await counts("preorders", "preorder_numbers", "open_checkouts");
  const err = await failureOf(call({ email, color: "khaki" }));
  expect(err).toBeInstanceOf(HttpsError);
  expect([(err as HttpsError).code, (err as HttpsError).message]).toEqual([
    "unavailable",
    "The preorder could not be created, please retry",
  ]);
  expect(
    stripe()
      .requests()
      .filter((r) => r.path === "/v1/checkout/sessions"),
  ).toHaveLength(1);
  expect(await counts("preorders", "preorder_numbers", "open_checkouts")).toEqual(before);
  expect(await mine(email)).toBe(0);
});
