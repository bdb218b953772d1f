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

  it("the next page's cursor names only the rows at exactly the boundary instant, not the rest of its second", () => {
    const plan = listPlan({ pageSize: 4 });
    // page: g, f, e, d; the boundary is d at 8 s + 5 ns; c (8 s + 4 ns) is on the next page
    expect(decodeCursor(pageOf(all, plan).next!)).toEqual({ at: t(8, 5), ids: ["f", "e", "d"] });
    const plan5 = listPlan({ pageSize: 5 });
    expect(decodeCursor(pageOf(all, plan5).next!)).toEqual({ at: t(8, 4), ids: ["c"] });
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
    // a document written before `hold` existed is not on hold
    const { hold: _hold, ...older } = doc;
    expect(matches({ hold: true }, older, at)).toBe(false);
    expect(matches({ flagged: true }, doc, at)).toBe(false);
    expect(matches({ to: "2026-11-01" }, doc, at)).toBe(false);
    expect(matches({ from: "2026-11-03" }, doc, at)).toBe(false);
  });
});

describe("parseListInput: what the console is told", () => {
  const refusal = (input: unknown) => {
    try {
      parseListInput(input);
    } catch (e) {
      return { name: (e as Error).name, field: (e as { field: string }).field, message: (e as Error).message };
    }
    return null;
  };

  it("no input is no filter; anything but an object is refused", () => {
    expect(parseListInput(undefined)).toEqual({});
    expect(parseListInput(null)).toEqual({});
    for (const bad of ["status=paid", 5, [{ status: "created" }]])
      expect(refusal(bad)).toEqual({ name: "ListInputError", field: "(input)", message: "expected an object" });
  });

  it.each([
    [{ stauts: "created" }, "stauts", "unknown filter stauts"],
    [{ status: 3 }, "status", "status must be a string"],
    [{ status: "paid" }, "status", "status must be one of created, failed, succeeded, expired, refunded"],
    [{ color: "Black Pearl!" }, "color", "color is not a colour name"],
    [{ locale: "fr" }, "locale", "locale must be one of en, zh-HK, zh-CN"],
    [{ from: "2026-13-01" }, "from", "from must be a date (YYYY-MM-DD)"],
    [{ to: "2026-11-31x" }, "to", "to must be a date (YYYY-MM-DD)"],
    [{ from: "2026-11-20", to: "2026-11-01" }, "to", "to is before from"],
    [{ hold: "yes" }, "hold", "hold must be true or absent"],
    [{ q: "x".repeat(201) }, "q", "search is too long"],
    [{ pageSize: 0 }, "pageSize", "pageSize must be an integer from 1 to 100"],
    [{ pageSize: 101 }, "pageSize", "pageSize must be an integer from 1 to 100"],
    [{ pageSize: 1.5 }, "pageSize", "pageSize must be an integer from 1 to 100"],
    [{ pageSize: "10" }, "pageSize", "pageSize must be an integer from 1 to 100"],
  ])("%j → %s: %s", (input, field, message) => {
    expect(refusal(input)).toEqual({ name: "ListInputError", field, message });
  });

  it("the edges are accepted: one day (from = to), a 200-character search, page sizes 1 and 100, null and false mean unset", () => {
    expect(parseListInput({ from: "2026-11-02", to: "2026-11-02" })).toEqual({ from: "2026-11-02", to: "2026-11-02" });
    expect(parseListInput({ to: "2026-11-02" })).toEqual({ to: "2026-11-02" });
    expect(parseListInput({ q: "x".repeat(200) }).q).toHaveLength(200);
    expect([parseListInput({ pageSize: 1 }).pageSize, parseListInput({ pageSize: 100 }).pageSize]).toEqual([1, 100]);
    expect(parseListInput({ status: null, color: "", hold: null, flagged: false })).toEqual({});
  });
});

