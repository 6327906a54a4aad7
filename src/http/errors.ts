// The typed error of every platform call: names platform, API, method, path, status and request id,
// never a header, token or key (messages pass through redact()).
import { AudiencesError } from '../model/errors.js';
import { redact } from '../model/secrets.js';
import type { Method, Platform } from './types.js';

export type PlatformErrorKind =
  /** The platform answered with a non-2xx status that is not retried (or retries ran out). */
  | 'http'
  /** 401/403 after any refresh: credentials are wrong or lack rights. */
  | 'auth'
  /** 429 kept coming after the retries (per-second limit). */
  | 'rate_limited'
  /** 429 without Retry-After: a daily quota; retrying would spin. */
  | 'quota'
  /** No answer within the timeout (after retries for idempotent calls). */
  | 'timeout'
  /** Connection refused/reset/DNS (after retries for idempotent calls). */
  | 'network'
  /** A non-idempotent write failed ambiguously and could not be proven landed or not. */
  | 'unknown_outcome'
  /** 2xx with a body that is not what the API documents (e.g. malformed JSON). */
  | 'invalid_response';

export interface PlatformErrorInit {
  platform: Platform;
  api: string;
  method: Method;
  path: string;
  kind: PlatformErrorKind;
  status?: number;
  requestId?: string;
  /** The platform's own error text (from its error envelope), if any. */
  detail?: string;
  /** Platform error code (errorCode, error_code, code), if any. */
  code?: string;
  operation?: string;
  hint?: string;
  cause?: unknown;
}

const PLATFORM_NAME: Record<Platform, string> = {
  customerio: 'Customer.io',
  adobe_target: 'Adobe Target',
  webhook: 'webhook',
};

export class PlatformError extends AudiencesError {
  readonly platform: Platform;
  readonly api: string;
  readonly method: Method;
  readonly path: string;
  readonly kind: PlatformErrorKind;
  readonly status?: number;
  readonly requestId?: string;
  readonly detail?: string;
  readonly code?: string;
  readonly operation?: string;

  constructor(init: PlatformErrorInit) {
    const what = init.operation ? `${init.operation} (${init.method} ${init.path})` : `${init.method} ${init.path}`;
    const status = init.status !== undefined ? ` → ${init.status}` : '';
    const detail = init.detail ? `: ${truncate(init.detail, 300)}` : '';
    const reqId = init.requestId ? ` [request id ${init.requestId}]` : '';
    const message = redact(`${PLATFORM_NAME[init.platform]} ${init.api} API ${what}${status} ${describeKind(init.kind)}${detail}${reqId}`);
    // The cause is deliberately not attached when it is an axios error: those carry request headers.
    super(message, { hint: init.hint ?? defaultHint(init) });
    this.platform = init.platform;
    this.api = init.api;
    this.method = init.method;
    this.path = redact(init.path);
    this.kind = init.kind;
    this.status = init.status;
    this.requestId = init.requestId;
    this.detail = init.detail !== undefined ? redact(init.detail) : undefined;
    this.code = init.code;
    this.operation = init.operation;
  }

  /** A plain, secret-free object for JSON reports. */
  toJSON(): Record<string, unknown> {
    return {
      error: 'PlatformError',
      platform: this.platform,
      api: this.api,
      method: this.method,
      path: this.path,
      kind: this.kind,
      status: this.status,
      requestId: this.requestId,
      code: this.code,
      detail: this.detail,
      message: this.message,
    };
  }
}

function describeKind(kind: PlatformErrorKind): string {
  switch (kind) {
    case 'http':
      return 'failed';
    case 'auth':
      return 'was refused (credentials)';
    case 'rate_limited':
      return 'was rate limited';
    case 'quota':
      return 'hit a quota (429 without Retry-After)';
    case 'timeout':
      return 'timed out';
    case 'network':
      return 'could not connect';
    case 'unknown_outcome':
      return 'has an unknown outcome';
    case 'invalid_response':
      return 'returned an unreadable response';
  }
}

function defaultHint(init: PlatformErrorInit): string | undefined {
  switch (init.kind) {
    case 'auth':
      return 'Check the credentials in the providers section (the ${VAR} environment variables) and the rights of that key.';
    case 'quota':
      return 'The platform says a daily quota is used up; run again after it resets, or ask the platform to raise it.';
    case 'rate_limited':
      return 'The platform kept rate limiting after several retries; lower rate_limit for this provider or run again later.';
    case 'unknown_outcome':
      return 'The write may or may not have landed. Run `audiences plan` to see the current state before retrying.';
    case 'timeout':
    case 'network':
      return 'Check the network and the base URL of this provider, then run again (apply and sync resume where they stopped: completed work is kept).';
    default:
      return undefined;
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
