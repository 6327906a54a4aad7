// The Customer.io client: App API (Bearer) and Track API (Basic) over the one HTTP layer, with
// typed, defensively parsed answers. The only Customer.io network code in the tool.
import type { Readable } from 'node:stream';
import { HttpClient } from '../../http/client.js';
import { PlatformError } from '../../http/errors.js';
import type { HttpClientOptions, HttpResponse, RequestSpec } from '../../http/types.js';
import { registerBasicAuth, registerSecret } from '../../model/secrets.js';
import type { ResolvedCustomerio } from '../../config/types.js';
import { csvRecords } from './csv.js';

/** Documented defaults per region (base URLs without /v1 and /api/v1). */
export const CUSTOMERIO_REGION_URLS = {
  us: { app: 'https://api.customer.io', track: 'https://track.customer.io' },
  eu: { app: 'https://api-eu.customer.io', track: 'https://track-eu.customer.io' },
} as const;

/** Documented limits. */
export const MEMBERSHIP_MAX_LIMIT = 30000;
export const ATTRIBUTES_BATCH = 100;
export const SEGMENT_IDS_BATCH = 1000;

export interface CioSegmentInfo {
  id: number;
  name: string;
  description: string;
  type: 'dynamic' | 'manual';
  state?: string;
  tags: string[] | null;
  /** `<id>:<updated_at>`: changes whenever the segment changes. */
  deduplicate_id?: string;
  created_at?: number;
  updated_at?: number;
}

export interface CioMember {
  id: string | null;
  email?: string | null;
  cio_id?: string;
}

export interface CioCustomer {
  id: string | null;
  email: string | null;
  cio_id: string | null;
  /** Every value a string, as the App API returns them. */
  attributes: Record<string, string>;
}

export interface CioUsedBy {
  campaigns: number[];
  sent_newsletters: number[];
  draft_newsletters: number[];
}

export interface CioExportInfo {
  id: number;
  status: string;
  failed: boolean;
  total?: number;
  created_at?: number;
  updated_at?: number;
}

export type CioIdType = 'id' | 'email' | 'cio_id';

/** The Customer.io search/export filter grammar (eq and exists only; values are strings). */
export type CioFilter =
  | { and: CioFilter[] }
  | { or: CioFilter[] }
  | { not: CioFilter }
  | { segment: { id: number } }
  | { attribute: { field: string; operator: 'eq'; value: string } }
  | { attribute: { field: string; operator: 'exists' } };

export interface CustomerioClientOptions {
  provider: ResolvedCustomerio;
  /** Overrides of the HTTP layer (tests and bench: sleep, retry, timeouts, observers). */
  http?: Partial<Pick<HttpClientOptions, 'retry' | 'sleep' | 'onAttempt' | 'timeoutMs' | 'concurrency'>>;
  /** Export polling: interval between status checks and the give-up time (defaults 2 s and 10 min). */
  exportPoll?: { intervalMs?: number; timeoutMs?: number };
}

export class CustomerioClient {
  private readonly app: HttpClient;
  private readonly track?: HttpClient;
  private readonly opts: CustomerioClientOptions;

  constructor(opts: CustomerioClientOptions) {
    this.opts = opts;
    const p = opts.provider;
    registerSecret(p.app_api_key);
    const region = p.region === 'eu' ? 'eu' : 'us';
    const appKey = p.app_api_key;
    this.app = new HttpClient({
      platform: 'customerio',
      api: 'app',
      baseURL: stripSlash(p.app_url || CUSTOMERIO_REGION_URLS[region].app),
      rateLimit: { perSecond: p.rate_limit > 0 ? p.rate_limit : 10 },
      auth: () => ({ Authorization: `Bearer ${appKey}` }),
      // A 429 without Retry-After is a daily quota on the App API (documented).
      quotaWithoutRetryAfter: true,
      ...opts.http,
    });
    if (p.site_id && p.track_api_key) {
      registerSecret(p.track_api_key);
      registerBasicAuth(p.site_id, p.track_api_key);
      const basic = `Basic ${Buffer.from(`${p.site_id}:${p.track_api_key}`).toString('base64')}`;
      this.track = new HttpClient({
        platform: 'customerio',
        api: 'track',
        baseURL: stripSlash(p.track_url || CUSTOMERIO_REGION_URLS[region].track),
        // Track is soft-limited at 1000 requests/s (older copies say 100): stay at the lower figure.
        rateLimit: { perSecond: 100 },
        auth: () => ({ Authorization: basic }),
        // Track documents no 429 at all; one without Retry-After is a throttle, not a quota.
        quotaWithoutRetryAfter: false,
        ...opts.http,
      });
    }
  }

