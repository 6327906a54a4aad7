// The one HTTP layer for every platform call: pacing, bounded concurrency, retries with backoff and
// jitter, Retry-After, timeouts, one token refresh on 401, safe handling of ambiguous writes, and
// typed, secret-free errors. Built on axios; axios errors never escape (they carry headers).
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { PlatformError, type PlatformErrorKind } from './errors.js';
import { RateLimiter, Semaphore, realSleep, type Sleep } from './limiter.js';
import type { HttpClientOptions, HttpResponse, Method, RequestSpec, RetryPolicy } from './types.js';
import { redact } from '../model/secrets.js';

const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504, 522, 524]);
/** Statuses that prove a write was NOT applied, so even a non-idempotent request may be resent. */
const NOT_APPLIED_STATUSES = new Set([408, 429, 503]);
/** Network errors raised before the request could reach the server. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface AttemptFailure {
  kind: PlatformErrorKind;
  status?: number;
  retryable: boolean;
  /** True when the server may have applied the request (timeouts, resets, some 5xx). */
  ambiguous: boolean;
  retryAfterMs?: number;
  response?: HttpResponse<unknown>;
  errorCode?: string;
}

export class HttpClient {
  private readonly axios: AxiosInstance;
  private readonly limiter?: RateLimiter;
  private readonly semaphore: Semaphore;
  private readonly retry: RetryPolicy;
  private readonly sleep: Sleep;
  private readonly timeoutMs: number;

