// The emulated Customer.io App API (api.customer.io/v1): segments, membership paging, people
// lookups and search, and asynchronous customer exports with a CSV download link.
import { randomBytes } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { checkFilter, matchFilter, type Filter } from './filter.js';
import type { CioExport, CioPerson, CioSegment } from './model.js';
import { appError, ok } from './responses.js';
import type { CioWorld } from './world.js';

const MEMBERSHIP_DEFAULT_LIMIT = 1000;
const MEMBERSHIP_MAX_LIMIT = 30000;
const SEARCH_DEFAULT_LIMIT = 50;
const SEARCH_MAX_LIMIT = 1000;
const ATTRIBUTES_MAX_IDS = 100;
/** Export download links expire after 15 minutes (documented). */
const DOWNLOAD_TTL_SEC = 15 * 60;

/** Path of the unauthenticated "signed" export file links, below the App host prefix. */
export const DOWNLOAD_PATH_PREFIX = '/sandbox-files/exports/';

type Handler = (w: CioWorld, req: SandboxRequest, params: string[]) => SandboxResponse;

const ROUTES: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
  { method: 'GET', pattern: /^\/v1\/segments$/, handler: listSegments },
  { method: 'POST', pattern: /^\/v1\/segments$/, handler: createSegment },
  { method: 'GET', pattern: /^\/v1\/segments\/([^/]+)$/, handler: getSegment },
  { method: 'DELETE', pattern: /^\/v1\/segments\/([^/]+)$/, handler: deleteSegment },
  { method: 'GET', pattern: /^\/v1\/segments\/([^/]+)\/customer_count$/, handler: getSegmentCount },
  { method: 'GET', pattern: /^\/v1\/segments\/([^/]+)\/membership$/, handler: getMembership },
  { method: 'GET', pattern: /^\/v1\/segments\/([^/]+)\/used_by$/, handler: getUsedBy },
  { method: 'POST', pattern: /^\/v1\/customers\/attributes$/, handler: postAttributes },
  { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)\/segments$/, handler: getPersonSegments },
  { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)\/attributes$/, handler: getPersonAttributes },
  { method: 'POST', pattern: /^\/v1\/customers$/, handler: searchCustomers },
  { method: 'GET', pattern: /^\/v1\/customers$/, handler: getCustomersByEmail },
  { method: 'POST', pattern: /^\/v1\/exports\/customers$/, handler: createExport },
  { method: 'GET', pattern: /^\/v1\/exports$/, handler: listExports },
  { method: 'GET', pattern: /^\/v1\/exports\/([^/]+)$/, handler: getExport },
  { method: 'GET', pattern: /^\/v1\/exports\/([^/]+)\/download$/, handler: downloadExport },
];

/** Routes an authenticated App API request; undefined when no route matches (the server answers 404). */
export function handleAppRequest(w: CioWorld, req: SandboxRequest): SandboxResponse | undefined {
  for (const r of ROUTES) {
    if (r.method !== req.method) continue;
    const m = r.pattern.exec(req.path);
    if (m) return r.handler(w, req, m.slice(1).map((s) => decodeURIComponent(s)));
  }
  return undefined;
}

