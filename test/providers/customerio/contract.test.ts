// Contract checks: every request the Customer.io client sends to the sandbox, and every answer the
// sandbox gives, is checked against a table encoded from the reference (method, path, auth scheme,
// body and response shapes); Track bodies are validated against the vendor's Track OpenAPI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { RecordedExchange, RunningSandbox } from '../../../src/sandbox/index.js';
import { CustomerioClient } from '../../../src/providers/customerio/client.js';
import { buildClient, buildSeed, customerId, startCioSandbox } from './helpers.js';

const TRACK_SPEC = JSON.parse(readFileSync('/work/shared/specs/customerio/customer-io-track-api-openapi.json', 'utf8'));
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** A schema taken from the Track OpenAPI, with its components so internal $refs resolve. */
function trackSchema(path: string, method: string, pick: (op: any) => unknown): ValidateFunction {
  const fragment = pick(TRACK_SPEC.paths[path][method]) as Record<string, unknown>;
  return ajv.compile({ ...fragment, components: TRACK_SPEC.components });
}
const trackRequest = (path: string, method: string) => trackSchema(path, method, (op) => op.requestBody.content['application/json'].schema);
const trackResponse = (path: string, method: string, status: string) =>
  trackSchema(path, method, (op) => {
    const r = op.responses[status];
    const resolved = r.$ref ? TRACK_SPEC.components.responses[r.$ref.split('/').pop()] : r;
    return resolved.content?.['application/json']?.schema ?? {};
  });

// ---- App API shapes, encoded from the reference (§2, §3, §5, §6) -------------------------------
const int = { type: 'integer' };
const str = { type: 'string' };
const segment = {
  type: 'object',
  required: ['id', 'deduplicate_id', 'name', 'description', 'state', 'progress', 'type', 'tags', 'created_at', 'updated_at'],
  properties: {
    id: int,
    deduplicate_id: { type: 'string', pattern: '^\\d+:\\d+$' },
    name: str,
    description: str,
    state: { enum: ['events', 'build', 'events_queued', 'build_queued', 'finished'] },
    progress: { type: ['integer', 'null'] },
    type: { enum: ['dynamic', 'manual'] },
    tags: { oneOf: [{ type: 'null' }, { type: 'array', items: str }] },
    created_at: int,
    updated_at: int,
  },
};
const appErrors = {
  type: 'object',
  required: ['errors'],
  properties: { errors: { type: 'array', minItems: 1, items: { type: 'object', required: ['detail', 'status'], properties: { detail: str, status: { type: 'string', pattern: '^\\d{3}$' } } } } },
};
const filter = {
  $id: 'cio-filter',
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  properties: {
    and: { type: 'array', minItems: 1, items: { $ref: 'cio-filter' } },
    or: { type: 'array', minItems: 1, items: { $ref: 'cio-filter' } },
    not: { $ref: 'cio-filter' },
    segment: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: int } },
    attribute: {
      oneOf: [
        { type: 'object', required: ['field', 'operator', 'value'], additionalProperties: false, properties: { field: str, operator: { const: 'eq' }, value: str } },
        { type: 'object', required: ['field', 'operator'], additionalProperties: false, properties: { field: str, operator: { const: 'exists' } } },
      ],
    },
  },
  additionalProperties: false,
};
ajv.addSchema(filter);
const exportObj = {
  type: 'object',
  required: ['id', 'status', 'failed', 'type', 'created_at', 'updated_at'],
  properties: { id: int, status: str, failed: { type: 'boolean' }, type: str, total: int, deduplicate_id: str, downloads: int },
};
const usedBy = { type: 'array', items: int };
const identifier = { type: 'object', required: ['id', 'cio_id'], properties: { id: { type: ['string', 'null'] }, email: { type: ['string', 'null'] }, cio_id: str } };
const customer = {
  type: 'object',
  required: ['customer'],
  properties: { customer: { type: 'object', required: ['id', 'attributes'], properties: { attributes: { type: 'object', additionalProperties: str } } } },
};

type Auth = 'bearer' | 'basic' | 'none';
interface Row {
  op: string;
  host: 'cio-app' | 'cio-track';
  method: string;
  path: RegExp;
  auth: Auth;
  query?: Record<string, RegExp>;
  body?: object | ValidateFunction | 'none';
  responses: Record<number, object | ValidateFunction | 'empty' | 'csv'>;
}

const v = (schema: object | ValidateFunction): ValidateFunction => (typeof schema === 'function' ? (schema as ValidateFunction) : ajv.compile(schema));
const ID_TYPE = /^(id|email|cio_id)$/;
const E = { 400: appErrors, 401: appErrors, 404: appErrors, 429: appErrors };
/** Track documents no 429 and no 5xx; the sandbox injects them (for retry tests) in the old envelope. */
const trackInjected = { type: 'object', required: ['meta'], properties: { meta: { type: 'object', required: ['errors'], properties: { errors: { type: 'array', items: str } } } } };

