// The emulated Target edge Profile APIs: bulk update v1/v2 (async, XML status), single update, fetch.
import type { SandboxRequest, SandboxResponse } from '../types.js';
import type { AdminState } from './admin-state.js';
import { decodePathSegment, edgeError, formatTime, header, xmlEscape } from './http-util.js';
import type { ProfileStore } from './profile-store.js';

/** Documented limits of one bulk upload. */
export const MAX_BATCH_ROWS = 500_000;
export const MAX_BATCH_BYTES = 50 * 1024 * 1024;
/** Documented limits of a single profile update. */
const MAX_SINGLE_GET_BYTES = 8 * 1024;
const MAX_SINGLE_POST_BYTES = 60 * 1024;
const MAX_ID_LENGTH = 128;

export type BatchStatus = 'incomplete' | 'complete' | 'stuck';

export interface Batch {
  batchId: string;
  client: string;
  /** v2 creates missing profiles, v1 does not. */
  createProfiles: boolean;
  submittedAt: number;
  /** When processing finishes (status leaves `incomplete`). */
  readyAt: number;
  /** Decided at submission: whether this batch will get stuck instead of completing. */
  willStick: boolean;
  status: BatchStatus;
  batchSize: number;
  /** Attribute names of the header (without the id column). */
  columns: string[];
  /** Rows waiting to be applied: [thirdPartyId, ...decoded values]; dropped once processed. */
  pending?: string[][];
  /** Rows rejected while parsing (bad id, wrong column count, undecodable value). */
  rejectedRows: number;
  consumedCount: number;
  successfulUpdates: number;
  profilesNotFound: number;
  failedUpdates: number;
}

export interface EdgeContext {
  profiles: ProfileStore;
  admin: AdminState;
  batches: Map<string, Batch>;
  now: () => number;
  /** How long a batch (and a single update) takes to be applied, ms. */
  batchDelayMs: number;
  singleUpdateDelayMs: number;
  /** Whether the next batch gets stuck (fault injection). */
  decideStuck: () => boolean;
  /** Profile API "Require Authentication" setting. */
  requireProfileAuth: () => boolean;
  /** Inactivity after which a profile is gone (Target default: 14 days). */
  profileLifetimeMs: number;
  /** Single updates waiting for their delay. */
  pendingSingles: Array<{ readyAt: number; id: string; attrs: Array<[string, string]> }>;
  profilesChanged: () => void;
  batchesChanged: () => void;
  nextBatchSeq: () => number;
}

/** Applies every batch and single update whose delay is over. Called before each request is answered. */
export function applyDueUpdates(ctx: EdgeContext): void {
  const now = ctx.now();
  let touchedProfiles = false;
  let touchedBatches = false;
  for (const b of ctx.batches.values()) {
    if (b.status !== 'incomplete' || b.readyAt > now) continue;
    touchedBatches = true;
    if (b.willStick) {
      b.status = 'stuck';
      continue;
    }
    for (const row of b.pending ?? []) {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < b.columns.length; i++) pairs.push([b.columns[i], row[i + 1]]);
      const exists = ctx.profiles.update(row[0], pairs, b.readyAt, b.createProfiles);
      if (exists) b.successfulUpdates++;
      else b.profilesNotFound++;
    }
    b.consumedCount = b.batchSize;
    b.failedUpdates = b.rejectedRows;
    b.pending = undefined;
    b.status = 'complete';
    touchedProfiles = true;
  }
  if (ctx.pendingSingles.length > 0) {
    const keep = [];
    for (const u of ctx.pendingSingles) {
      if (u.readyAt > now) keep.push(u);
      else {
        ctx.profiles.update(u.id, u.attrs, u.readyAt, false);
        touchedProfiles = true;
      }
    }
    ctx.pendingSingles.length = 0;
    ctx.pendingSingles.push(...keep);
  }
  if (touchedProfiles) ctx.profilesChanged();
  if (touchedBatches) ctx.batchesChanged();
}

