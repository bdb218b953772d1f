/**
 * The fulfilment export as pure streaming code: preorders in, CSV text out, one row at a time, so 20,000
 * rows never sit in memory. UTF-8 with a BOM (Excel then reads Chinese names right), CRLF line ends
 * (RFC 4180), and cells that a spreadsheet would run as a formula neutralised with a leading apostrophe
 * (OWASP "CSV injection": =, +, -, @, and tab / carriage return).
 */
import type { CustomerDetails } from "../preorder/types";

export const BOM = "\uFEFF";

/** One cell: neutralised, then quoted when it holds a comma, quote or line break. */
export function cell(value: unknown): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const line = (cells: unknown[]): string => `${cells.map(cell).join(",")}\r\n`;

export interface ShippableDoc {
  preorderId: string;
  preorderNumber?: string;
  email?: string;
  color?: string;
  status?: string;
  hold?: unknown;
  customer?: CustomerDetails | null;
  createdAt: Date;
}

/** Paid, not refunded, not on hold: what the factory may ship. */
export const shippable = (d: Pick<ShippableDoc, "status" | "hold">): boolean =>
  d.status === "succeeded" && (d.hold === null || d.hold === undefined);

export const ORDER_COLUMNS = [
  "preorder_number",
  "name",
  "email",
  "phone",
  "color",
  "address_line1",
  "address_line2",
  "city",
  "state",
  "postal_code",
  "country",
  "ordered_at",
] as const;

export function orderCells(d: ShippableDoc): unknown[] {
  const c = d.customer ?? null;
  const a = c?.shipping?.address ?? null;
  return [
    d.preorderNumber,
    c?.shipping?.name ?? c?.name ?? "",
    d.email,
    c?.phone ?? "",
    d.color,
    a?.line1,
    a?.line2,
    a?.city,
    a?.state,
    a?.postal_code,
    a?.country,
    d.createdAt.toISOString(),
  ];
}

/** The orders to ship, as CSV text chunks (header first). Documents that must not ship are dropped here. */
export async function* ordersCsv(docs: AsyncIterable<ShippableDoc>): AsyncGenerator<string> {
  yield BOM + line([...ORDER_COLUMNS]);
  for await (const d of docs) if (shippable(d)) yield line(orderCells(d));
}

export type Summary = Map<string, number>;
const key = (color: string, country: string) => `${color}\u0000${country}`;

export function addToSummary(summary: Summary, d: ShippableDoc): void {
  if (!shippable(d)) return;
  const k = key(d.color ?? "", d.customer?.shipping?.address?.country ?? "");
  summary.set(k, (summary.get(k) ?? 0) + 1);
}

/** Quantities per colour and country for the factory, with per-colour and grand totals. */
export function summaryCsv(summary: Summary): string {
  const rows = [...summary.entries()]
    .map(([k, n]) => [...k.split("\u0000"), n] as [string, string, number])
    .sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
  const perColor = new Map<string, number>();
  for (const [c, , n] of rows) perColor.set(c, (perColor.get(c) ?? 0) + n);
  let out = BOM + line(["color", "country", "quantity"]);
  for (const [c, country, n] of rows) out += line([c, country || "(none)", n]);
  for (const [c, n] of perColor) out += line([c, "ALL", n]);
  out += line(["ALL", "ALL", rows.reduce((s, r) => s + r[2], 0)]);
  return out;
}