  /** Base URL of the App API in use (region default or app_url). */
  get appBaseURL(): string {
    return this.app.baseURL;
  }

  /** Base URL of the Track API in use, when Track credentials are set. */
  get trackBaseURL(): string | undefined {
    return this.track?.baseURL;
  }

  // -------------------------------------------------------------------------------------------
  // Segments (App API)
  // -------------------------------------------------------------------------------------------

  async listSegments(): Promise<CioSegmentInfo[]> {
    const res = await this.app.request<unknown>({ method: 'GET', path: '/v1/segments', operation: 'list segments' });
    const list = field(res.data, 'segments');
    if (!Array.isArray(list)) throw this.invalid('GET', '/v1/segments', 'list segments', 'no "segments" array in the answer');
    return list.map(parseSegment).filter((s): s is CioSegmentInfo => s !== undefined);
  }

  /** The segment, or undefined when the id is unknown (404). */
  async getSegment(id: number): Promise<CioSegmentInfo | undefined> {
    const path = `/v1/segments/${segmentId(id)}`;
    const res = await this.app.request<unknown>({ method: 'GET', path, acceptStatus: [404], operation: 'get segment' });
    if (res.status === 404) return undefined;
    const s = parseSegment(field(res.data, 'segment'));
    if (!s) throw this.invalid('GET', path, 'get segment', 'no "segment" object in the answer');
    return s;
  }

  async findSegmentsByName(name: string): Promise<CioSegmentInfo[]> {
    return (await this.listSegments()).filter((s) => s.name === name);
  }

  /**
   * Creates an empty manual segment. Segments are matched by name: if the POST fails ambiguously
   * (reset, timeout, 5xx), the segments are listed again and a new manual segment of that name
   * is taken as the result, so a retry never makes a duplicate.
   */
  async createManualSegment(input: { name: string; description?: string }): Promise<CioSegmentInfo> {
    const before = new Set((await this.findSegmentsByName(input.name)).map((s) => s.id));
    const body = { segment: input.description !== undefined ? { name: input.name, description: input.description } : { name: input.name } };
    const spec: RequestSpec = {
      method: 'POST',
      path: '/v1/segments',
      body,
      operation: 'create manual segment',
      recover: async () => {
        const found = (await this.findSegmentsByName(input.name)).find((s) => s.type === 'manual' && !before.has(s.id));
        return found ? ({ status: 200, headers: {}, data: { segment: found } } satisfies HttpResponse) : undefined;
      },
    };
    const res = await this.app.request<unknown>(spec);
    const s = parseSegment(field(res.data, 'segment'));
    if (!s) throw this.invalid('POST', '/v1/segments', 'create manual segment', 'no "segment" object in the answer');
    return s;
  }

  /** Deletes a manual segment; 'not_found' when it was already gone (e.g. a retried delete). */
  async deleteSegment(id: number): Promise<'deleted' | 'not_found'> {
    const res = await this.app.request({ method: 'DELETE', path: `/v1/segments/${segmentId(id)}`, acceptStatus: [404], operation: 'delete segment' });
    return res.status === 404 ? 'not_found' : 'deleted';
  }