const TABLE: Row[] = [
  { op: 'listSegments', host: 'cio-app', method: 'GET', path: /^\/v1\/segments$/, auth: 'bearer', body: 'none', responses: { 200: { type: 'object', required: ['segments'], properties: { segments: { type: 'array', items: segment } } }, ...E } },
  { op: 'getSegment', host: 'cio-app', method: 'GET', path: /^\/v1\/segments\/\d+$/, auth: 'bearer', body: 'none', responses: { 200: { type: 'object', required: ['segment'], properties: { segment } }, ...E } },
  {
    op: 'createManSegment',
    host: 'cio-app',
    method: 'POST',
    path: /^\/v1\/segments$/,
    auth: 'bearer',
    body: { type: 'object', required: ['segment'], additionalProperties: false, properties: { segment: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, description: str } } } },
    responses: { 200: { type: 'object', required: ['segment'], properties: { segment: { ...segment, properties: { ...segment.properties, type: { const: 'manual' } } } } }, ...E },
  },
  { op: 'deleteManSegment', host: 'cio-app', method: 'DELETE', path: /^\/v1\/segments\/\d+$/, auth: 'bearer', body: 'none', responses: { 204: 'empty', ...E } },
  { op: 'getSegmentCount', host: 'cio-app', method: 'GET', path: /^\/v1\/segments\/\d+\/customer_count$/, auth: 'bearer', body: 'none', responses: { 200: { type: 'object', required: ['segment_id', 'count'], properties: { segment_id: int, count: int } }, ...E } },
  {
    op: 'getSegmentMembership',
    host: 'cio-app',
    method: 'GET',
    path: /^\/v1\/segments\/\d+\/membership$/,
    auth: 'bearer',
    query: { limit: /^([1-9]\d{0,3}|[12]\d{4}|30000)$/, start: /^.+$/ },
    body: 'none',
    responses: { 200: { type: 'object', required: ['segment_id', 'ids', 'identifiers'], properties: { segment_id: int, ids: { type: 'array', items: str }, identifiers: { type: 'array', items: identifier }, next: str } }, ...E },
  },
  {
    op: 'getSegmentDependencies',
    host: 'cio-app',
    method: 'GET',
    path: /^\/v1\/segments\/\d+\/used_by$/,
    auth: 'bearer',
    body: 'none',
    responses: { 200: { type: 'object', required: ['segment_id', 'used_by'], properties: { segment_id: int, used_by: { type: 'object', required: ['campaigns', 'sent_newsletters', 'draft_newsletters'], properties: { campaigns: usedBy, sent_newsletters: usedBy, draft_newsletters: usedBy } } } }, ...E },
  },
  {
    op: 'getPersonSegments',
    host: 'cio-app',
    method: 'GET',
    path: /^\/v1\/customers\/[^/]+\/segments$/,
    auth: 'bearer',
    query: { id_type: ID_TYPE },
    body: 'none',
    responses: { 200: { type: 'object', required: ['segments'], properties: { segments: { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: int, name: str, description: str } } } } }, ...E },
  },
  {
    op: 'getPeopleAttributes',
    host: 'cio-app',
    method: 'POST',
    path: /^\/v1\/customers\/attributes$/,
    auth: 'bearer',
    query: { id_type: ID_TYPE },
    body: { type: 'object', required: ['ids'], additionalProperties: false, properties: { ids: { type: 'array', minItems: 1, maxItems: 100, items: str } } },
    responses: { 200: { type: 'object', required: ['customers'], properties: { customers: { type: 'array', items: customer } } }, ...E },
  },
  {
    op: 'exportPeopleData',
    host: 'cio-app',
    method: 'POST',
    path: /^\/v1\/exports\/customers$/,
    auth: 'bearer',
    body: { type: 'object', required: ['filters'], additionalProperties: false, properties: { filters: { $ref: 'cio-filter' }, attributes: { type: 'array', items: str } } },
    responses: { 200: { type: 'object', required: ['export'], properties: { export: exportObj } }, ...E },
  },
  { op: 'getExport', host: 'cio-app', method: 'GET', path: /^\/v1\/exports\/\d+$/, auth: 'bearer', body: 'none', responses: { 200: { type: 'object', required: ['export'], properties: { export: exportObj } }, ...E } },
  { op: 'downloadExport', host: 'cio-app', method: 'GET', path: /^\/v1\/exports\/\d+\/download$/, auth: 'bearer', body: 'none', responses: { 200: { type: 'object', required: ['url'], properties: { url: { type: 'string', pattern: '^https?://' } } }, ...E } },
  { op: 'listExports', host: 'cio-app', method: 'GET', path: /^\/v1\/exports$/, auth: 'bearer', body: 'none', responses: { 200: { type: 'object', required: ['exports'], properties: { exports: { oneOf: [{ type: 'null' }, { type: 'array', items: exportObj }] } } }, ...E } },
  { op: 'export file (signed link)', host: 'cio-app', method: 'GET', path: /^\/sandbox-files\/exports\/[0-9a-f]+\.csv$/, auth: 'none', query: { expires: /^\d+$/, signature: /^.+$/ }, body: 'none', responses: { 200: 'csv' } },
  {
    op: 'identify',
    host: 'cio-track',
    method: 'PUT',
    path: /^\/api\/v1\/customers\/[^/]+$/,
    auth: 'basic',
    body: trackRequest('/api/v1/customers/{identifier}', 'put'),
    responses: { 200: { const: {} }, 401: 'empty' },
  },
  ...(['add_customers', 'remove_customers'] as const).map(
    (action): Row => ({
      op: action === 'add_customers' ? 'add_to_segment' : 'remove_from_segment',
      host: 'cio-track',
      method: 'POST',
      path: new RegExp(`^/api/v1/segments/\\d+/${action}$`),
      auth: 'basic',
      query: { id_type: ID_TYPE },
      body: trackRequest(`/api/v1/segments/{segment_id}/${action}`, 'post'),
      responses: {
        200: { const: {} },
        400: v({ ...trackResponse(`/api/v1/segments/{segment_id}/${action}`, 'post', '400').schema as object, required: ['meta'] }),
        401: 'empty',
      },
    }),
  ),
  {
    op: 'getRegion',
    host: 'cio-track',
    method: 'GET',
    path: /^\/api\/v1\/accounts\/region$/,
    auth: 'basic',
    body: 'none',
    responses: { 200: v({ ...(trackResponse('/api/v1/accounts/region', 'get', '200').schema as object), required: ['url', 'region', 'environment_id'] }), 401: 'empty' },
  },
];

