/**
 * Conversion counts: the pure maths, and the counter trigger against Firestore — every metric counted once
 * per preorder however often and in whatever order its changes arrive, spread over shards (no hot document).
 */
process.env.GCLOUD_PROJECT = "demo-rolitt-funnel"; // a namespace of its own in the shared test Firestore
import { Timestamp } from "firebase-admin/firestore";
import { onPreorderCounted, type WrittenEvent } from "../src/admin/funnel-trigger";
import { addTo, daysBetween, dimsOf, emptyCounter, funnelOf, metricsFor, SHARDS } from "../src/admin/funnel";
import { db } from "../src/shared/firestore";
import { adminFunnel } from "../src/index";

describe("funnel maths", () => {
  it("a status implies its metrics (a refund implies a payment)", () => {
    expect(metricsFor("created")).toEqual(["started"]);
    expect(metricsFor("refunded")).toEqual(["started", "paid", "refunded"]);
    expect(metricsFor("failed")).toEqual(["started", "failed"]);
  });

  it("dimensions come from the document, with (none) for missing attribution", () => {
    const at = new Date("2026-11-20T23:59:59Z");
    expect(dimsOf({ color: "black", locale: "zh-HK", attribution: { utm_campaign: "launch", utm_source: "meta" } }, at)).toEqual({
      day: "2026-11-20",
      color: "black",
      locale: "zh-HK",
      campaign: "launch",
      source: "meta",
    });
    expect(dimsOf({ color: "khaki", locale: "en", attribution: null }, at)).toMatchObject({ campaign: "(none)", source: "(none)" });
  });

  it("sums shards of the range, per day and per dimension, with conversion", () => {
    const d = { day: "2026-11-20", color: "black", locale: "en", campaign: "launch", source: "meta" };
    let s1 = addTo(emptyCounter("2026-11-20"), d, ["started", "paid"]);
    s1 = addTo(s1, { ...d, color: "white", campaign: "(none)" }, ["started"]);
    const s2 = addTo(emptyCounter("2026-11-21"), { ...d, day: "2026-11-21" }, ["started", "failed"]);
    const outside = addTo(emptyCounter("2026-11-25"), d, ["started"]);
    const f = funnelOf("2026-11-20", "2026-11-22", [s1, s2, outside]);
    expect(f.overall).toEqual({ key: "all", started: 3, paid: 1, failed: 1, expired: 0, refunded: 0, conversion: 1 / 3 });
    expect(f.byDay.map((r) => [r.key, r.started, r.paid])).toEqual([
      ["2026-11-20", 2, 1],
      ["2026-11-21", 1, 0],
      ["2026-11-22", 0, 0],
    ]);
    expect(f.by.campaign.map((r) => [r.key, r.started, r.paid])).toEqual([
      ["launch", 2, 1],
      ["(none)", 1, 0],
    ]);
    expect(f.by.color.find((r) => r.key === "white")).toMatchObject({ started: 1, paid: 0, conversion: 0 });
  });

  it("refuses bad or huge ranges", () => {
    expect(() => daysBetween("2026-11-20", "2026-11-19")).toThrow(/before/);
    expect(() => daysBetween("2025-01-01", "2026-11-19")).toThrow(/at most/);
    expect(() => daysBetween("nope", "2026-11-19")).toThrow(/YYYY-MM-DD/);
    // Date.parse alone would take a month or a year for a day
    expect(() => daysBetween("2026-11", "2026-11-19")).toThrow("dates must be YYYY-MM-DD");
    expect(() => daysBetween("2026-11-01", "2026")).toThrow("dates must be YYYY-MM-DD");
    // nor an ISO expanded year
    expect(() => daysBetween("+002026-11-20", "2026-11-20")).toThrow("dates must be YYYY-MM-DD");
    expect(() => daysBetween("2026-11-20", "+002026-11-20")).toThrow("dates must be YYYY-MM-DD");
  });

  it("a whole year (366 days, a leap year's) is one range", () => {
    const days = daysBetween("2024-01-01", "2024-12-31");
    expect([days.length, days[0], days.at(-1)]).toEqual([366, "2024-01-01", "2024-12-31"]);
    expect(() => daysBetween("2024-01-01", "2025-01-01")).toThrow("at most 366 days at once");
  });

  it("dimensions are trimmed and cut to 100 characters; blank ones are (none)", () => {
    const at = new Date("2026-11-20T10:00:00Z");
    const long = "c".repeat(150);
    expect(dimsOf({ color: "  black ", locale: " ", attribution: { utm_campaign: ` ${long}`, utm_source: 7 } }, at)).toEqual({
      day: "2026-11-20",
      color: "black",
      locale: "(none)",
      campaign: "c".repeat(100),
      source: "(none)",
    });
  });

  it("a shard without totals or dimensions adds nothing and breaks nothing", () => {
    const f = funnelOf("2026-11-20", "2026-11-20", [{ day: "2026-11-20" }, { day: "2026-11-20", all: { started: 2 } }]);
    expect(f.overall).toMatchObject({ started: 2, paid: 0 });
    expect(f.by.color).toEqual([]);
  });
});

