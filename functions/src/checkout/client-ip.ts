/**
 * The client's address for the per-IP limit (pure). Google's front end (and the Hosting rewrite) append to
 * `X-Forwarded-For`; what a client sent itself sits on the left and can be anything. So the address is
 * taken `hops` entries from the right (TRUSTED_PROXY_HOPS: how many proxies append after the client), never
 * simply the first. IPv6 clients are keyed by their /64, the block one subscriber usually holds, so rotating
 * addresses inside it gains nothing. Unknown → "unknown" (one shared bucket: fails towards limiting).
 */
import { isIP } from "node:net";

export interface RawRequestLike {
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
}

function normalize(candidate: string | undefined): string | null {
  if (!candidate) return null;
  let ip = candidate.trim();
  if (ip.startsWith("[")) ip = ip.slice(1, ip.indexOf("]")); // [v6]:port
  if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(ip)) ip = ip.slice(0, ip.lastIndexOf(":")); // v4:port
  if (ip.toLowerCase().startsWith("::ffff:") && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  const kind = isIP(ip);
  if (kind === 4) return ip;
  if (kind === 6) return `${v6Prefix64(ip)}::/64`;
  return null;
}

/** The first four groups of an IPv6 address, with `::` expanded. */
function v6Prefix64(ip: string): string {
  const [head = "", tail] = ip.toLowerCase().split("%")[0]!.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":");
}

export function forwardedEntries(raw: RawRequestLike | undefined): string[] {
  const header = raw?.headers?.["x-forwarded-for"];
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function clientIp(raw: RawRequestLike | undefined, hops: number): string {
  const entries = forwardedEntries(raw);
  if (entries.length > 0) {
    const picked = normalize(entries[Math.max(0, entries.length - 1 - Math.max(0, hops))]);
    if (picked) return picked;
  }
  return normalize(raw?.ip) ?? "unknown";
}