function authOf(x: RecordedExchange): Auth | 'other' {
  const h = x.headers.authorization;
  if (h === undefined) return 'none';
  if (/^Bearer \S+$/.test(h)) return 'bearer';
  if (/^Basic [A-Za-z0-9+/=]+$/.test(h) && Buffer.from(h.slice(6), 'base64').toString().includes(':')) return 'basic';
  return 'other';
}

function validate(schema: object | ValidateFunction | 'none' | 'empty' | 'csv', body: Buffer, what: string): string[] {
  if (schema === 'none' || schema === 'empty') return body.length === 0 ? [] : [`${what}: expected no body, got ${body.length} bytes`];
  if (schema === 'csv') return /^[^\n]*cio_id[^\n]*\n/.test(body.toString()) ? [] : [`${what}: not a CSV with a header row`];
  let data: unknown;
  try {
    data = JSON.parse(body.toString());
  } catch {
    return [`${what}: not JSON`];
  }
  const fn = v(schema);
  return fn(data) ? [] : [`${what}: ${ajv.errorsText(fn.errors)}`];
}

/** Every problem found in the recorded exchanges of the Customer.io hosts. */
function checkExchanges(exchanges: RecordedExchange[]): { problems: string[]; seen: Set<string> } {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const x of exchanges.filter((e) => e.host === 'cio-app' || e.host === 'cio-track')) {
    const name = `${x.method} ${x.host}${x.path}`;
    const row = TABLE.find((r) => r.host === x.host && r.method === x.method && r.path.test(x.path));
    if (!row) {
      problems.push(`${name}: not a documented call`);
      continue;
    }
    seen.add(row.op);
    if (authOf(x) !== row.auth) problems.push(`${name}: auth ${authOf(x)}, expected ${row.auth}`);
    for (const key of x.query.keys()) {
      const rule = row.query?.[key];
      if (!rule) problems.push(`${name}: undocumented query parameter ${key}`);
      else if (!rule.test(x.query.get(key)!)) problems.push(`${name}: ${key}=${x.query.get(key)} out of range`);
    }
    if (row.body) {
      if (row.body !== 'none' && x.headers['content-type'] !== 'application/json') problems.push(`${name}: content-type ${x.headers['content-type']}`);
      problems.push(...validate(row.body, x.body, `${name} request`));
    }
    if (!x.response) continue; // the connection was reset: nothing answered
    const injected = x.fault === 'error' || x.fault === 'burst429';
    const rs = row.responses[x.response.status] ?? (injected ? (row.host === 'cio-app' ? appErrors : trackInjected) : undefined);
    if (!rs) problems.push(`${name}: undocumented status ${x.response.status}`);
    else problems.push(...validate(rs, x.response.body, `${name} response ${x.response.status}`));
    if (x.response.status === 429 && x.fault !== 'quota429' && !/^[1-9]\d*$/.test(x.response.headers['retry-after'] ?? '')) problems.push(`${name}: 429 without an integer Retry-After >= 1`);
  }
  return { problems, seen };
}

