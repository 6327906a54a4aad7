// The two Customer.io error envelopes: App API `{"errors":[{detail,status}]}` and the Track API's
// old `{"meta":{"errors":[…]}}` (401 on Track carries no documented body).
import { randomBytes } from 'node:crypto';
import type { SandboxResponse } from '../types.js';

export function appError(status: number, detail: string, headers?: Record<string, string>): SandboxResponse {
  return { status, headers, body: { errors: [{ detail, status: String(status) }] } };
}

export function trackError(status: number, detail: string, headers?: Record<string, string>): SandboxResponse {
  if (status === 401) return { status, headers, body: '' };
  return { status, headers, body: { meta: { errors: [detail] } } };
}

/** The documented per-second 429 detail, with a fresh reference like the real one. */
export function rateLimitDetail(perSecond: number): string {
  return `rate limited to ${perSecond} requests per 1s (reference ${randomBytes(4).toString('hex')})`;
}

export function ok(body: unknown, status = 200): SandboxResponse {
  return { status, body };
}