/** Answers a Profile API request on the edge host; undefined when no route matches. */
export function handleProfileApi(req: SandboxRequest, ctx: EdgeContext): SandboxResponse | undefined {
  const segs = req.path.split('/').filter(Boolean);
  // /m2/{client}/v2/profile/batchUpdate, /m2/{client}/profile/batchUpdate
  if (segs[0] === 'm2' && segs.length >= 4) {
    const client = decodePathSegment(segs[1]);
    const tail = segs.slice(2).join('/');
    if (tail === 'v2/profile/batchUpdate' || tail === 'profile/batchUpdate') {
      if (req.method !== 'POST') return xml(405, failure('Only POST is supported'));
      const denied = checkProfileAuth(req, ctx, 'xml');
      if (denied) return denied;
      return submitBatch(req, ctx, client, tail.startsWith('v2/'));
    }
    if (tail === 'profile/batchStatus' || tail === 'v2/profile/batchStatus') {
      if (req.method !== 'GET') return xml(405, failure('Only GET is supported'));
      return batchStatus(req, ctx);
    }
    if (tail === 'profile/update') {
      if (req.method !== 'GET' && req.method !== 'POST') return text(405, 'Only GET and POST are supported');
      const denied = checkProfileAuth(req, ctx, 'text');
      if (denied) return denied;
      return singleUpdate(req, ctx);
    }
    return undefined;
  }
  // /rest/v1/profiles/thirdPartyId/{id}
  if (segs[0] === 'rest' && segs[1] === 'v1' && segs[2] === 'profiles' && segs[3] === 'thirdPartyId' && segs.length === 5) {
    if (req.method !== 'GET') return edgeError(405, 'Only GET is supported');
    const denied = checkProfileAuth(req, ctx, 'json');
    if (denied) return denied;
    return fetchProfile(req, ctx, decodePathSegment(segs[4]));
  }
  return undefined;
}

function checkProfileAuth(req: SandboxRequest, ctx: EdgeContext, kind: 'xml' | 'text' | 'json'): SandboxResponse | undefined {
  if (!ctx.requireProfileAuth()) return undefined;
  const token = ctx.admin.profileToken?.accessToken;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
  // Slate documented an `access_token` header; the current docs and Segment use Authorization: Bearer.
  const given = bearer ?? header(req, 'access_token');
  if (token && given === token) return undefined;
  const msg = 'Authentication token is missing or invalid';
  if (kind === 'xml') return xml(401, failure(msg));
  if (kind === 'text') return text(401, msg);
  return edgeError(401, msg);
}

function submitBatch(req: SandboxRequest, ctx: EdgeContext, client: string, v2: boolean): SandboxResponse {
  if (req.body.length >= MAX_BATCH_BYTES) {
    return xml(400, failure(`Batch file must be smaller than 50 MB (got ${req.body.length} bytes)`));
  }
  const textBody = req.body.toString('utf8');
  if (!textBody.startsWith('batch=')) return xml(400, failure("The body must start with 'batch='"));
  const lines = textBody.slice('batch='.length).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 1 || lines[0].trim() === '') return xml(400, failure('The batch has no header line'));
  const head = lines[0].split(',').map((h) => h.trim());
  if (head[0] !== 'thirdPartyId') {
    const why = head[0] === 'pcId' ? 'pcId batches are not emulated by the sandbox; use thirdPartyId' : "The first column must be 'thirdPartyId' or 'pcId'";
    return xml(400, failure(why));
  }
  const columns = head.slice(1);
  if (columns.length === 0 || columns.some((c) => c === '')) return xml(400, failure('Every column after thirdPartyId needs an attribute name'));
  const rowCount = lines.length - 1;
  if (rowCount > MAX_BATCH_ROWS) return xml(400, failure(`A batch holds at most ${MAX_BATCH_ROWS} rows (got ${rowCount})`));

  const pending: string[][] = [];
  let rejected = 0;
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const row = decodeRow(cells, columns.length + 1);
    if (!row) rejected++;
    else pending.push(row);
  }
  const now = ctx.now();
  const batchId = `${client}-${now}-${ctx.nextBatchSeq()}`;
  const batch: Batch = {
    batchId,
    client,
    createProfiles: v2,
    submittedAt: now,
    readyAt: now + ctx.batchDelayMs,
    willStick: ctx.decideStuck(),
    status: 'incomplete',
    batchSize: rowCount,
    columns,
    pending,
    rejectedRows: rejected,
    consumedCount: 0,
    successfulUpdates: 0,
    profilesNotFound: 0,
    failedUpdates: 0,
  };
  ctx.batches.set(batchId, batch);
  ctx.batchesChanged();
  // The status link is absolute, on the host the client reached (Target answers with its edge host).
  const statusUrl = `${req.baseUrl}/m2/${encodeURIComponent(client)}/profile/batchStatus?batchId=${encodeURIComponent(batchId)}`;
  return xml(
    200,
    `<response><success>true</success><batchStatus>${xmlEscape(statusUrl)}</batchStatus><message>Batch submitted for processing</message></response>`,
  );
}

