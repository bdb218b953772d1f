/**
 * A cheap per-instance limiter for the order lookup by number + email: a fixed window per client key. It
 * slows guessing from one address on one instance; it is not a global limit (instances do not share it).
 */
export class WindowLimiter {
  private hits = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** true when the request may go ahead. */
  take(key: string, now = Date.now()): boolean {
    const entry = this.hits.get(key);
    if (!entry || now - entry.start >= this.windowMs) {
      if (this.hits.size >= this.maxKeys) this.hits.clear(); // bounded memory under a flood of addresses
      this.hits.set(key, { start: now, count: 1 });
      return true;
    }
    entry.count++;
    return entry.count <= this.limit;
  }
}