  constructor(private readonly opts: HttpClientOptions) {
    const concurrency = opts.concurrency ?? 8;
    this.sleep = opts.sleep ?? realSleep;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.semaphore = new Semaphore(concurrency);
    if (opts.rateLimit) this.limiter = new RateLimiter(opts.rateLimit.perSecond, this.sleep);
    this.axios = axios.create({
      baseURL: opts.baseURL.replace(/\/+$/, ''),
      // Statuses are judged here, not by axios; bodies are parsed here, so a bad body is a typed error.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data) => data],
      maxRedirects: 5,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: concurrency }),
      headers: { 'User-Agent': 'audiences-cli' },
      proxy: false,
    });
  }

  get baseURL(): string {
    return this.opts.baseURL;
  }

  async request<T = unknown>(spec: RequestSpec): Promise<HttpResponse<T>> {
    if (typeof spec.rawBody === 'function' && !(Number.isInteger(spec.contentLength) && (spec.contentLength as number) >= 0)) {
      throw new TypeError(`${spec.method} ${spec.path}: a streamed rawBody needs its contentLength`);
    }
    const idempotent = spec.idempotent ?? (spec.method === 'GET' || spec.method === 'PUT' || spec.method === 'DELETE');
    let refreshed = false;
    let lastFailure: AttemptFailure | undefined;

    for (let attempt = 1; attempt <= this.retry.retries + 1; attempt++) {
      const started = performance.now();
      const outcome = await this.attempt(spec, attempt);
      const durationMs = performance.now() - started;

      if ('response' in outcome && outcome.ok) {
        this.observe(spec, attempt, outcome.response.status, undefined, durationMs, false);
        return outcome.response as HttpResponse<T>;
      }
      const failure = outcome.failure;
      lastFailure = failure;

      // One credential refresh on 401, then the same request once more.
      if (failure.status === 401 && this.opts.onUnauthorized && !refreshed) {
        refreshed = true;
        this.observe(spec, attempt, failure.status, failure.errorCode, durationMs, true);
        if (await this.opts.onUnauthorized()) {
          attempt--; // the refresh retry does not count against the retry budget
          continue;
        }
      }

      // A 429 without Retry-After is a daily quota: fail now rather than spin.
      if (failure.status === 429 && failure.retryAfterMs === undefined && failure.kind === 'quota') {
        this.observe(spec, attempt, failure.status, failure.errorCode, durationMs, false);
        throw this.toError(spec, failure);
      }

      let mayResend = failure.retryable && attempt <= this.retry.retries;
      if (mayResend && failure.ambiguous && !idempotent) {
        // The write may have landed: look it up by its key before sending it again.
        if (!spec.recover) {
          this.observe(spec, attempt, failure.status, failure.errorCode, durationMs, false);
          throw this.toError(spec, { ...failure, kind: 'unknown_outcome' });
        }
        const found = await this.recoverSafely(spec);
        if (found) {
          this.observe(spec, attempt, failure.status, failure.errorCode, durationMs, false);
          return found as HttpResponse<T>;
        }
      }
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > this.retry.maxRetryAfterMs) mayResend = false;
      this.observe(spec, attempt, failure.status, failure.errorCode, durationMs, mayResend);
      if (!mayResend) break;

      const wait = failure.retryAfterMs ?? this.backoff(attempt);
      if (failure.retryAfterMs !== undefined) this.limiter?.pauseFor(failure.retryAfterMs);
      await this.sleep(wait);
    }
    throw this.toError(spec, lastFailure!);
  }

  private async recoverSafely(spec: RequestSpec): Promise<HttpResponse | undefined> {
    try {
      return await spec.recover!();
    } catch (err) {
      if (err instanceof PlatformError) {
        throw new PlatformError({
          platform: this.opts.platform,
          api: this.opts.api,
          method: spec.method,
          path: spec.path,
          kind: 'unknown_outcome',
          operation: spec.operation,
          detail: `the request failed ambiguously and the lookup to check whether it landed also failed (${err.message})`,
        });
      }
      throw err;
    }
  }

  /** Full-jitter exponential backoff. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  private async attempt(
    spec: RequestSpec,
    attempt: number,
  ): Promise<{ ok: true; response: HttpResponse } | { ok: false; failure: AttemptFailure }> {
    return this.semaphore.run(async () => {
      if (this.limiter) await this.limiter.acquire();
      let res: AxiosResponse<string | Readable>;
      let stream: Readable | undefined;
      try {
        const authHeaders = this.opts.auth ? await this.opts.auth() : {};
        const headers: Record<string, string> = { ...authHeaders, ...spec.headers };
        if (spec.accept) headers.Accept = spec.accept;
        else if (!headers.Accept) headers.Accept = spec.responseType === 'text' ? '*/*' : 'application/json';
        let data: string | Buffer | Readable | undefined;
        if (typeof spec.rawBody === 'function') {
          stream = spec.rawBody();
          data = stream;
          headers['Content-Type'] = spec.contentType ?? 'application/octet-stream';
          headers['Content-Length'] = String(spec.contentLength);
        } else if (spec.rawBody !== undefined) {
          data = spec.rawBody;
          headers['Content-Type'] = spec.contentType ?? 'application/octet-stream';
        } else if (spec.body !== undefined) {
          data = JSON.stringify(spec.body);
          headers['Content-Type'] = spec.contentType ?? 'application/json';
        }
        if (attempt > 1) headers['X-Retry-Count'] = String(attempt - 1);
        res = await this.axios.request<string | Readable>({
          method: spec.method,
          url: spec.path,
          params: spec.query ? cleanQuery(spec.query) : undefined,
          paramsSerializer: { indexes: null },
          headers,
          data,
          timeout: spec.timeoutMs ?? this.timeoutMs,
          ...(spec.responseType === 'stream' ? { responseType: 'stream' as const, decompress: true } : {}),
          // A redirect would replay the body, so follow-redirects keeps every chunk written: a
          // streamed body goes over plain http(s) instead, and stays out of memory.
          ...(stream ? { maxRedirects: 0 } : {}),
        });
      } catch (err) {
        return { ok: false, failure: classifyNetworkError(err) };
      } finally {
        // Closes the file behind a stream the server answered before reading to the end.
        stream?.destroy();
      }
      if (isReadable(res.data)) {
        const body = res.data;
        const success = (res.status >= 200 && res.status < 300) || spec.acceptStatus?.includes(res.status);
        if (success) {
          const headers = lowerHeaders(res.headers as Record<string, unknown>);
          return { ok: true, response: { status: res.status, headers, data: body, requestId: this.requestIdOf(headers, undefined) } };
        }
        // An error status: its (bounded) body names the error, judged as JSON or text as usual.
        try {
          res = { ...res, data: await readBounded(body, ERROR_BODY_LIMIT) };
        } catch (err) {
          return { ok: false, failure: classifyNetworkError(err) };
        }
      }
      return this.judge(spec, res as AxiosResponse<string>);
    });
  }

  private judge(spec: RequestSpec, res: AxiosResponse<string>): { ok: true; response: HttpResponse } | { ok: false; failure: AttemptFailure } {
    const headers = lowerHeaders(res.headers as Record<string, unknown>);
    const raw = typeof res.data === 'string' ? res.data : res.data == null ? '' : String(res.data);
    let data: unknown = raw;
    let parseFailed = false;
    if (spec.responseType !== 'text') {
      // (A streamed request only gets here with an error status, whose body may be JSON or not.)
      if (raw.trim() === '') data = undefined;
      else {
        try {
          data = JSON.parse(raw);
        } catch {
          parseFailed = true;
        }
      }
    }
    const response: HttpResponse = { status: res.status, headers, data, requestId: this.requestIdOf(headers, data) };
    const success = (res.status >= 200 && res.status < 300) || spec.acceptStatus?.includes(res.status);
    if (success) {
      if (parseFailed) {
        // A 2xx with a broken body: the write happened if it was one, so only reads are retried.
        return {
          ok: false,
          failure: { kind: 'invalid_response', status: res.status, retryable: spec.method === 'GET', ambiguous: false, response: { ...response, data: raw } },
        };
      }
      return { ok: true, response };
    }
    if (parseFailed) response.data = raw;
    const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(headers['retry-after']) : undefined;
    let kind: PlatformErrorKind = 'http';
    if (res.status === 401 || res.status === 403) kind = 'auth';
    if (res.status === 429) kind = retryAfterMs === undefined && (this.opts.quotaWithoutRetryAfter ?? true) ? 'quota' : 'rate_limited';
    return {
      ok: false,
      failure: {
        kind,
        status: res.status,
        retryable: RETRY_STATUSES.has(res.status),
        ambiguous: !NOT_APPLIED_STATUSES.has(res.status),
        retryAfterMs,
        response,
        errorCode: platformCode(data),
      },
    };
  }

  private requestIdOf(headers: Record<string, string>, data: unknown): string | undefined {
    for (const h of this.opts.requestIdHeaders ?? ['x-request-id', 'x-requestid', 'x-amzn-requestid']) {
      if (headers[h]) return headers[h];
    }
    if (data && typeof data === 'object' && typeof (data as { requestId?: unknown }).requestId === 'string') {
      return (data as { requestId: string }).requestId;
    }
    return undefined;
  }

  private observe(spec: RequestSpec, attempt: number, status: number | undefined, errorCode: string | undefined, durationMs: number, willRetry: boolean): void {
    this.opts.onAttempt?.({
      platform: this.opts.platform,
      api: this.opts.api,
      method: spec.method,
      path: redact(spec.path),
      attempt,
      status,
      errorCode,
      durationMs,
      willRetry,
    });
  }

  private toError(spec: RequestSpec, failure: AttemptFailure): PlatformError {
    const body = failure.response?.data;
    return new PlatformError({
      platform: this.opts.platform,
      api: this.opts.api,
      method: spec.method,
      path: spec.path,
      kind: failure.kind,
      status: failure.status,
      requestId: failure.response?.requestId,
      detail: platformDetail(body),
      code: failure.errorCode ?? platformCode(body),
      operation: spec.operation,
    });
  }
}