/** Exercises every client method once. */
async function runWorkload(sb: RunningSandbox, cio: CustomerioClient): Promise<void> {
  await cio.listSegments();
  await cio.getSegment(1);
  await cio.getSegment(404);
  await cio.getSegmentCount(1);
  await cio.listMembership(1, { limit: 7 });
  await cio.getSegmentUsedBy(1);
  await cio.getCustomerSegments(customerId(2));
  await cio.getCustomerSegments('person3@example.com', { idType: 'email' });
  await cio.getAttributes([customerId(1), customerId(2), 'ghost']);
  const seg = await cio.createManualSegment({ name: 'contract manual', description: 'made by the contract test' });
  await cio.addToSegment(seg.id, [customerId(4), customerId(5)]);
  await cio.addToSegment(seg.id, ['person6@example.com'], { idType: 'email' });
  await cio.removeFromSegment(seg.id, [customerId(4)]);
  await cio.addToSegment(1, [customerId(9)]).catch(() => undefined);
  await cio.identify(customerId(7), { email: 'person7@example.com', plan: 'pro', score: 3, active: true });
  await cio.getRegion();
  await collect(cio.exportSegment(1, ['plan']));
  await cio.deleteSegment(seg.id);
  await cio.deleteSegment(seg.id);
  void sb;
}

describe('Customer.io contract', () => {
  it('every request and answer follows the reference, on the happy path', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 30, segments: [{ id: 1, name: 'Dyn', members: [1, 20] }] }) });
    await runWorkload(sb, buildClient(sb));
    const { problems, seen } = checkExchanges(sb.requests);
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual([...new Set(TABLE.map((r) => r.op))].filter((op) => op !== 'listExports').sort());
  });

  it('still holds under injected 5xx, 429 bursts and resets (the error answers too)', async () => {
    const sb = await startCioSandbox({
      seed: buildSeed({ people: 30, segments: [{ id: 1, name: 'Dyn', members: [1, 20] }] }),
      faults: { seed: 21, errorRate: 0.15, resetRate: 0.1, burst429: { every: 9, length: 1, retryAfterSec: 1 } },
    });
    await runWorkload(sb, buildClient(sb, { http: { retry: { retries: 8, baseDelayMs: 5, maxDelayMs: 50 }, timeoutMs: 5000 } }));
    const { problems } = checkExchanges(sb.requests);
    expect(problems).toEqual([]);
    const kinds = sb.requests.map((r) => r.fault);
    // The faults really happened, so error answers were checked too.
    expect(kinds).toContain('error');
    expect(kinds).toContain('burst429');
    expect(kinds.some((k) => k.startsWith('reset'))).toBe(true);
  });

  it('the table catches a request that breaks it', () => {
    const bad: RecordedExchange = {
      at: 0,
      host: 'cio-track',
      method: 'POST',
      path: '/api/v1/segments/3/add_customers',
      query: new URLSearchParams('id_type=phone'),
      headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ ids: Array.from({ length: 1001 }, (_, i) => String(i)) })),
      fault: 'none',
    };
    const { problems } = checkExchanges([bad, { ...bad, method: 'PATCH', path: '/v1/segments/3', host: 'cio-app' }]);
    expect(problems).toEqual([
      'POST cio-track/api/v1/segments/3/add_customers: auth bearer, expected basic',
      'POST cio-track/api/v1/segments/3/add_customers: id_type=phone out of range',
      expect.stringMatching(/request: data\/ids must NOT have more than 1000 items/),
      'PATCH cio-app/v1/segments/3: not a documented call',
    ]);
  });
});

describe('sandbox answers', () => {
  it('listExports answers null when empty and a list afterwards, both per the table', async () => {
    const sb = await startCioSandbox();
    const h = { authorization: `Bearer ${sb.providers.customerio.app_api_key}` };
    await fetch(`${sb.url}/cio/app/v1/exports`, { headers: h });
    await buildClient(sb).createExport({ filters: { segment: { id: 1 } } });
    await fetch(`${sb.url}/cio/app/v1/exports`, { headers: h });
    const { problems, seen } = checkExchanges(sb.requests);
    expect(problems).toEqual([]);
    expect(seen.has('listExports')).toBe(true);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