  async getSegmentCount(id: number): Promise<number> {
    const path = `/v1/segments/${segmentId(id)}/customer_count`;
    const res = await this.app.request<unknown>({ method: 'GET', path, operation: 'count segment members' });
    const count = toInt(field(res.data, 'count'));
    if (count === undefined) throw this.invalid('GET', path, 'count segment members', 'no integer "count" in the answer');
    return count;
  }

  /**
   * Every member of a segment, one page (one request) at a time (`limit` 1..30000, default 1000).
   * The last page says so with an empty or an absent `next`; both end the iteration.
   */
  async *iterateMembershipPages(id: number, opts: { limit?: number } = {}): AsyncGenerator<CioMember[], void, undefined> {
    const limit = Math.max(1, Math.min(MEMBERSHIP_MAX_LIMIT, Math.floor(opts.limit ?? 1000)));
    const path = `/v1/segments/${segmentId(id)}/membership`;
    const seen = new Set<string>();
    let start: string | undefined;
    for (;;) {
      const res = await this.app.request<unknown>({ method: 'GET', path, query: { start, limit }, operation: 'read segment membership' });
      const next = field(res.data, 'next');
      const page = parseMembers(res.data);
      if (page.length > 0) yield page;
      if (next === undefined || next === null || next === '') return;
      if (typeof next !== 'string') throw this.invalid('GET', path, 'read segment membership', '"next" is not a string');
      // A server that hands back a token it already gave would page forever.
      if (seen.has(next)) throw this.invalid('GET', path, 'read segment membership', 'the same "next" token came back twice');
      seen.add(next);
      start = next;
    }
  }

  /** Every member of a segment, one at a time (over iterateMembershipPages). */
  async *iterateMembership(id: number, opts: { limit?: number } = {}): AsyncGenerator<CioMember, void, undefined> {
    for await (const page of this.iterateMembershipPages(id, opts)) yield* page;
  }

  /** All members at once (convenience over iterateMembership). */
  async listMembership(id: number, opts: { limit?: number } = {}): Promise<CioMember[]> {
    const out: CioMember[] = [];
    for await (const m of this.iterateMembership(id, opts)) out.push(m);
    return out;
  }

  async getSegmentUsedBy(id: number): Promise<CioUsedBy> {
    const res = await this.app.request<unknown>({ method: 'GET', path: `/v1/segments/${segmentId(id)}/used_by`, operation: 'read segment dependencies' });
    const u = field(res.data, 'used_by');
    return { campaigns: intList(field(u, 'campaigns')), sent_newsletters: intList(field(u, 'sent_newsletters')), draft_newsletters: intList(field(u, 'draft_newsletters')) };
  }

  /** The segments a person is in (by id unless idType says otherwise); undefined for an unknown person. */
  async getCustomerSegments(customerId: string, opts: { idType?: CioIdType } = {}): Promise<Array<{ id: number; name: string }> | undefined> {
    const value = opts.idType === 'cio_id' && !customerId.startsWith('cio_') ? `cio_${customerId}` : customerId;
    const res = await this.app.request<unknown>({
      method: 'GET',
      path: `/v1/customers/${encodeURIComponent(value)}/segments`,
      query: { id_type: opts.idType },
      acceptStatus: [404],
      operation: 'read a person\'s segments',
    });
    if (res.status === 404) return undefined;
    const list = field(res.data, 'segments');
    return (Array.isArray(list) ? list : [])
      .map((s) => ({ id: toInt(field(s, 'id')), name: field(s, 'name') }))
      .filter((s): s is { id: number; name: string } => s.id !== undefined && typeof s.name === 'string');
  }

  // -------------------------------------------------------------------------------------------
  // People (App API)
  // -------------------------------------------------------------------------------------------

