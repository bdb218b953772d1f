import { InputError, parseCheckoutInput } from "../src/checkout/input";

const COLORS = ["khaki", "black", "white"];
const big = "a".repeat(100 * 1024);

describe("checkout input", () => {
  it("normalises email and colour and defaults the locale", () => {
    expect(parseCheckoutInput({ email: "  Ada@Example.COM ", color: "Khaki" }, COLORS)).toEqual({
      email: "ada@example.com",
      color: "khaki",
      locale: "en",
      marketingConsent: false,
      attribution: null,
    });
    expect(parseCheckoutInput({ email: "b@c.io", color: "white", locale: "zh-HK" }, COLORS).locale).toBe("zh-HK");
  });

  // [label, input, field the error must name]
  const BAD: Array<[string, unknown, string | null]> = [
    ["null", null, null],
    ["undefined", undefined, null],
    ["a string", "ada@example.com", null],
    ["a number", 42, null],
    ["an array", [{ email: "a@b.co", color: "khaki" }], null],
    ["an empty object", {}, "email"],
    ["missing email", { color: "khaki" }, "email"],
    ["missing color", { email: "a@b.co" }, "color"],
    ["empty email", { email: "", color: "khaki" }, "email"],
    ["blank email", { email: "   ", color: "khaki" }, "email"],
    ["email without @", { email: "ada.example.com", color: "khaki" }, "email"],
    ["email without domain", { email: "ada@", color: "khaki" }, "email"],
    ["email without user", { email: "@example.com", color: "khaki" }, "email"],
    ["email with spaces inside", { email: "a da@example.com", color: "khaki" }, "email"],
    ["two @", { email: "a@@example.com", color: "khaki" }, "email"],
    ["email as number", { email: 12345, color: "khaki" }, "email"],
    ["email as null", { email: null, color: "khaki" }, "email"],
    ["email as array", { email: ["a@b.co"], color: "khaki" }, "email"],
    ["email as object", { email: { $gt: "" }, color: "khaki" }, "email"],
    ["100 KB email", { email: `${big}@example.com`, color: "khaki" }, "email"],
    ["email too long (255)", { email: `${"a".repeat(243)}@example.com`, color: "khaki" }, "email"],
    ["unknown colour", { email: "a@b.co", color: "purple" }, "color"],
    ["empty colour", { email: "a@b.co", color: "" }, "color"],
    ["colour as number", { email: "a@b.co", color: 1 }, "color"],
    ["colour as boolean", { email: "a@b.co", color: true }, "color"],
    ["colour as array", { email: "a@b.co", color: ["khaki"] }, "color"],
    ["100 KB colour", { email: "a@b.co", color: big }, "color"],
    ["colour with markup", { email: "a@b.co", color: "<b>khaki</b>" }, "color"],
    ["unknown locale", { email: "a@b.co", color: "khaki", locale: "fr" }, "locale"],
    ["locale in lower case", { email: "a@b.co", color: "khaki", locale: "zh-hk" }, "locale"],
    ["locale as number", { email: "a@b.co", color: "khaki", locale: 1 }, "locale"],
    ["locale as null", { email: "a@b.co", color: "khaki", locale: null }, "locale"],
    ["100 KB locale", { email: "a@b.co", color: "khaki", locale: big }, "locale"],
    ["an extra key", { email: "a@b.co", color: "khaki", amount: 1 }, "amount"],
    ["a price override attempt", { email: "a@b.co", color: "khaki", priceId: "price_free" }, "priceId"],
    ["a prototype key", JSON.parse('{"email":"a@b.co","color":"khaki","__proto__":{"x":1}}'), "__proto__"],
  ];

  it.each(BAD)("refuses %s, naming the field", (_label, input, field) => {
    let error: unknown;
    try {
      parseCheckoutInput(input, COLORS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    if (field) expect((error as InputError).message).toContain(field);
  });

  // What the page shows next to the field: the shopper's words, not the validator's.
  it.each([
    ["a malformed email", { email: "ada.example.com", color: "khaki" }, "email", "email must be a valid email address"],
    ["a missing email", { color: "khaki" }, "email", "email is required"],
    ["an email that is not text", { email: 5, color: "khaki" }, "email", "email must be a string"],
    ["a colour outside the schema", { email: "a@b.co", color: "<b>" }, "color", "color must be one of the offered colours"],
    ["an unknown locale", { email: "a@b.co", color: "khaki", locale: "fr" }, "locale", "locale must be one of en, zh-HK, zh-CN"],
    [
      "a consent that is not a boolean",
      { email: "a@b.co", color: "khaki", marketingConsent: "yes" },
      "marketingConsent",
      "marketingConsent must be a boolean",
    ],
    [
      "an attribution value of 101 characters",
      { email: "a@b.co", color: "khaki", attribution: { utm_source: "x".repeat(101) } },
      "attribution",
      "attribution values must be printable text: utm_* up to 100 characters, referrer an http(s) origin and path up to 500",
    ],
    [
      "an unknown attribution key",
      { email: "a@b.co", color: "khaki", attribution: { utm_evil: "x" } },
      "attribution",
      'unknown field "attribution.utm_evil"',
    ],
    ["an unknown top-level key", { email: "a@b.co", color: "khaki", amount: 1 }, "amount", 'unknown field "amount"'],
    ["not an object", null, null, "the request must be an object with email and color"],
  ])("%s → a message in the shopper's words", (_label, input, field, message) => {
    let error: InputError | undefined;
    try {
      parseCheckoutInput(input, COLORS);
    } catch (e) {
      error = e as InputError;
    }
    expect(error).toMatchObject({ name: "InputError", field, message });
  });

  it("a padded, capitalised colour is the colour", () => {
    expect(parseCheckoutInput({ email: "a@b.co", color: "  Black " }, COLORS).color).toBe("black");
  });

  it("accepts only the configured colours, and names them all", () => {
    expect(() => parseCheckoutInput({ email: "a@b.co", color: "khaki" }, ["black"])).toThrow("color must be one of black");
    expect(() => parseCheckoutInput({ email: "a@b.co", color: "mint" }, ["black", "white"])).toThrow(
      new InputError("color", "color must be one of black, white"),
    );
  });

  it("trims only up to 1 KiB: a field padded past that is refused, not trimmed", () => {
    const padded = (n: number, v: string) => " ".repeat(n - v.length) + v;
    const parse = (email: string, color = "khaki") => parseCheckoutInput({ email, color }, COLORS);
    expect(parse(padded(1024, "a@b.co")).email).toBe("a@b.co");
    expect(() => parse(padded(1025, "a@b.co"))).toThrow("email must be a valid email address");
    expect(parse("a@b.co", padded(1024, "khaki")).color).toBe("khaki");
    expect(() => parse("a@b.co", padded(1025, "khaki"))).toThrow("color must be one of the offered colours");
  });

  it("leaves the caller's object as it was sent", () => {
    const sent = { email: "  Ada@Example.COM ", color: " Khaki " };
    parseCheckoutInput(sent, COLORS);
    expect(sent).toEqual({ email: "  Ada@Example.COM ", color: " Khaki " });
  });

  it("an unknown field's name is quoted cut to 40 characters", () => {
    const name = "x".repeat(100);
    expect(() => parseCheckoutInput({ email: "a@b.co", color: "khaki", [name]: 1 }, COLORS)).toThrow(
      new InputError("x".repeat(40), `unknown field "${"x".repeat(40)}"`),
    );
  });

  it("keeps the bad-input table at 30 cases or more", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(30);
  });
});
