/**
 * Conversion maths, pure. Each preorder is counted once per metric it reaches, into the counter shard of
 * the UTC day it was created on (a cohort: a preorder started on Monday and paid on Tuesday is a Monday
 * conversion). The counter documents are written by funnel-trigger.ts; this file says what they hold and
 * how the console reads them.
 */
import type { PreorderStatus } from "../preorder/status";

export const METRICS = ["started", "paid", "failed", "expired", "refunded"] as const;
export type Metric = (typeof METRICS)[number];
export const DIMENSIONS = ["color", "locale", "campaign", "source"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Counter shards per day: 10,000 preorders in 10 minutes ≈ 35 transitions/s → < 1 write/s per shard. */
export const SHARDS = 40;
/** The longest range the console reads at once (days × SHARDS documents). */
export const MAX_DAYS = 366;
export const NONE = "(none)";

/**
 * What a status implies: every preorder started; a refund implies a payment (a refund may overtake the
 * success event). `failed` counts a preorder that ever had a failed attempt, even if a retry paid.
 */
export function metricsFor(status: PreorderStatus): Metric[] {
  switch (status) {
    case "created":
      return ["started"];
    case "failed":
      return ["started", "failed"];
    case "succeeded":
      return ["started", "paid"];
    case "expired":
      return ["started", "expired"];
    case "refunded":
      return ["started", "paid", "refunded"];
  }
}

export type Counts = Partial<Record<Metric, number>>;
export interface CounterDoc {
  day: string;
  all: Counts;
  by: Record<Dimension, Record<string, Counts>>;
}

export interface Dims {
  day: string;
  color: string;
  locale: string;
  campaign: string;
  source: string;
}

const text = (v: unknown): string => (typeof v === "string" && v.trim() ? v.trim().slice(0, 100) : NONE);

/** The dimensions of a preorder document: its creation day (UTC), colour, locale and attribution. */
export function dimsOf(doc: Record<string, unknown>, createdAt: Date): Dims {
  const a = (doc.attribution ?? null) as Record<string, unknown> | null;
  return {
    day: createdAt.toISOString().slice(0, 10),
    color: text(doc.color),
    locale: text(doc.locale),
    campaign: text(a?.utm_campaign),
    source: text(a?.utm_source),
  };
}

export const emptyCounter = (day: string): CounterDoc => ({ day, all: {}, by: { color: {}, locale: {}, campaign: {}, source: {} } });

const bump = (c: Counts, metrics: Metric[]) => {
  for (const m of metrics) c[m] = (c[m] ?? 0) + 1;
};

/** A counter shard with `metrics` added for a preorder of these dimensions (a new object). */
export function addTo(counter: CounterDoc, dims: Dims, metrics: Metric[]): CounterDoc {
  const next = structuredClone(counter);
  bump(next.all, metrics);
  for (const d of DIMENSIONS) bump((next.by[d][dims[d]] ??= {}), metrics);
  return next;
}

/** The UTC days from..to inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || Number.isNaN(start) || Number.isNaN(end))
    throw new RangeError("dates must be YYYY-MM-DD");
  if (end < start) throw new RangeError("to is before from");
  const n = (end - start) / 86_400_000 + 1;
  if (n > MAX_DAYS) throw new RangeError(`at most ${MAX_DAYS} days at once`);
  return Array.from({ length: n }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

export const shardIds = (days: string[]): string[] =>
  days.flatMap((d) => Array.from({ length: SHARDS }, (_, s) => `${d}_${String(s).padStart(2, "0")}`));

export interface FunnelRow {
  key: string;
  started: number;
  paid: number;
  failed: number;
  expired: number;
  refunded: number;
  /** paid / started, 0..1 (0 when nothing started) */
  conversion: number;
}

const row = (key: string, c: Counts): FunnelRow => {
  const r = {
    key,
    started: c.started ?? 0,
    paid: c.paid ?? 0,
    failed: c.failed ?? 0,
    expired: c.expired ?? 0,
    refunded: c.refunded ?? 0,
  };
  return { ...r, conversion: r.started ? r.paid / r.started : 0 };
};

export interface Funnel {
  from: string;
  to: string;
  overall: FunnelRow;
  byDay: FunnelRow[];
  by: Record<Dimension, FunnelRow[]>;
}

/** Sums the counter shards of a range into the funnel the console shows. */
export function funnelOf(from: string, to: string, shards: Array<Partial<CounterDoc>>): Funnel {
  const days = daysBetween(from, to);
  const all: Counts = {};
  const perDay = new Map<string, Counts>(days.map((d) => [d, {}]));
  const by = Object.fromEntries(DIMENSIONS.map((d) => [d, new Map<string, Counts>()])) as Record<Dimension, Map<string, Counts>>;
  const add = (into: Counts, c: Counts | undefined) => {
    for (const m of METRICS) if (c?.[m]) into[m] = (into[m] ?? 0) + c[m]!;
  };
  for (const s of shards) {
    if (!s.day || !perDay.has(s.day)) continue;
    add(all, s.all);
    add(perDay.get(s.day)!, s.all);
    for (const d of DIMENSIONS)
      for (const [k, c] of Object.entries(s.by?.[d] ?? {})) {
        if (!by[d].has(k)) by[d].set(k, {});
        add(by[d].get(k)!, c);
      }
  }
  const sorted = (m: Map<string, Counts>) =>
    [...m.entries()].map(([k, c]) => row(k, c)).sort((a, b) => b.started - a.started || a.key.localeCompare(b.key));
  return {
    from,
    to,
    overall: row("all", all),
    byDay: days.map((d) => row(d, perDay.get(d)!)),
    by: Object.fromEntries(DIMENSIONS.map((d) => [d, sorted(by[d])])) as Record<Dimension, FunnelRow[]>,
  };
}
