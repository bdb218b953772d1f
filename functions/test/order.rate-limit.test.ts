/** The order lookup's per-instance limiter (WindowLimiter, pure): counts per address, a fixed window, bounded memory. */
import { WindowLimiter } from "../src/order/rate-limit";

describe("WindowLimiter", () => {
  it("lets `limit` lookups through per address and window, then refuses until the window has passed", () => {
    const l = new WindowLimiter(2, 1_000);
    expect([l.take("a", 0), l.take("a", 10), l.take("a", 999)]).toEqual([true, true, false]);
    expect(l.take("b", 999)).toBe(true); // another address has its own count
    expect(l.take("a", 1_000)).toBe(true); // a new window
  });

  it("below capacity, a new address does not reset another's count", () => {
    const l = new WindowLimiter(1, 60_000, 3);
    expect([l.take("a", 0), l.take("a", 1)]).toEqual([true, false]);
    expect(l.take("b", 2)).toBe(true); // 2 addresses of 3
    expect(l.take("a", 3)).toBe(false);
  });

  it("a flood of addresses cannot grow it without bound: at capacity it forgets every count", () => {
    const l = new WindowLimiter(1, 60_000, 2);
    expect([l.take("a", 0), l.take("a", 1)]).toEqual([true, false]);
    expect(l.take("b", 2)).toBe(true); // now full
    expect(l.take("a", 3)).toBe(false); // still counted
    expect(l.take("c", 4)).toBe(true); // a third address: everything is forgotten
    expect(l.take("a", 5)).toBe(true);
  });
});