describe("onPreorderCounted (Firestore)", () => {
  const snap = (data: Record<string, unknown> | null) => ({ exists: !!data, data: () => data ?? undefined });
  const event = (id: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null) =>
    ({ params: { preorderId: id }, data: { before: snap(before), after: snap(after) } }) as unknown as WrittenEvent;

  const createdAt = Timestamp.fromDate(new Date("2026-10-05T12:00:00Z"));
  const base = (status: string, campaign?: string) => ({
    status,
    color: "black",
    locale: "en",
    createdAt,
    attribution: campaign ? { utm_campaign: campaign, utm_source: "meta" } : null,
  });

  const readFunnel = async () => {
    const snaps = await db().collection("funnel_counters").get();
    return funnelOf(
      "2026-10-05",
      "2026-10-05",
      snaps.docs.map((d) => d.data()),
    );
  };

  it("counts each metric once per preorder under repeats and any order, across shards", async () => {
    let shard = 0;
    const pick = () => shard++ % SHARDS;
    // p1: created → failed → succeeded → refunded, every change delivered twice, newest first
    const p1 = [
      event("p1", null, base("created", "launch")),
      event("p1", base("created", "launch"), base("failed", "launch")),
      event("p1", base("failed", "launch"), base("succeeded", "launch")),
      event("p1", base("succeeded", "launch"), base("refunded", "launch")),
    ];
    for (const e of [...p1].reverse().flatMap((e) => [e, e])) await onPreorderCounted(e, pick);
    // p2: created then expired; p3: created only; p4: paid without attribution
    await onPreorderCounted(event("p2", null, base("created", "launch")), pick);
    await onPreorderCounted(event("p2", base("created", "launch"), base("expired", "launch")), pick);
    await onPreorderCounted(event("p3", null, base("created")), pick);
    await onPreorderCounted(event("p4", base("created"), base("succeeded")), pick);
    await onPreorderCounted(event("p4", base("succeeded"), { ...base("succeeded"), email: "changed" }), pick); // no status change

    const f = await readFunnel();
    expect(f.overall).toMatchObject({ started: 4, paid: 2, failed: 1, expired: 1, refunded: 1 });
    expect(f.by.campaign.map((r) => [r.key, r.started, r.paid])).toEqual([
      ["(none)", 2, 1],
      ["launch", 2, 1],
    ]);
    expect(f.by.source.find((r) => r.key === "meta")).toMatchObject({ started: 2 });
    // the writes went to many shard documents, none of them the only one
    const shards = await db().collection("funnel_counters").get();
    expect(shards.size).toBeGreaterThan(3);
    expect(shards.docs.every((d) => /^2026-10-05_\d{2}$/.test(d.id))).toBe(true);
  });

  it("by default a count lands on a random one of the day's SHARDS documents, so a launch spike has no hot document", async () => {
    const day = Timestamp.fromDate(new Date("2025-06-15T12:00:00Z"));
    for (let i = 0; i < 30; i++) await onPreorderCounted(event(`spread${i}`, null, { ...base("created"), createdAt: day }));
    const ids = (await db().collection("funnel_counters").where("day", "==", "2025-06-15").get()).docs.map((d) => d.id);
    const shardNumbers = ids.map((id) => /^2025-06-15_(\d{2})$/.exec(id)?.[1]);
    expect(shardNumbers.every((n) => n !== undefined && Number(n) < SHARDS)).toBe(true);
    expect(new Set(shardNumbers).size).toBeGreaterThan(5); // 30 counts on 40 shards: all on 5 or fewer is about 1e-21
  });

  it("a deletion, a document without createdAt and an unknown status count nothing and do not fail", async () => {
    const before = await readFunnel();
    await expect(onPreorderCounted(event("p1", base("refunded", "launch"), null))).resolves.toBeUndefined();
    await expect(onPreorderCounted(event("p9", null, { ...base("created"), createdAt: undefined }))).resolves.toBeUndefined();
    await expect(onPreorderCounted(event("p9", null, { ...base("created"), createdAt: "2026-10-05" }))).resolves.toBeUndefined();
    await expect(onPreorderCounted(event("p8", base("created"), base("archived")))).resolves.toBeUndefined();
    expect(await readFunnel()).toEqual(before);
    expect((await db().collection("funnel_marks").doc("p9").get()).exists).toBe(false);
  });

  it("the console's adminFunnel reads these counters: a range, the 30 days to `to`, or the 30 days to today", async () => {
    const call = (data: unknown) =>
      (adminFunnel as unknown as { run: (r: unknown) => Promise<any> }).run({
        data,
        auth: { uid: "admin-1", token: { admin: true } },
        rawRequest: {},
        acceptsStreaming: false,
      });
    const day = await call({ from: "2026-10-05", to: "2026-10-05" });
    expect(day).toEqual(await readFunnel());
    expect(day.overall).toMatchObject({ started: 4, paid: 2 });

    const toOnly = await call({ to: "2026-10-20" });
    expect([toOnly.from, toOnly.to, toOnly.byDay.length]).toEqual(["2026-09-21", "2026-10-20", 30]);
    expect(toOnly.overall).toEqual(day.overall);

    const today = new Date().toISOString().slice(0, 10);
    for (const data of [{}, null, { from: "", to: "" }, { from: 5, to: 7 }]) {
      const f = await call(data);
      expect([f.to, f.byDay.length]).toEqual([today, 30]);
      expect(f.from).toBe(new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10));
    }
    await expect(call({ from: "2026-10-06", to: "2026-10-05" })).rejects.toMatchObject({ code: "invalid-argument" });
  });
});
