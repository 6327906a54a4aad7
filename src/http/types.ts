// The contract of the one HTTP layer every platform call goes through (implementation: client.ts).
import type { Readable } from 'node:stream';

export type Platform = 'customerio' | 'adobe_target' | 'webhook';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestSpec {
  method: Method;
  /** Path appended to the client's baseURL, e.g. `/v1/segments/42`. No query string here. */
  path: string;
  /** Query parameters; arrays repeat the key (`sortBy=a&sortBy=b`); undefined values are dropped. */
  query?: Record<string, string | number | boolean | Array<string | number> | undefined>;
  headers?: Record<string, string>;
  /** Serialized as JSON (Content-Type from `contentType`, default application/json). */
  body?: unknown;
  /**
   * Sent as-is instead of `body` (CSV batches, form bodies). A function streams the body instead of
   * holding it in memory: it is called once per attempt and must return a fresh stream of the whole
   * body each time (so a retry resends all of it); `contentLength` is then required.
   */
  rawBody?: string | Buffer | (() => Readable);
  /** Byte length of a streamed `rawBody`, sent as Content-Length (a stream does not know its own). */
  contentLength?: number;
  contentType?: string;
  accept?: string;
  /**
   * How to read the response body: parsed JSON (default; empty body → undefined), text, or 'stream':
   * a 2xx answers with `data` as a Node Readable of the raw body (the caller must read or destroy
   * it). Retries, timeouts and typed errors cover the status line and headers; an error status's
   * body is read (bounded) for the message. A failure midway through a streamed body is the caller's.
   */
  responseType?: 'json' | 'text' | 'stream';
  /** Per-call timeout; default from the client. */
  timeoutMs?: number;
  /**
   * Whether the request may be resent after an ambiguous failure (timeout, connection reset after
   * the request may have reached the server). Defaults: true for GET/PUT/DELETE, false for POST/PATCH.
   */
  idempotent?: boolean;
  /**
   * For non-idempotent writes: called after an ambiguous failure, before any resend. Return the
   * existing object's response if the write did land (looked up by its key), or undefined to send again.
   */
  recover?: () => Promise<HttpResponse | undefined>;
  /** Extra statuses to return instead of throwing (e.g. [404] for a lookup). 2xx always succeed. */
  acceptStatus?: number[];
  /** Short label for messages, e.g. "create audience". */
  operation?: string;
}

export interface HttpResponse<T = unknown> {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  data: T;
  requestId?: string;
}

export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  retries: number;
  /** First backoff (default 200 ms); doubles each attempt, with full jitter. */
  baseDelayMs: number;
  /** Cap of one backoff wait (default 10 s). */
  maxDelayMs: number;
  /** Cap of an honoured Retry-After (default 60 s); longer waits fail instead of hanging CI. */
  maxRetryAfterMs: number;
}

export interface HttpClientOptions {
  platform: Platform;
  /** Which API of the platform, for messages and rate-limit keys: "app", "track", "admin", "edge", "ims". */
  api: string;
  baseURL: string;
  /** Token bucket: at most `perSecond` requests each second (burst defaults to perSecond). */
  rateLimit?: { perSecond: number; burst?: number };
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Default per-call timeout (default 30 s). */
  timeoutMs?: number;
  /** Headers carrying credentials, computed per attempt (so refreshed tokens are used). */
  auth?: () => Promise<Record<string, string>> | Record<string, string>;
  /** Called once on a 401: refresh credentials, return true to resend once. */
  onUnauthorized?: () => Promise<boolean>;
  /** Response headers that carry a request id, in order of preference (default x-request-id). */
  requestIdHeaders?: string[];
  /**
   * How to read a 429 without Retry-After: true (default) = a daily quota, fail at once with kind
   * 'quota' (Customer.io documents this); false = a throttle, back off and retry.
   */
  quotaWithoutRetryAfter?: boolean;
  /** Sleep function (tests may speed it up). */
  sleep?: (ms: number) => Promise<void>;
  /** Observes every attempt (metrics, bench, debug logs); never receives headers. */
  onAttempt?: (event: AttemptEvent) => void;
}

export interface AttemptEvent {
  platform: Platform;
  api: string;
  method: Method;
  path: string;
  attempt: number;
  status?: number;
  errorCode?: string;
  durationMs: number;
  willRetry: boolean;
}
