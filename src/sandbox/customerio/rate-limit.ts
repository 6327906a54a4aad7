// The App API's documented limit as the emulator enforces it: a token bucket of 10 requests per
// second per credential; over it, 429 with an integer Retry-After of at least 1 second.

export interface BucketVerdict {
  allowed: boolean;
  /** Whole seconds until a token is available (>= 1), when not allowed. */
  retryAfterSec?: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Requests refused so far (tests assert a well-paced client causes none). */
  refused = 0;

  constructor(
    private readonly perSecond: () => number,
    private readonly now: () => number,
  ) {}

  take(key: string): BucketVerdict {
    const rate = this.perSecond();
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: rate, at: t };
    b.tokens = Math.min(rate, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    this.refused++;
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / rate)) };
  }

  clear(): void {
    this.buckets.clear();
  }
}
