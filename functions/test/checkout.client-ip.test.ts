import { clientIp, forwardedEntries } from "../src/checkout/client-ip";
import { limitDocId, probeOrder, take, windowOf } from "../src/checkout/limiter";

const req = (xff?: string, ip = "169.254.8.1") => ({ ip, headers: xff === undefined ? {} : { "x-forwarded-for": xff } });

describe("client address", () => {
  it.each([
    ["client then Google's proxy", "203.0.113.9, 66.102.8.142", 1, "203.0.113.9"],
    ["a spoofed entry on the left is ignored", "1.2.3.4, 203.0.113.9, 66.102.8.142", 1, "203.0.113.9"],
    ["two trusted hops (Hosting in front)", "1.2.3.4, 203.0.113.9, 10.0.0.1, 66.102.8.142", 2, "203.0.113.9"],
    ["fewer entries than hops: the leftmost", "203.0.113.9", 1, "203.0.113.9"],
    ["IPv6 keyed by its /64", "2001:db8:1:2:aaaa::1, 66.102.8.142", 1, "2001:db8:1:2::/64"],
    ["another address in the same /64 is the same key", "2001:0db8:0001:0002:ffff:1:2:3, 66.102.8.142", 1, "2001:db8:1:2::/64"],
    ["IPv4-mapped IPv6", "::ffff:203.0.113.9, 66.102.8.142", 1, "203.0.113.9"],
    ["v4 with a port", "203.0.113.9:5555, 66.102.8.142", 1, "203.0.113.9"],
    ["garbage falls back to the socket address", "not-an-ip, 66.102.8.142", 1, "169.254.8.1"],
    ["an empty entry between commas is not a hop", "203.0.113.9, , 66.102.8.142", 1, "203.0.113.9"],
    ["v4 with a port, multi-digit octets", "198.51.100.77:5555, 66.102.8.142", 1, "198.51.100.77"],
    ["v4, a port, then junk: not an address", "198.51.100.77:80x, 66.102.8.142", 1, "169.254.8.1"],
    ["bracketed IPv6 with a port", "[2001:db8::1]:443, 66.102.8.142", 1, "2001:db8:0:0::/64"],
    ["IPv6 with a zone id", "fe80::1%eth0, 66.102.8.142", 1, "fe80:0:0:0::/64"],
    ["IPv6 written in full", "2001:db8:1:2:3:4:5:6, 66.102.8.142", 1, "2001:db8:1:2::/64"],
    ["IPv6 whose :: sits in its /64", "1::2:3:4:5:6:7, 66.102.8.142", 1, "1:0:2:3::/64"],
    ["IPv4-mapped in capitals", "::FFFF:203.0.113.9, 66.102.8.142", 1, "203.0.113.9"],
    ["::ffff: then IPv6 groups is not IPv4-mapped", "::ffff:1:2, 66.102.8.142", 1, "0:0:0:0::/64"],
    ["an IPv6 ending in IPv4 digits is still IPv6", "::abcd:203.0.113.9, 66.102.8.142", 1, "0:0:0:0::/64"],
  ])("%s", (_l, xff, hops, want) => {
    expect(clientIp(req(xff), hops)).toBe(want);
  });

  it("no header → the socket address; nothing at all → one shared 'unknown' bucket", () => {
    expect(clientIp(req(undefined, "::ffff:198.51.100.7"), 1)).toBe("198.51.100.7");
    expect(clientIp({}, 1)).toBe("unknown");
    expect(clientIp(undefined, 1)).toBe("unknown");
  });

  it("a header given twice (an array) is read as one list; a padded socket address is trimmed", () => {
    expect(clientIp({ ip: "169.254.8.1", headers: { "x-forwarded-for": ["203.0.113.9", "66.102.8.142"] } }, 1)).toBe("203.0.113.9");
    expect(clientIp({ ip: " 198.51.100.7 " }, 1)).toBe("198.51.100.7");
  });
});

describe("forwardedEntries (logged against TRUSTED_PROXY_HOPS)", () => {
  it("no header, or no request, is no entry", () => {
    expect([forwardedEntries(undefined), forwardedEntries({}), forwardedEntries({ headers: {} })]).toEqual([[], [], []]);
  });
  it("entries of repeated headers, trimmed, without empty ones", () => {
    expect(forwardedEntries({ headers: { "x-forwarded-for": ["1.1.1.1, ", " 2.2.2.2,,3.3.3.3"] } })).toEqual([
      "1.1.1.1",
      "2.2.2.2",
      "3.3.3.3",
    ]);
  });
});

describe("limiter (pure parts)", () => {
  it("fixed windows", () => {
    expect(windowOf(1_000_000_000_123, 600)).toEqual({ start: 999_999_600, end: 1_000_000_200 });
  });
  it("document ids are hashed keys, sharded by key and window", () => {
    const id = limitDocId("ip", "203.0.113.9", 600);
    expect(id).toMatch(/^[0-9a-f]{64}_600$/);
    expect(id).not.toContain("203");
    expect(limitDocId("email", "203.0.113.9", 600)).not.toBe(id);
  });
  it("small limits probe every ticket once, the counter's first", () => {
    const order = probeOrder(5, 2);
    expect(order[0]).toBe(2);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(probeOrder(60, 70)[0]).toBe(59);
    expect(probeOrder(1_000_000, 3)).toHaveLength(8);
  });
  it("up to 16 tickets are all probed; racers probe the rest in random orders, so they rarely collide", () => {
    const sixteen = probeOrder(16, 0);
    expect([...sixteen].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(probeOrder(17, 0)).toHaveLength(8);
    const orders = new Set(Array.from({ length: 20 }, () => probeOrder(10, 0).join(",")));
    expect(orders.size).toBeGreaterThan(1); // 20 identical shuffles of 9 tickets: about 1 in 10^105
  });
  it("a limit of 0 refuses at once, until the window ends (at least 1 s)", async () => {
    // window [1,000,020, 1,000,080) s; 49.5 s left
    expect(await take({ kind: "ip", key: "203.0.113.9", max: 0, windowSeconds: 60 }, 1_000_030_500)).toEqual({
      ok: false,
      retryAfterSeconds: 50,
    });
    expect(await take({ kind: "email", key: "a@b.co", max: 0, windowSeconds: 60 }, 1_000_079_900)).toEqual({
      ok: false,
      retryAfterSeconds: 1,
    });
  });
});