  /** Attributes of many people, 100 ids a call; unknown people are absent from the map. */
  async getAttributes(ids: string[], opts: { idType?: CioIdType } = {}): Promise<Map<string, CioCustomer>> {
    const out = new Map<string, CioCustomer>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += ATTRIBUTES_BATCH) {
      const batch = unique.slice(i, i + ATTRIBUTES_BATCH);
      const res = await this.app.request<unknown>({
        method: 'POST',
        path: '/v1/customers/attributes',
        query: { id_type: opts.idType },
        body: { ids: batch },
        // A read: sending it twice changes nothing.
        idempotent: true,
        operation: 'read customer attributes',
      });
      const list = field(res.data, 'customers');
      for (const item of Array.isArray(list) ? list : []) {
        const c = parseCustomer(field(item, 'customer') ?? item);
        if (!c) continue;
        const key = opts.idType === 'email' ? batch.find((b) => b.toLowerCase() === c.email?.toLowerCase()) : opts.idType === 'cio_id' ? batch.find((b) => b.replace(/^cio_/, '') === c.cio_id) : c.id ?? undefined;
        if (key !== undefined) out.set(key, c);
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Exports (App API)
  // -------------------------------------------------------------------------------------------

  async createExport(input: { filters: CioFilter; attributes?: string[] }): Promise<CioExportInfo> {
    const res = await this.app.request<unknown>({
      method: 'POST',
      path: '/v1/exports/customers',
      body: input.attributes ? { filters: input.filters, attributes: input.attributes } : { filters: input.filters },
      // A duplicate export is a harmless read-only job, so an ambiguous failure may resend.
      idempotent: true,
      operation: 'create customer export',
    });
    const e = parseExport(field(res.data, 'export'));
    if (!e) throw this.invalid('POST', '/v1/exports/customers', 'create customer export', 'no "export" object in the answer');
    return e;
  }

  /** The export, or undefined when the id is unknown. */
  async getExport(id: number): Promise<CioExportInfo | undefined> {
    const path = `/v1/exports/${segmentId(id)}`;
    const res = await this.app.request<unknown>({ method: 'GET', path, acceptStatus: [404], operation: 'get export' });
    if (res.status === 404) return undefined;
    const e = parseExport(field(res.data, 'export'));
    if (!e) throw this.invalid('GET', path, 'get export', 'no "export" object in the answer');
    return e;
  }

  /**
   * Waits until the export is done (or failed, or the timeout passes), then streams its CSV and
   * yields one record per row, keyed by the header: the file is never held whole in memory. Polling
   * and link errors surface on the first iteration.
   */
  async *downloadExport(id: number): AsyncGenerator<Record<string, string>> {
    const interval = this.opts.exportPoll?.intervalMs ?? 2000;
    const timeout = this.opts.exportPoll?.timeoutMs ?? 10 * 60_000;
    const path = `/v1/exports/${segmentId(id)}`;
    const deadline = Date.now() + timeout;
    for (;;) {
      const e = await this.getExport(id);
      if (!e) throw this.failure('GET', path, 'get export', 'http', `export ${id} does not exist`, 404);
      if (e.failed) throw this.failure('GET', path, 'get export', 'http', `export ${id} failed on the Customer.io side (status "${e.status}")`);
      if (e.status === 'done') break;
      if (Date.now() + interval > deadline) {
        throw this.failure('GET', path, 'get export', 'timeout', `export ${id} was still "${e.status}" after ${Math.round(timeout / 1000)} s`);
      }
      await (this.opts.http?.sleep ?? sleep)(interval);
    }
    const res = await this.app.request<unknown>({ method: 'GET', path: `${path}/download`, operation: 'get export download link' });
    const url = field(res.data, 'url');
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw this.invalid('GET', `${path}/download`, 'get export download link', 'no "url" in the answer');
    const body = await this.fetchSignedLink(url);
    try {
      const chunks = body[Symbol.asyncIterator]();
      const first = await chunks.next();
      if (first.done) return;
      const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(String(first.value));
      if (head[0] === 0x1f && head[1] === 0x8b) {
        throw this.failure('GET', `${path}/download`, 'download export', 'invalid_response', 'the export file is gzip-compressed, which this version cannot read');
      }
      yield* csvRecords(
        (async function* () {
          yield head;
          for (let c = await chunks.next(); !c.done; c = await chunks.next()) yield c.value as Buffer;
        })(),
      );
    } catch (err) {
      if (err instanceof PlatformError) throw err;
      // The status line was fine but the body broke off midway: a typed, secret-free error.
      const code = (err as { code?: string })?.code;
      throw this.failure('GET', `${path}/download`, 'download export', 'network', `the export file download broke off${code ? ` (${code})` : ''}`);
    } finally {
      body.destroy();
    }
  }

  /** Every member of a segment with extra attribute columns, through an export (for large segments), streamed. */
  async *exportSegment(id: number, attributes: string[] = []): AsyncGenerator<Record<string, string>> {
    const e = await this.createExport({ filters: { and: [{ segment: { id } }] }, attributes });
    yield* this.downloadExport(e.id);
  }

  /** The link is pre-signed: fetched without the App API key, which must never leave for another host. */
  private async fetchSignedLink(url: string): Promise<Readable> {
    const u = new URL(url);
    const client = new HttpClient({ platform: 'customerio', api: 'export download', baseURL: u.origin, ...this.opts.http });
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    const res = await client.request<Readable>({ method: 'GET', path: u.pathname, query, responseType: 'stream', accept: 'text/csv, */*', operation: 'download export' });
    return res.data;
  }

  // -------------------------------------------------------------------------------------------
  // Track API
  // -------------------------------------------------------------------------------------------

  /** Adds people to a manual segment, 1000 ids a call (only manual segments accept this). */
  async addToSegment(id: number, ids: string[], opts: { idType?: CioIdType } = {}): Promise<void> {
    await this.changeMembers(id, ids, 'add_customers', opts.idType);
  }

  /** Removes people from a manual segment, 1000 ids a call. */
  async removeFromSegment(id: number, ids: string[], opts: { idType?: CioIdType } = {}): Promise<void> {
    await this.changeMembers(id, ids, 'remove_customers', opts.idType);
  }

  /** Creates or updates a person (PUT /api/v1/customers/{identifier}). */
  async identify(identifier: string, attributes: Record<string, string | number | boolean | null>): Promise<void> {
    await this.trackClient('identify').request({ method: 'PUT', path: `/api/v1/customers/${encodeURIComponent(identifier)}`, body: attributes, operation: 'identify' });
  }

  /** The region and workspace the Track credentials belong to. */
  async getRegion(): Promise<{ url: string; region: string; environment_id?: number }> {
    const res = await this.trackClient('find region').request<unknown>({ method: 'GET', path: '/api/v1/accounts/region', operation: 'find region' });
    const url = field(res.data, 'url');
    const region = field(res.data, 'region');
    if (typeof url !== 'string' || typeof region !== 'string') throw this.invalid('GET', '/api/v1/accounts/region', 'find region', 'no "url" and "region" in the answer');
    return { url, region, environment_id: toInt(field(res.data, 'environment_id')) };
  }

  private async changeMembers(id: number, ids: string[], action: 'add_customers' | 'remove_customers', idType: CioIdType | undefined): Promise<void> {
    const client = this.trackClient(action === 'add_customers' ? 'add to segment' : 'remove from segment');
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += SEGMENT_IDS_BATCH) {
      await client.request({
        method: 'POST',
        path: `/api/v1/segments/${segmentId(id)}/${action}`,
        query: { id_type: idType },
        body: { ids: unique.slice(i, i + SEGMENT_IDS_BATCH) },
        // Adding or removing the same people twice leaves the same membership: safe to resend.
        idempotent: true,
        operation: action === 'add_customers' ? 'add people to segment' : 'remove people from segment',
      });
    }
  }

  private trackClient(operation: string): HttpClient {
    if (!this.track) {
      throw new PlatformError({
        platform: 'customerio',
        api: 'track',
        method: 'POST',
        path: '/api/v1',
        kind: 'auth',
        operation,
        detail: 'site_id and track_api_key are not set',
        hint: 'Set providers.customerio.site_id and track_api_key (Track API credentials) in audiences.yaml.',
      });
    }
    return this.track;
  }

  private invalid(method: 'GET' | 'POST', path: string, operation: string, detail: string): PlatformError {
    return this.failure(method, path, operation, 'invalid_response', detail);
  }

  private failure(method: 'GET' | 'POST', path: string, operation: string, kind: PlatformError['kind'], detail: string, status?: number): PlatformError {
    return new PlatformError({ platform: 'customerio', api: 'app', method, path, kind, operation, detail, status });
  }
}

// ---------------------------------------------------------------------------------------------
// Defensive parsing: unknown keys are ignored, missing optional ones tolerated.
// ---------------------------------------------------------------------------------------------

function field(obj: unknown, key: string): unknown {
  return obj && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function intList(v: unknown): number[] {
  return Array.isArray(v) ? v.map(toInt).filter((n): n is number => n !== undefined) : [];
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

export function parseSegment(v: unknown): CioSegmentInfo | undefined {
  const id = toInt(field(v, 'id'));
  const name = field(v, 'name');
  if (id === undefined || typeof name !== 'string') return undefined;
  const type = field(v, 'type') === 'manual' ? 'manual' : 'dynamic';
  const tags = field(v, 'tags');
  const description = field(v, 'description');
  const state = field(v, 'state');
  const dedup = field(v, 'deduplicate_id');
  return {
    id,
    name,
    description: typeof description === 'string' ? description : '',
    type,
    state: typeof state === 'string' ? state : undefined,
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : null,
    deduplicate_id: typeof dedup === 'string' ? dedup : undefined,
    created_at: toInt(field(v, 'created_at')),
    updated_at: toInt(field(v, 'updated_at')),
  };
}

/** Prefers `identifiers` (id, email, cio_id); falls back to `ids` when a server sends only those. */
export function parseMembers(data: unknown): CioMember[] {
  const identifiers = field(data, 'identifiers');
  if (Array.isArray(identifiers)) {
    return identifiers
      .filter((x) => x && typeof x === 'object')
      .map((x) => {
        const m: CioMember = { id: str(field(x, 'id')) };
        const email = field(x, 'email');
        if (email !== undefined) m.email = str(email);
        const cio = str(field(x, 'cio_id'));
        if (cio !== null) m.cio_id = cio;
        return m;
      });
  }
  const ids = field(data, 'ids');
  return Array.isArray(ids) ? ids.map(str).filter((s): s is string => s !== null).map((id) => ({ id })) : [];
}

function parseCustomer(v: unknown): CioCustomer | undefined {
  const attrsRaw = field(v, 'attributes');
  const identifiers = field(v, 'identifiers');
  const attributes: Record<string, string> = {};
  if (attrsRaw && typeof attrsRaw === 'object') {
    for (const [k, val] of Object.entries(attrsRaw as Record<string, unknown>)) {
      const s = str(val) ?? (val !== null && typeof val === 'object' ? JSON.stringify(val) : null);
      if (s !== null) attributes[k] = s;
    }
  }
  const pick = (k: string): string | null => str(field(identifiers, k)) ?? str(field(v, k)) ?? attributes[k] ?? null;
  const id = pick('id');
  const cio_id = pick('cio_id');
  if (id === null && cio_id === null && pick('email') === null) return undefined;
  return { id, email: pick('email'), cio_id, attributes };
}

function parseExport(v: unknown): CioExportInfo | undefined {
  const id = toInt(field(v, 'id'));
  if (id === undefined) return undefined;
  const status = field(v, 'status');
  return {
    id,
    status: typeof status === 'string' ? status : 'unknown',
    failed: field(v, 'failed') === true,
    total: toInt(field(v, 'total')),
    created_at: toInt(field(v, 'created_at')),
    updated_at: toInt(field(v, 'updated_at')),
  };
}

/** Segment and export ids are integers; anything else would build a wrong path. */
function segmentId(id: number): string {
  if (!Number.isInteger(id) || id < 0) throw new RangeError(`Customer.io ids are non-negative integers, got ${id}`);
  return String(id);
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