describe("listPlan and pageOf at their edges", () => {
  it("no filter → no clause", () => {
    expect(listPlan({}).where).toEqual([]);
  });

  it.each([
    [{ status: "expired" }, [{ field: "status", op: "==", value: "expired" }]],
    [{ color: "white" }, [{ field: "color", op: "==", value: "white" }]],
    [{ locale: "zh-CN" }, [{ field: "locale", op: "==", value: "zh-CN" }]],
    [{ flagged: true }, [{ field: "flagged", op: "==", value: true }]],
  ])("%j alone → its clause alone", (input, where) => {
    expect(listPlan(parseListInput(input)).where).toEqual(where);
  });

  const t = (s: number, n = 0): Instant => ({ seconds: s, nanos: n });
  const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `d${i}`, createdAt: t(100 - i) }));

  it("a page holds pageSize rows when more exist, and no next page when exactly pageSize remain", () => {
    const plan = listPlan({ pageSize: 3 });
    const more = pageOf(docs(4), plan);
    expect(more.rows.map((r) => r.id)).toEqual(["d0", "d1", "d2"]);
    expect(decodeCursor(more.next!)).toEqual({ at: t(98), ids: ["d2"] });
    expect(pageOf(docs(3), plan)).toEqual({ rows: docs(3), next: null });
  });

  it("ties are told apart by nanoseconds too: only ids at the exact boundary instant are carried", () => {
    const page = pageOf(
      [
        { id: "a", createdAt: t(5, 1) },
        { id: "b", createdAt: t(5, 2) },
        { id: "c", createdAt: t(6, 2) },
        { id: "d", createdAt: t(4) },
      ],
      listPlan({ pageSize: 3 }),
    );
    expect(decodeCursor(page.next!)).toEqual({ at: t(6, 2), ids: ["c"] });
  });

  it("a page after a cursor at another instant does not carry the earlier ids", () => {
    const first = pageOf(docs(5), listPlan({ pageSize: 2 }));
    const plan = listPlan({ pageSize: 2, cursor: first.next! });
    const second = pageOf(docs(5).slice(1), plan);
    expect(second.rows.map((r) => r.id)).toEqual(["d2", "d3"]);
    expect(decodeCursor(second.next!)).toEqual({ at: t(97), ids: ["d3"] });
  });
});

describe("decodeCursor refuses what the page could not have made", () => {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  it.each([
    ["fractional seconds", [1.5, 0, []]],
    ["fractional nanos", [1, 0.5, []]],
    ["ids not a list", [1, 0, "abc"]],
    ["102 ids", [1, 0, Array.from({ length: 102 }, (_, i) => `i${i}`)]],
    ["a bad id after good ones", [1, 0, ["ok", "../x"]]],
    ["an id with a trailing slash", [1, 0, ["ok/"]]],
    ["an id of 161 characters", [1, 0, ["a".repeat(161)]]],
    ["a number for an id", [1, 0, [123]]],
  ])("%s", (_, v) => {
    expect(() => decodeCursor(enc(v))).toThrow("cursor is not valid: reload the list");
  });
  it("101 ids (a full page plus one) are fine", () => {
    const ids = Array.from({ length: 101 }, (_, i) => `i${i}`);
    expect(decodeCursor(enc([1, 0, ids])).ids).toHaveLength(101);
  });
});

describe("matches: each filter on its own, days at their edges", () => {
  const doc = { status: "succeeded", color: "black", locale: "en", hold: null, flagged: true };
  const day = Date.parse("2026-11-02T00:00:00Z");
  it.each([
    [{ status: "refunded" }, false],
    [{ color: "white" }, false],
    [{ locale: "zh-HK" }, false],
    [{ locale: "en" }, true],
    [{ flagged: true }, true],
  ] as const)("%j → %p", (f, want) => {
    expect(matches(f, doc, day)).toBe(want);
  });
  it("from includes its first millisecond; to includes its last and not the next day's first", () => {
    expect(matches({ from: "2026-11-02" }, doc, day)).toBe(true);
    expect(matches({ from: "2026-11-02" }, doc, day - 1)).toBe(false);
    expect(matches({ to: "2026-11-02" }, doc, day + 86_400_000 - 1)).toBe(true);
    expect(matches({ to: "2026-11-02" }, doc, day + 86_400_000)).toBe(false);
  });
});

describe("classifySearch: whole terms only", () => {
  it.each([
    "xrol-123",
    "rol-123x",
    "a@b c",
    "-pi_3Nabc",
    "pi_3Nabc!",
    "AbCdEfGhIjKlMnOpQrStU",
    "!AbCdEfGhIjKlMnOpQrSt",
    "constructor_abcd",
  ])("%s is refused with what can be searched", (q) => {
    expect(() => classifySearch(q)).toThrow("Search by email, ROL- number or a Stripe id (cs_, pi_, ch_, re_, cus_, evt_, dp_)");
  });
});
