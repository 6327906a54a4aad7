// Deterministic fault injection for the sandbox server: a seeded PRNG decides, per request, whether
// to add latency, answer 5xx or 429, or drop the connection before or after applying the request.
import { UsageError } from '../model/errors.js';
import type { FaultSettings, HostName } from './types.js';

export const DEFAULT_FAULTS: FaultSettings = {
  seed: 1,
  latencyMs: 0,
  errorRate: 0,
  resetRate: 0,
  burst429: { every: 0, length: 0, retryAfterSec: 1 },
  quota429: false,
  tokenTtlSec: 86399,
  stuckBatchRate: 0,
  lastPageNext: 'empty',
  createStatus: 201,
};

/** Hosts that answer the daily-quota 429 when `quota429` is on (the fact is documented for the App API only). */
const QUOTA_HOSTS: ReadonlySet<HostName> = new Set<HostName>(['cio-app']);

const ERROR_STATUSES: readonly number[] = [500, 502, 503, 504];

/** What the server does with one request, decided before the emulator sees it. */
export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'error'; latencyMs: number; status: number }
  /** retryAfterSec undefined: answer without a Retry-After header. */
  | { kind: 'burst429'; latencyMs: number; retryAfterSec?: number }
  | { kind: 'quota429'; latencyMs: number }
  /** Destroy the socket without applying the request. */
  | { kind: 'reset-before'; latencyMs: number }
  /** Apply the request, then destroy the socket instead of answering. */
  | { kind: 'reset-after'; latencyMs: number }
  /** Hold the request unanswered for `hangMs`, then drop the connection (not applied). */
  | { kind: 'hang'; latencyMs: number; hangMs: number }
  /** Apply the request, then send a 2xx JSON answer cut in half. */
  | { kind: 'malformed'; latencyMs: number };

/** mulberry32: a small, fast, seedable PRNG in [0,1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Merges partial settings (nested burst429 included) over a base, validating ranges. */
export function mergeFaults(base: FaultSettings, partial: Partial<FaultSettings> = {}): FaultSettings {
  const merged: FaultSettings = {
    ...base,
    ...partial,
    burst429: { ...base.burst429, ...(partial.burst429 ?? {}) },
  };
  checkFaults(merged);
  return merged;
}

function checkFaults(f: FaultSettings): void {
  const problems: string[] = [];
  for (const key of ['errorRate', 'resetRate', 'stuckBatchRate'] as const) {
    if (!(f[key] >= 0 && f[key] <= 1)) problems.push(`${key} must be between 0 and 1 (got ${f[key]})`);
  }
  for (const key of ['malformedRate', 'hangRate'] as const) {
    const v = f[key];
    if (v !== undefined && !(v >= 0 && v <= 1)) problems.push(`${key} must be between 0 and 1 (got ${v})`);
  }
  if (f.hangMs !== undefined && !(f.hangMs >= 0)) problems.push(`hangMs must be >= 0 (got ${f.hangMs})`);
  if (f.errorStatuses !== undefined && (!Array.isArray(f.errorStatuses) || f.errorStatuses.length === 0 || !f.errorStatuses.every((s) => Number.isInteger(s) && s >= 400 && s <= 599))) {
    problems.push('errorStatuses must be a non-empty list of HTTP error statuses (400-599)');
  }
  if (!(f.latencyMs >= 0)) problems.push(`latencyMs must be >= 0 (got ${f.latencyMs})`);
  if (!(f.burst429.every >= 0 && f.burst429.length >= 0)) problems.push('burst429.every and burst429.length must be >= 0');
  if (!(Number.isInteger(f.burst429.retryAfterSec) && f.burst429.retryAfterSec >= 1)) {
    problems.push('burst429.retryAfterSec must be an integer >= 1 (Retry-After is whole seconds)');
  }
  if (f.lastPageNext !== 'empty' && f.lastPageNext !== 'absent') problems.push('lastPageNext must be "empty" or "absent"');
  if (f.createStatus !== 200 && f.createStatus !== 201) problems.push('createStatus must be 200 or 201');
  if (!(f.tokenTtlSec > 0)) problems.push('tokenTtlSec must be > 0');
  if (!Number.isFinite(f.seed)) problems.push('seed must be a number');
  if (problems.length > 0) throw new UsageError(`Invalid sandbox fault settings: ${problems.join('; ')}.`);
}

/**
 * Draws the same number of random values for every request, so a given seed and request order
 * always give the same faults whatever the settings' rates are.
 */
export class FaultInjector {
  private random: () => number;
  private count = 0;

  constructor(private readonly settings: FaultSettings) {
    this.random = createRandom(settings.seed);
  }

  /** Restarts the sequence (after the seed changed). */
  reseed(): void {
    this.random = createRandom(this.settings.seed);
    this.count = 0;
  }

  decide(host: HostName): FaultDecision {
    const f = this.settings;
    const index = this.count++;
    const rError = this.random();
    const rStatus = this.random();
    const rReset = this.random();
    const rWhen = this.random();
    // Extra draws only when the optional faults are on, so existing seeds keep their sequences.
    const extra = (f.hangRate ?? 0) > 0 || (f.malformedRate ?? 0) > 0;
    const rHang = extra ? this.random() : 1;
    const rMalformed = extra ? this.random() : 1;
    const latencyMs = f.latencyMs;
    if (f.quota429 && QUOTA_HOSTS.has(host)) return { kind: 'quota429', latencyMs };
    const { every, length, retryAfterSec, withoutRetryAfter } = f.burst429;
    if (every > 0 && length > 0 && index % (every + length) >= every) {
      return { kind: 'burst429', latencyMs, retryAfterSec: withoutRetryAfter ? undefined : retryAfterSec };
    }
    if (rReset < f.resetRate) return { kind: rWhen < 0.5 ? 'reset-before' : 'reset-after', latencyMs };
    if (rHang < (f.hangRate ?? 0)) return { kind: 'hang', latencyMs, hangMs: f.hangMs ?? 60_000 };
    if (rError < f.errorRate) {
      const statuses = f.errorStatuses ?? ERROR_STATUSES;
      return { kind: 'error', latencyMs, status: statuses[Math.floor(rStatus * statuses.length)] };
    }
    if (rMalformed < (f.malformedRate ?? 0)) return { kind: 'malformed', latencyMs };
    return { kind: 'none', latencyMs };
  }
}
