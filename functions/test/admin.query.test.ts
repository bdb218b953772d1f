/** The order list's pure parts: input validation, the query plan, paging across ties, search terms. */
import { classifySearch, decodeCursor, encodeCursor, listPlan, matches, pageOf, parseListInput, type Instant } from "../src/admin/query";

describe("parseListInput", () => {
  it.each([
    [{ status: "paid" }, "status"],
    [{ color: "Black Pearl!" }, "color"],
    [{ locale: "fr" }, "locale"],
    [{ from: "2026-13-01" }, "from"],
    [{ from: "yesterday" }, "from"],
    [{ from: "2026-11-20", to: "2026-11-01" }, "to"],
    [{ hold: "yes" }, "hold"],
    [{ flagged: 1 }, "flagged"],
    [{ pageSize: 0 }, "pageSize"],
    [{ pageSize: 101 }, "pageSize"],
    [{ cursor: "garbage" }, "cursor"],
    [{ q: "x".repeat(201) }, "q"],
    [{ stauts: "created" }, "stauts"],
    [{ status: 3 }, "status"],
  ])("%j is refused naming %s", (input, field) => {
    expect(() => parseListInput(input)).toThrow(expect.objectContaining({ field }));
  });

  it("keeps what is set, trims, lower-cases colours and drops empty values", () => {
    expect(
      parseListInput({ status: "succeeded", color: " Black ", locale: "zh-HK", from: "", hold: false, flagged: true, q: " ROL-1 " }),
    ).toEqual({
      status: "succeeded",
      color: "black",
      locale: "zh-HK",
      flagged: true,
      q: "ROL-1",
    });
  });
});

describe("listPlan", () => {
  it("turns filters into equality/range clauses on top-level fields, newest first (holds: see orders.ts)", () => {
    const plan = listPlan(
      parseListInput({
        status: "succeeded",
        color: "black",
        locale: "en",
        hold: true,
        flagged: true,
        from: "2026-11-01",
        to: "2026-11-02",
        pageSize: 10,
      }),
    );
    expect(plan.where).toEqual([
      { field: "status", op: "==", value: "succeeded" },
      { field: "color", op: "==", value: "black" },
      { field: "locale", op: "==", value: "en" },
      { field: "flagged", op: "==", value: true },
      { field: "createdAt", op: ">=", value: { seconds: Date.parse("2026-11-01T00:00:00Z") / 1000, nanos: 0 } },
      { field: "createdAt", op: "<", value: { seconds: Date.parse("2026-11-03T00:00:00Z") / 1000, nanos: 0 } },
    ]);
    expect(plan.orderBy).toEqual({ field: "createdAt", direction: "desc" });
    expect(plan.limit).toBe(11);
  });
});

describe("pageOf: paging by time plus the ids already shown at the boundary", () => {
  // 7 documents, newest first as the query returns them; three share one instant
  const t = (s: number, n = 0): Instant => ({ seconds: s, nanos: n });
  const all = [
    { id: "g", createdAt: t(9) },
    { id: "f", createdAt: t(8, 5) },
    { id: "e", createdAt: t(8, 5) },
    { id: "d", createdAt: t(8, 5) },
    { id: "c", createdAt: t(8, 4) },
    { id: "b", createdAt: t(7) },
    { id: "a", createdAt: t(6) },
  ];
  /** What Firestore answers for a plan (time filter, order, limit) over `all`. */
  const run = (plan: ReturnType<typeof listPlan>) => {
    const at = plan.cursorAt;
    const le = (x: Instant) => !at || x.seconds < at.seconds || (x.seconds === at.seconds && x.nanos <= at.nanos);
    return all.filter((d) => le(d.createdAt)).slice(0, plan.limit);
  };

  it.each([1, 2, 3, 4, 7, 10])("page size %i walks every document exactly once, ties included", (pageSize) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const plan = listPlan({ pageSize, cursor });
      const page = pageOf(run(plan), plan);
      seen.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(seen).toEqual(["g", "f", "e", "d", "c", "b", "a"]);
  });

  it("the cursor round-trips exactly and refuses tampering", () => {
    const c = { at: t(1732400000, 123456789), ids: ["abc", "def"] };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(() => decodeCursor(Buffer.from(JSON.stringify([1, 2, ["../x"]])).toString("base64url"))).toThrow(/cursor/);
  });
});

describe("classifySearch", () => {
  it.each([
    ["rol-00012345", { kind: "number", value: "ROL-00012345" }],
    [" Ada@Example.COM ", { kind: "email", value: "ada@example.com" }],
    ["cs_test_a1B2c3", { kind: "stripe", object: "session", value: "cs_test_a1B2c3" }],
    ["pi_3Nabc", { kind: "stripe", object: "payment_intent", value: "pi_3Nabc" }],
    ["ch_3Nabc", { kind: "stripe", object: "charge", value: "ch_3Nabc" }],
    ["re_3Nabc", { kind: "stripe", object: "refund", value: "re_3Nabc" }],
    ["cus_Nabc", { kind: "stripe", object: "customer", value: "cus_Nabc" }],
    ["evt_1Nabc", { kind: "stripe", object: "event", value: "evt_1Nabc" }],
    ["dp_1Nabc", { kind: "stripe", object: "dispute", value: "dp_1Nabc" }],
    ["AbCdEfGhIjKlMnOpQrSt", { kind: "preorderId", value: "AbCdEfGhIjKlMnOpQrSt" }],
  ])("%s → %j", (q, term) => expect(classifySearch(q)).toEqual(term));

  it.each(["hello", "xx_123", "ROL-", "a b@c"])("%s is refused with what can be searched", (q) => {
    expect(() => classifySearch(q)).toThrow(/email, ROL- number or a Stripe id/);
  });
});

describe("matches", () => {
  const doc = { status: "succeeded", color: "black", locale: "en", hold: null, flagged: false };
  const at = Date.parse("2026-11-02T10:00:00Z");
  it("checks every filter, days inclusive in UTC", () => {
    expect(matches({ status: "succeeded", color: "black", from: "2026-11-02", to: "2026-11-02" }, doc, at)).toBe(true);
    expect(matches({ hold: true }, doc, at)).toBe(false);
    expect(matches({ hold: true }, { ...doc, hold: { reason: "dispute" } }, at)).toBe(true);
    expect(matches({ flagged: true }, doc, at)).toBe(false);
    expect(matches({ to: "2026-11-01" }, doc, at)).toBe(false);
    expect(matches({ from: "2026-11-03" }, doc, at)).toBe(false);
  });
});
