// Small helpers shared by the Target emulator's handlers: error bodies, media types, timestamps.
import { randomUUID } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../types.js';

/** Admin API error body (admin-api.json ErrorResponse). */
export function adminError(status: number, errorCode: string, message: string, nowMs: number): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: {
      httpStatus: status,
      requestId: randomUUID(),
      requestTime: new Date(nowMs).toISOString(),
      errors: [{ errorCode, message }],
    },
  };
}

/** Adobe I/O gateway error body (401013 bad token, 403003 bad key). */
export function gatewayError(status: number, code: string, message: string): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: { error_code: code, message } };
}

/** Edge (Profile / Delivery API) error body. */
export function edgeError(status: number, message: string): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: { status, message } };
}

export function header(req: SandboxRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Timestamps as Target writes them in samples: second precision, UTC, `Z`. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function targetMediaType(version: number): string {
  return `application/vnd.adobe.target.v${version}+json`;
}

/**
 * The version a request asks for. Payload requests carry it in Content-Type, the others in Accept;
 * a JSON media type without a version means v1 (Target's rule). Returns an error status for media
 * types that are not JSON at all.
 */
export function requestedVersion(req: SandboxRequest): { version: number } | { error: 415 | 406 } {
  const hasPayload = req.body.length > 0 && req.method !== 'GET' && req.method !== 'DELETE';
  if (hasPayload) {
    const ct = (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    const v = /^application\/vnd\.adobe\.target\.v(\d+)\+json$/.exec(ct);
    if (v) return { version: Number(v[1]) };
    if (ct === 'application/json') return { version: 1 };
    return { error: 415 };
  }
  const accept = header(req, 'accept');
  if (!accept) return { version: 1 };
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  for (const t of types) {
    const v = /^application\/vnd\.adobe\.target\.v(\d+)\+json$/.exec(t);
    if (v) return { version: Number(v[1]) };
  }
  if (types.some((t) => t === 'application/json' || t === '*/*' || t === 'application/*')) return { version: 1 };
  return { error: 406 };
}

const DATE_FORM = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses the date forms Target documents (yyyy-MM-dd'T'HH:mm:ssXXX, ...HH:mm:ss, ...'T'HH, yyyy-MM-dd,
 * with .SSS variants); a missing zone is read as UTC. Returns ms, or undefined when unreadable.
 */
export function parseTargetDate(s: string): number | undefined {
  const m = DATE_FORM.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '0', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${frac.padEnd(3, '0')}${z}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** decodeURIComponent that leaves a malformed escape as written instead of throwing. */
export function decodePathSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
