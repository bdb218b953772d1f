/**
 * The order list, as pure functions: the caller's filters (validated), the Firestore query that serves
 * them, the cursor of the next page, and the search term's kind. The adapter (list.ts) only runs the plan.
 *
 * Paging uses a `createdAt <= t` filter plus the ids already shown at exactly `t` instead of a query cursor
 * (`startAfter`): the same query runs on the real Firestore and on the embedded test server (which ignores
 * cursors), and a page never skips orders created in the same millisecond.
 */
import { STATUSES, type PreorderStatus } from "../preorder/status";
import { LOCALES, normalizeEmail, type Locale } from "../preorder/types";

export class ListInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "ListInputError";
  }
}

export interface ListFilters {
  status?: PreorderStatus;
  color?: string;
  locale?: Locale;
  /** inclusive UTC day, YYYY-MM-DD */
  from?: string;
  /** inclusive UTC day, YYYY-MM-DD */
  to?: string;
  hold?: true;
  flagged?: true;
}

export interface ListInput extends ListFilters {
  q?: string;
  cursor?: string;
  pageSize?: number;
}

/** A Firestore time, exactly (nanoseconds matter for ties). */
export interface Instant {
  seconds: number;
  nanos: number;
}

export type Where =
  | { field: string; op: "=="; value: string | boolean }
  | { field: "createdAt"; op: ">=" | "<" | "<="; value: Instant }
  | { field: string; op: "!="; value: null };

export interface ListPlan {
  where: Where[];
  orderBy: { field: "createdAt"; direction: "desc" | "asc" };
  /** documents to ask for: the page, the ids to skip, and one more to know whether there is a next page */
  limit: number;
  skip: string[];
  /** the time the page starts at (the previous page's last row), when paging */
  cursorAt: Instant | null;
  pageSize: number;
}

export interface Cursor {
  at: Instant;
  ids: string[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const COLOR = /^[a-z][a-z0-9-]{0,29}$/;
export const MAX_PAGE = 100;

const dayStart = (day: string, field: string): number => {
  const ms = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) throw new ListInputError(field, `${field} must be a date (YYYY-MM-DD)`);
  return ms;
};
const instantOf = (ms: number): Instant => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** Validates untrusted input from the page; unknown keys are refused so a typo never silently matches all. */
export function parseListInput(raw: unknown): ListInput {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ListInputError("(input)", "expected an object");
  const known = ["status", "color", "locale", "from", "to", "hold", "flagged", "q", "cursor", "pageSize"];
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!known.includes(key)) throw new ListInputError(key, `unknown filter ${key}`);
  const out: ListInput = {};
  const str = (k: string): string | undefined => {
    const v = input[k];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new ListInputError(k, `${k} must be a string`);
    return v.trim();
  };
  const status = str("status");
  if (status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(status))
      throw new ListInputError("status", `status must be one of ${STATUSES.join(", ")}`);
    out.status = status as PreorderStatus;
  }
  const color = str("color")?.toLowerCase();
  if (color !== undefined) {
    if (!COLOR.test(color)) throw new ListInputError("color", "color is not a colour name");
    out.color = color;
  }
  const locale = str("locale");
  if (locale !== undefined) {
    if (!(LOCALES as readonly string[]).includes(locale)) throw new ListInputError("locale", `locale must be one of ${LOCALES.join(", ")}`);
    out.locale = locale as Locale;
  }
  const from = str("from");
  const to = str("to");
  if (from !== undefined) dayStart(from, "from");
  if (to !== undefined) dayStart(to, "to");
  if (from && to && from > to) throw new ListInputError("to", "to is before from");
  if (from) out.from = from;
  if (to) out.to = to;
  for (const k of ["hold", "flagged"] as const) {
    const v = input[k];
    if (v === undefined || v === null || v === false) continue;
    if (v !== true) throw new ListInputError(k, `${k} must be true or absent`);
    out[k] = true;
  }
  const q = str("q");
  if (q !== undefined) {
    if (q.length > 200) throw new ListInputError("q", "search is too long");
    out.q = q;
  }
  const cursor = str("cursor");
  if (cursor !== undefined) {
    decodeCursor(cursor);
    out.cursor = cursor;
  }
  if (input.pageSize !== undefined) {
    const n = input.pageSize;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_PAGE)
      throw new ListInputError("pageSize", `pageSize must be an integer from 1 to ${MAX_PAGE}`);
    out.pageSize = n;
  }
  return out;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at.seconds, c.at.nanos, c.ids])).toString("base64url");
}

export function decodeCursor(s: string): Cursor {
  try {
    const [seconds, nanos, ids] = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as [unknown, unknown, unknown];
    if (
      Number.isInteger(seconds) &&
      Number.isInteger(nanos) &&
      Array.isArray(ids) &&
      ids.length <= MAX_PAGE + 1 &&
      ids.every((id) => typeof id === "string" && /^[A-Za-z0-9_-]{1,160}$/.test(id))
    )
      return { at: { seconds: seconds as number, nanos: nanos as number }, ids: ids as string[] };
  } catch {
    /* fall through */
  }
  throw new ListInputError("cursor", "cursor is not valid: reload the list");
}