/** Serves an export file link (no credentials: the link itself is the authorization, like a signed URL). */
export function handleDownloadFile(w: CioWorld, req: SandboxRequest): SandboxResponse | undefined {
  if (req.method !== 'GET' || !req.path.startsWith(DOWNLOAD_PATH_PREFIX)) return undefined;
  const token = req.path.slice(DOWNLOAD_PATH_PREFIX.length).replace(/\.csv$/, '');
  const exp = w.state.exports.find((e) => e.token === token);
  const expires = Number(req.query.get('expires'));
  if (!exp || req.query.get('signature') !== signatureOf(exp, expires)) {
    return { status: 403, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>AccessDenied</Code></Error>' };
  }
  if (!(expires > w.nowSec())) {
    return { status: 403, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' };
  }
  return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8' }, body: exp.csv };
}

// ---------------------------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------------------------

function segmentView(w: CioWorld, s: CioSegment): Record<string, unknown> {
  const building = s.type === 'manual' && w.ctx.now() - s.created_at * 1000 < w.variants.segmentBuildMs;
  return {
    id: s.id,
    deduplicate_id: `${s.id}:${s.updated_at}`,
    name: s.name,
    description: s.description,
    state: building ? 'events' : 'finished',
    progress: null,
    type: s.type,
    tags: s.tags,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

/** Segment ids are int32 path parameters; anything else matches no segment. */
function segmentParam(w: CioWorld, raw: string): CioSegment | undefined {
  if (!/^\d{1,10}$/.test(raw)) return undefined;
  return w.findSegment(Number(raw));
}

function segmentNotFound(raw: string): SandboxResponse {
  return appError(404, `segment ${raw} not found`);
}

function listSegments(w: CioWorld): SandboxResponse {
  return ok({ segments: w.state.segments.map((s) => segmentView(w, s)) });
}

function getSegment(w: CioWorld, _req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const s = segmentParam(w, raw);
  return s ? ok({ segment: segmentView(w, s) }) : segmentNotFound(raw);
}

function createSegment(w: CioWorld, req: SandboxRequest): SandboxResponse {
  const body = parseJson(req);
  if (body === INVALID) return appError(400, 'request body is not valid JSON');
  const seg = (body as { segment?: unknown } | undefined)?.segment;
  if (!seg || typeof seg !== 'object' || Array.isArray(seg)) return appError(400, 'segment is required');
  const { name, description } = seg as { name?: unknown; description?: unknown };
  if (typeof name !== 'string' || name.trim() === '') return appError(400, 'segment.name is required');
  if (description !== undefined && description !== null && typeof description !== 'string') {
    return appError(400, 'segment.description must be a string');
  }
  const now = w.nowSec();
  const s: CioSegment = {
    id: w.state.next_segment_id++,
    name,
    description: typeof description === 'string' ? description : '',
    type: 'manual',
    tags: null,
    created_at: now,
    updated_at: now,
    members: [],
    used_by: { campaigns: [], sent_newsletters: [], draft_newsletters: [] },
  };
  w.state.segments.push(s);
  w.changed();
  return ok({ segment: segmentView(w, s) });
}

/**
 * Only manual segments can be deleted: the operation is documented as "Delete a manual segment"
 * (deleteManSegment) and declares only 404 and 429, so a data-driven id answers 404 like an unknown one.
 */
function deleteSegment(w: CioWorld, _req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const s = segmentParam(w, raw);
  if (!s) return segmentNotFound(raw);
  if (s.type !== 'manual') return appError(404, `manual segment ${raw} not found (data-driven segments cannot be deleted through the API)`);
  w.state.segments = w.state.segments.filter((x) => x !== s);
  w.changed();
  return { status: 204 };
}

function getSegmentCount(w: CioWorld, _req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const s = segmentParam(w, raw);
  return s ? ok({ segment_id: s.id, count: s.members.length }) : segmentNotFound(raw);
}

function getUsedBy(w: CioWorld, _req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const s = segmentParam(w, raw);
  return s ? ok({ segment_id: s.id, used_by: s.used_by }) : segmentNotFound(raw);
}

function getMembership(w: CioWorld, req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const s = segmentParam(w, raw);
  if (!s) return segmentNotFound(raw);
  const page = readPage(req, MEMBERSHIP_DEFAULT_LIMIT, MEMBERSHIP_MAX_LIMIT, `m${s.id}`);
  if ('error' in page) return page.error;
  const people = s.members.slice(page.offset, page.offset + page.limit).map((c) => w.index.findByCioId(c)).filter(isPerson);
  const more = page.offset + page.limit < s.members.length;
  return ok(withNext(w, { segment_id: s.id, ...idsAndIdentifiers(w, people) }, more ? encodeCursor(`m${s.id}`, page.offset + page.limit) : undefined));
}

// ---------------------------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------------------------

type IdType = 'id' | 'email' | 'cio_id';

function readIdType(w: CioWorld, req: SandboxRequest): IdType | SandboxResponse {
  const t = req.query.get('id_type') ?? 'id';
  if (t === 'id' || t === 'cio_id') return t;
  if (t === 'email') return w.variants.emailIdentifier ? t : appError(400, 'email is not an identifier in this workspace');
  if (t === 'phone') return appError(400, 'phone is not an identifier in this workspace');
  return appError(400, `id_type must be one of id, email, phone, cio_id (got "${t}")`);
}

/** Finds a person by a path/body identifier; a path cio_id must carry the cio_ prefix. */
function findPerson(w: CioWorld, idType: IdType, value: string, inPath: boolean): CioPerson | undefined {
  if (idType === 'email') return w.index.findByEmail(value);
  if (idType === 'cio_id') {
    if (inPath) return value.startsWith('cio_') ? w.index.findByCioId(value.slice(4)) : undefined;
    return w.index.findByCioId(value.startsWith('cio_') ? value.slice(4) : value);
  }
  return w.index.findById(value);
}

function customerView(w: CioWorld, p: CioPerson): Record<string, unknown> {
  return {
    id: p.id,
    identifiers: w.identifiersOf(p),
    attributes: { ...p.attributes },
    timestamps: { ...p.timestamps },
    unsubscribed: p.unsubscribed,
    devices: [],
  };
}

function getPersonSegments(w: CioWorld, req: SandboxRequest, [value]: string[]): SandboxResponse {
  const idType = readIdType(w, req);
  if (typeof idType !== 'string') return idType;
  const p = findPerson(w, idType, value, true);
  if (!p) return appError(404, 'customer not found');
  const segments = w.state.segments.filter((s) => s.members.includes(p.cio_id)).map((s) => ({ id: s.id, name: s.name, description: s.description }));
  return ok({ segments });
}

function getPersonAttributes(w: CioWorld, req: SandboxRequest, [value]: string[]): SandboxResponse {
  const idType = readIdType(w, req);
  if (typeof idType !== 'string') return idType;
  const p = findPerson(w, idType, value, true);
  return p ? ok({ customer: customerView(w, p) }) : appError(404, 'customer not found');
}

function postAttributes(w: CioWorld, req: SandboxRequest): SandboxResponse {
  const idType = readIdType(w, req);
  if (typeof idType !== 'string') return idType;
  const body = parseJson(req);
  const ids = (body as { ids?: unknown } | undefined)?.ids;
  if (body === INVALID || !Array.isArray(ids) || ids.length < 1 || ids.length > ATTRIBUTES_MAX_IDS || !ids.every((x) => typeof x === 'string')) {
    return appError(400, `ids must be an array of 1 to ${ATTRIBUTES_MAX_IDS} strings`);
  }
  const customers = ids
    .map((id) => findPerson(w, idType, id, false))
    .filter(isPerson)
    .map((p) => ({ customer: customerView(w, p) }));
  return ok({ customers });
}

function searchCustomers(w: CioWorld, req: SandboxRequest): SandboxResponse {
  const body = parseJson(req);
  if (body === INVALID) return appError(400, 'request body is not valid JSON');
  const filter = (body as { filter?: unknown } | undefined)?.filter;
  const problem = checkFilter(filter);
  if (problem) return appError(400, problem);
  const page = readPage(req, SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, 's');
  if ('error' in page) return page.error;
  const segmentsOf = w.membershipIndex();
  const matches = w.state.people.filter((p) => matchFilter(filter as Filter, { attributes: p.attributes, segments: segmentsOf(p) }));
  const people = matches.slice(page.offset, page.offset + page.limit);
  const more = page.offset + page.limit < matches.length;
  return ok(withNext(w, idsAndIdentifiers(w, people), more ? encodeCursor('s', page.offset + page.limit) : undefined));
}

function getCustomersByEmail(w: CioWorld, req: SandboxRequest): SandboxResponse {
  const email = req.query.get('email');
  if (!email) return appError(400, 'email is required');
  const p = w.index.findByEmail(email);
  return ok({ results: p ? [{ email: p.email, id: p.id, cio_id: p.cio_id }] : [] });
}

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

function exportView(w: CioWorld, e: CioExport): Record<string, unknown> {
  const done = w.ctx.now() >= e.ready_at_ms;
  // A failing export is pending like any other until its processing ends.
  const failed = e.failed && done;
  return {
    id: e.id,
    user_id: 0,
    user_email: 'sandbox@example.com',
    total: done && !failed ? e.total : 0,
    deduplicate_id: `${e.id}:${e.updated_at}`,
    type: 'customers',
    failed,
    status: failed ? 'failed' : done ? 'done' : 'pending',
    description: e.description,
    downloads: e.downloads,
    created_at: e.created_at,
    updated_at: e.updated_at,
  };
}

function createExport(w: CioWorld, req: SandboxRequest): SandboxResponse {
  const body = parseJson(req);
  if (body === INVALID || !body || typeof body !== 'object') return appError(400, 'request body must be a JSON object');
  const { filters, attributes } = body as { filters?: unknown; attributes?: unknown };
  if (filters === undefined) return appError(400, 'filters is required');
  const problem = checkFilter(filters, 'filters');
  if (problem) return appError(400, problem);
  if (attributes !== undefined && (!Array.isArray(attributes) || !attributes.every((a) => typeof a === 'string'))) {
    return appError(400, 'attributes must be an array of strings');
  }
  const extra = (attributes as string[] | undefined) ?? [];
  const segmentsOf = w.membershipIndex();
  const matches = w.state.people.filter((p) => matchFilter(filters as Filter, { attributes: p.attributes, segments: segmentsOf(p) }));
  const header = ['cio_id', 'id', 'email', ...extra.filter((a) => !['cio_id', 'id', 'email'].includes(a))];
  const rows = matches.map((p) => header.map((h) => (h === 'cio_id' ? p.cio_id : h === 'id' ? p.id ?? '' : h === 'email' ? p.email ?? '' : p.attributes[h] ?? '')));
  const now = w.nowSec();
  const e: CioExport = {
    id: w.state.next_export_id++,
    created_at: now,
    updated_at: now,
    ready_at_ms: w.ctx.now() + w.variants.exportDelayMs,
    failed: w.variants.exportFails,
    description: `Customers with filters ${JSON.stringify(filters)}`,
    total: matches.length,
    downloads: 0,
    token: randomBytes(12).toString('hex'),
    csv: [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n',
  };
  w.state.exports.push(e);
  w.changed();
  return ok({ export: exportView(w, e) });
}

function listExports(w: CioWorld): SandboxResponse {
  // A live recording shows `null`, not `[]`, when a workspace has no exports.
  return ok({ exports: w.state.exports.length === 0 ? null : w.state.exports.map((e) => exportView(w, e)) });
}

function findExport(w: CioWorld, raw: string): CioExport | undefined {
  return /^\d+$/.test(raw) ? w.state.exports.find((e) => e.id === Number(raw)) : undefined;
}

function getExport(w: CioWorld, _req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const e = findExport(w, raw);
  return e ? ok({ export: exportView(w, e) }) : appError(404, `export ${raw} not found`);
}

function downloadExport(w: CioWorld, req: SandboxRequest, [raw]: string[]): SandboxResponse {
  const e = findExport(w, raw);
  if (!e) return appError(404, `export ${raw} not found`);
  if (e.failed || w.ctx.now() < e.ready_at_ms) return appError(400, `export ${raw} is not ready for download`);
  e.downloads++;
  w.changed();
  const expires = w.nowSec() + DOWNLOAD_TTL_SEC;
  return ok({ url: `${req.baseUrl}${DOWNLOAD_PATH_PREFIX}${e.token}.csv?expires=${expires}&signature=${signatureOf(e, expires)}` });
}

function signatureOf(e: CioExport, expires: number): string {
  // Deterministic per export and expiry; the token itself is the secret part of the link.
  return Buffer.from(`${e.token}:${expires}`).toString('base64url').slice(-16);
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const INVALID = Symbol('invalid json');

function parseJson(req: SandboxRequest): unknown {
  if (req.body.length === 0) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    return INVALID;
  }
}

function isPerson(p: CioPerson | undefined): p is CioPerson {
  return p !== undefined;
}

function idsAndIdentifiers(w: CioWorld, people: CioPerson[]): { ids?: string[]; identifiers?: Array<Record<string, string | null>> } {
  const shape = w.variants.membershipShape;
  return {
    ...(shape !== 'identifiers' ? { ids: people.filter((p) => p.id !== null).map((p) => p.id as string) } : {}),
    ...(shape !== 'ids' ? { identifiers: people.map((p) => w.identifiersOf(p)) } : {}),
  };
}

/** Adds `next`; on the last page it is "" or left out, as the fault settings choose. */
function withNext<T extends object>(w: CioWorld, body: T, next: string | undefined): T & { next?: string } {
  if (next !== undefined) return { ...body, next };
  return w.ctx.faults.lastPageNext === 'empty' ? { ...body, next: '' } : body;
}

function encodeCursor(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ k: scope, o: offset })).toString('base64url');
}

function decodeCursor(token: string, scope: string): number | undefined {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; o?: unknown };
    return c.k === scope && typeof c.o === 'number' && Number.isInteger(c.o) && c.o >= 0 ? c.o : undefined;
  } catch {
    return undefined;
  }
}

function readPage(req: SandboxRequest, defaultLimit: number, maxLimit: number, scope: string): { offset: number; limit: number } | { error: SandboxResponse } {
  const rawLimit = req.query.get('limit');
  let limit = defaultLimit;
  if (rawLimit !== null && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1) return { error: appError(400, 'limit must be a positive integer') };
    limit = Math.min(Number(rawLimit), maxLimit);
  }
  const start = req.query.get('start');
  let offset = 0;
  if (start !== null && start !== '') {
    const o = decodeCursor(start, scope);
    if (o === undefined) return { error: appError(400, 'start is not a valid page token') };
    offset = o;
  }
  return { offset, limit };
}