/** Decodes one CSV row: URL-decoded cells; undefined when the row cannot be used. */
function decodeRow(cells: string[], width: number): string[] | undefined {
  if (cells.length !== width) return undefined;
  const out: string[] = [];
  for (const c of cells) {
    try {
      out.push(decodeURIComponent(c));
    } catch {
      return undefined;
    }
  }
  const id = out[0];
  // mbox3rdPartyId must not contain + or / (reference §6); ids are at most 128 characters.
  if (id === '' || id.length > MAX_ID_LENGTH || id.includes('+') || id.includes('/')) return undefined;
  return out;
}

function batchStatus(req: SandboxRequest, ctx: EdgeContext): SandboxResponse {
  const id = req.query.get('batchId') ?? '';
  const b = ctx.batches.get(id);
  if (!b) return xml(404, failure(`Batch ${id} not found`));
  let body = `<response><batchId>${xmlEscape(b.batchId)}</batchId><status>${b.status}</status><batchSize>${b.batchSize}</batchSize>`;
  if (req.query.get('showDetails') === 'true') {
    body +=
      `<consumedCount>${b.consumedCount}</consumedCount><successfulUpdates>${b.successfulUpdates}</successfulUpdates>` +
      `<profilesNotFound>${b.profilesNotFound}</profilesNotFound><failedUpdates>${b.failedUpdates}</failedUpdates>`;
  }
  return xml(200, `${body}</response>`);
}

function singleUpdate(req: SandboxRequest, ctx: EdgeContext): SandboxResponse {
  if (req.method === 'GET' && req.query.toString().length > MAX_SINGLE_GET_BYTES) return text(414, 'A GET update is limited to 8 KB');
  if (req.method === 'POST' && req.body.length > MAX_SINGLE_POST_BYTES) return text(413, 'A POST update is limited to 60 KB');
  const params = new URLSearchParams(req.query);
  const ct = (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (req.method === 'POST' && ct === 'application/x-www-form-urlencoded' && req.body.length > 0) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.append(k, v);
  }
  const id = params.get('mbox3rdPartyId');
  if (!id) {
    const why = params.get('mboxPC') ? 'mboxPC updates are not emulated by the sandbox; use mbox3rdPartyId' : 'mbox3rdPartyId is required';
    return text(400, why);
  }
  const attrs: Array<[string, string]> = [];
  for (const [k, v] of params) if (k.startsWith('profile.') && k.length > 'profile.'.length) attrs.push([k.slice('profile.'.length), v]);
  // Updates only: a missing profile is not created (reference §6); applied asynchronously.
  ctx.pendingSingles.push({ readyAt: ctx.now() + ctx.singleUpdateDelayMs, id, attrs });
  if (ctx.singleUpdateDelayMs <= 0) applyDueUpdates(ctx);
  return text(200, 'trueRequest successfully submitted');
}

function fetchProfile(req: SandboxRequest, ctx: EdgeContext, id: string): SandboxResponse {
  const client = req.query.get('client');
  if (!client) return edgeError(400, 'The client parameter is required');
  const p = ctx.profiles.get(id);
  if (p && ctx.now() - p.modifiedAt > ctx.profileLifetimeMs) {
    ctx.profiles.delete(id);
    ctx.profilesChanged();
  }
  const live = p && ctx.profiles.has(id) ? p : undefined;
  if (!live) return edgeError(404, `No profile found for client ${client} with third party id=${id}`);
  const profileAttributes: Record<string, { value: string; modifiedAt: string }> = {};
  for (const [name, a] of live.attributes) profileAttributes[name] = { value: a.value, modifiedAt: formatTime(a.modifiedAt) };
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: { client, visitorId: id, modifiedAt: formatTime(live.modifiedAt), profileAttributes },
  };
}

function failure(message: string): string {
  return `<response><success>false</success><message>${xmlEscape(message)}</message></response>`;
}

function xml(status: number, body: string): SandboxResponse {
  return { status, headers: { 'content-type': 'application/xml;charset=UTF-8' }, body };
}

function text(status: number, body: string): SandboxResponse {
  return { status, headers: { 'content-type': 'text/plain;charset=UTF-8' }, body };
}