/** Bytes of an error answer's body kept for its message when the answer was streamed. */
const ERROR_BODY_LIMIT = 64 * 1024;

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function' && typeof (v as Readable).on === 'function';
}

/** The first `limit` bytes of a stream as UTF-8 text; the rest is discarded and the stream closed. */
async function readBounded(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(b);
      size += b.length;
      if (size >= limit) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function cleanQuery(query: NonNullable<RequestSpec['query']>): Record<string, string | number | boolean | Array<string | number>> {
  const out: Record<string, string | number | boolean | Array<string | number>> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = v;
  return out;
}

function lowerHeaders(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** Retry-After as seconds (integer or decimal) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const secs = Number(value.trim());
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const date = Date.parse(value);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

function classifyNetworkError(err: unknown): AttemptFailure {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? 'ERR';
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? '')) {
    return { kind: 'timeout', retryable: true, ambiguous: true, errorCode: code };
  }
  if (NEVER_SENT_CODES.has(code)) return { kind: 'network', retryable: true, ambiguous: false, errorCode: code };
  // ECONNRESET, EPIPE, "socket hang up", ERR_BAD_RESPONSE…: the request may have been received.
  return { kind: 'network', retryable: true, ambiguous: true, errorCode: code };
}

/** The human text of a platform error body (Customer.io `errors[].detail`, Target `errors[].message`, …). */
export function platformDetail(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') {
    const text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    return text ? text.slice(0, 300) : undefined;
  }
  if (typeof body !== 'object') return String(body);
  const b = body as Record<string, unknown>;
  const errors = b.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const parts = errors.slice(0, 3).map((x) => {
      if (typeof x === 'string') return x;
      const o = (x ?? {}) as Record<string, unknown>;
      return String(o.detail ?? o.message ?? o.reason ?? JSON.stringify(o));
    });
    return parts.join('; ');
  }
  const meta = b.meta as Record<string, unknown> | undefined;
  if (meta) {
    if (typeof meta.error === 'string') return meta.error;
    if (Array.isArray(meta.errors)) return meta.errors.map(String).join('; ');
  }
  if (typeof b.message === 'string') return b.message;
  if (typeof b.error_description === 'string') return b.error_description;
  if (typeof b.error === 'string') return b.error;
  return undefined;
}

function platformCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.error_code === 'string') return b.error_code;
  const first = Array.isArray(b.errors) ? (b.errors[0] as Record<string, unknown> | undefined) : undefined;
  if (first && typeof first === 'object') {
    if (typeof first.errorCode === 'string') return first.errorCode;
    if (typeof first.code === 'string') return first.code;
  }
  if (typeof b.error === 'string') return b.error;
  return undefined;
}

export type { HttpClientOptions, HttpResponse, Method, RequestSpec };
