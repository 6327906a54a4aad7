// Client-side pacing: a sliding-window rate limiter (never more than N starts in any rolling second)
// and a concurrency semaphore. Pure timing logic; the sleep function is injected.

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * At most `perSecond` request starts in any window of `windowMs` (1 s). Stricter than a token
 * bucket (which lets up to 2N through a window straddling a refill), so a server that enforces a
 * token bucket of N/s never sees us over its limit. Waiters are served in arrival order.
 */
export class RateLimiter {
  private readonly starts: number[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly sleep: Sleep = realSleep,
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs = 1000,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`rate limit must be positive, got ${perSecond}`);
  }

  /** Resolves when the caller may start one request. */
  acquire(): Promise<void> {
    const next = this.tail.then(() => this.waitTurn());
    // Keep the chain alive even if a waiter is abandoned.
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Pushes every later start back (e.g. after a Retry-After from the server). */
  pauseFor(ms: number): void {
    const until = this.now() + ms;
    // Fill the window with synthetic starts so nothing begins before `until`.
    for (let i = 0; i < this.perSecond; i++) this.starts.push(until - this.windowMs);
    this.starts.sort((a, b) => a - b);
    while (this.starts.length > this.perSecond) this.starts.shift();
  }

  private async waitTurn(): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length > 0 && this.starts[0] <= t - this.windowMs) this.starts.shift();
      if (this.starts.length < this.perSecond) {
        this.starts.push(t);
        return;
      }
      // A small margin so timer granularity never lets a start land inside the window.
      await this.sleep(this.starts[0] + this.windowMs - t + 1);
    }
  }
}

/** A counting semaphore bounding requests in flight. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`concurrency must be at least 1, got ${max}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      // The releasing caller hands its slot over directly, so `active` never exceeds `max`.
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    }
  }
}
