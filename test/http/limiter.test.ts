// The client-side pacing primitives on a fake clock: the exact sliding-window invariant (no timing jitter), pauses, and the concurrency bound.
import { describe, expect, it } from 'vitest';
import { RateLimiter, Semaphore } from '../../src/http/limiter.js';

/** A clock that only moves when the limiter sleeps, so every start time is exact. */
function fakeClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += Math.max(0, ms);
    },
  };
}

describe('RateLimiter', () => {
  it('never lets more than N starts into any window of 1000 ms, and wastes no time', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, clock.sleep, clock.now);
    const t0 = clock.now();
    const starts = await Promise.all(Array.from({ length: 35 }, () => limiter.acquire().then(() => clock.now())));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (let i = 10; i < starts.length; i++) expect(starts[i] - starts[i - 10]).toBeGreaterThanOrEqual(1000);
    // The first N go at once; each later one as soon as the window allows (1 ms timer margin).
    expect(starts.slice(0, 10).every((s) => s === t0)).toBe(true);
    expect(starts[10] - t0).toBeLessThanOrEqual(1001);
    expect(starts[34] - t0).toBeLessThanOrEqual(3003);
  });

  it('pauseFor holds every later start until the pause is over', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(5, clock.sleep, clock.now);
    await limiter.acquire();
    const paused = clock.now();
    limiter.pauseFor(2000);
    const starts = await Promise.all(Array.from({ length: 6 }, () => limiter.acquire().then(() => clock.now())));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(paused + 2000);
    for (let i = 5; i < starts.length; i++) expect(starts[i] - starts[i - 5]).toBeGreaterThanOrEqual(1000);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});

describe('Semaphore', () => {
  it('never runs more than max at once and runs everything', async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sem.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