/** The equality and range filters of a list (also used by the export with its own order). */
export function filterWheres(f: ListFilters): Where[] {
  const where: Where[] = [];
  if (f.status) where.push({ field: "status", op: "==", value: f.status });
  if (f.color) where.push({ field: "color", op: "==", value: f.color });
  if (f.locale) where.push({ field: "locale", op: "==", value: f.locale });
  if (f.flagged) where.push({ field: "flagged", op: "==", value: true });
  if (f.from) where.push({ field: "createdAt", op: ">=", value: instantOf(dayStart(f.from, "from")) });
  if (f.to) where.push({ field: "createdAt", op: "<", value: instantOf(dayStart(f.to, "to") + 86_400_000) });
  return where;
}

/**
 * Orders on hold are few (open disputes), so that filter reads them all with one `hold != null` query (a
 * single-field index, no composite index per combination) and the other filters, order and paging apply in
 * memory. HELD_MAX bounds it; the page says so if it is ever reached.
 */
export const HELD_MAX = 1000;
export const heldWhere: Where = { field: "hold", op: "!=", value: null };

/** The query for one page of the list, newest first. */
export function listPlan(input: ListInput, direction: "desc" | "asc" = "desc"): ListPlan {
  const pageSize = input.pageSize ?? 25;
  const where = filterWheres(input);
  let skip: string[] = [];
  let cursorAt: Instant | null = null;
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    where.push({ field: "createdAt", op: direction === "desc" ? "<=" : ">=", value: c.at } as Where);
    skip = c.ids;
    cursorAt = c.at;
  }
  return { where, orderBy: { field: "createdAt", direction }, limit: pageSize + skip.length + 1, skip, cursorAt, pageSize };
}

export interface Listed {
  id: string;
  createdAt: Instant;
}

/**
 * The page out of what the plan's query returned (in query order): skip what earlier pages showed, keep
 * `pageSize`, and the cursor of the next page (its time, and every id shown at exactly that time).
 */
export function pageOf<T extends Listed>(docs: T[], plan: ListPlan): { rows: T[]; next: string | null } {
  const skip = new Set(plan.skip);
  const fresh = docs.filter((d) => !skip.has(d.id));
  const rows = fresh.slice(0, plan.pageSize);
  if (fresh.length <= plan.pageSize || rows.length === 0) return { rows, next: null };
  const last = rows[rows.length - 1]!.createdAt;
  const same = (a: Instant) => a.seconds === last.seconds && a.nanos === last.nanos;
  // ids at the boundary time: those of this page, plus those of earlier pages still at that time
  const prevAtSame = plan.cursorAt && same(plan.cursorAt) ? plan.skip : [];
  const ids = [...prevAtSame, ...rows.filter((r) => same(r.createdAt)).map((r) => r.id)];
  return { rows, next: encodeCursor({ at: last, ids }) };
}

/** Pure check of a document against the filters: the search path filters in memory, and it guards the list. */
export function matches(f: ListFilters, doc: Record<string, unknown>, createdAtMs: number): boolean {
  if (f.status && doc.status !== f.status) return false;
  if (f.color && doc.color !== f.color) return false;
  if (f.locale && doc.locale !== f.locale) return false;
  if (f.flagged && doc.flagged !== true) return false;
  if (f.hold && (doc.hold === null || doc.hold === undefined)) return false;
  if (f.from && createdAtMs < dayStart(f.from, "from")) return false;
  if (f.to && createdAtMs >= dayStart(f.to, "to") + 86_400_000) return false;
  return true;
}

export type SearchTerm =
  | { kind: "number"; value: string }
  | { kind: "email"; value: string }
  | { kind: "preorderId"; value: string }
  | { kind: "stripe"; object: "session" | "payment_intent" | "charge" | "refund" | "customer" | "event" | "dispute"; value: string };

const STRIPE_PREFIX: Record<string, Extract<SearchTerm, { kind: "stripe" }>["object"]> = {
  cs: "session",
  pi: "payment_intent",
  ch: "charge",
  py: "charge",
  re: "refund",
  cus: "customer",
  evt: "event",
  dp: "dispute",
  du: "dispute",
};

/** What the operator typed: an email, a ROL- number, a Stripe id (by its prefix), or a preorder id. */
export function classifySearch(q: string): SearchTerm {
  const t = q.trim();
  if (/^rol-\d{1,20}$/i.test(t)) return { kind: "number", value: t.toUpperCase() };
  if (/^[^\s@]+@[^\s@]+$/.test(t)) return { kind: "email", value: normalizeEmail(t) };
  const m = /^([a-z]+)_[A-Za-z0-9_]{3,250}$/.exec(t);
  // own keys only: "constructor_abc" would otherwise name Object's constructor as a Stripe object
  if (m && Object.hasOwn(STRIPE_PREFIX, m[1]!)) return { kind: "stripe", object: STRIPE_PREFIX[m[1]!]!, value: t };
  if (/^[A-Za-z0-9]{20}$/.test(t)) return { kind: "preorderId", value: t };
  throw new ListInputError("q", "Search by email, ROL- number or a Stripe id (cs_, pi_, ch_, re_, cus_, evt_, dp_)");
}
