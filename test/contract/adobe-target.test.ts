// Contract: every request the Target client sends, and every answer of the sandbox, checked against
// the official OpenAPI (admin-api.json, delivery-api.json) and, where none exists, the reference.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import adminSpec from '../../src/sandbox/adobe-target/openapi/admin-api.json' with { type: 'json' };
import deliverySpec from '../../src/sandbox/adobe-target/openapi/delivery-api.json' with { type: 'json' };
import aioSpec from '../../src/sandbox/adobe-target/openapi/aio-target-api.json' with { type: 'json' };
import { closeObjects, correctDeliverySpec } from '../../src/sandbox/adobe-target/schemas.js';
import { buildProfileBatches } from '../../src/providers/adobe-target/client.js';
import type { RecordedExchange } from '../../src/sandbox/index.js';
import { buildXtActivity, startTargetSandbox, type TargetSandbox } from '../providers/adobe-target/helpers.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};
type PathItem = Record<string, Operation>;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Responses are checked against the spec as published; requests against the same schemas closed
// (Target rejects unknown properties, so a client that sends one is wrong even where OpenAPI allows it).
ajv.addSchema({ ...adminSpec, $id: 'admin.json' }, 'admin.json');
ajv.addSchema({ $id: 'admin-closed.json', components: closeObjects(adminSpec.components) }, 'admin-closed.json');
ajv.addSchema({ ...(correctDeliverySpec(deliverySpec) as object), $id: 'delivery.json' }, 'delivery.json');

function schemaValidator(doc: string, schema: object): ValidateFunction {
  const ref = (schema as { $ref?: string }).$ref;
  if (ref) return ajv.getSchema(`${doc}${ref}`)!;
  return ajv.compile({ ...schema, $id: undefined });
}

/** `/{tenant}/target/activities/{id}/state` → regex; literal segments count for specificity. */
const TEMPLATES = Object.keys(adminSpec.paths).map((template) => {
  const segs = template.split('/').filter(Boolean);
  const re = new RegExp(`^/${segs.map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
  return { template, re, literals: segs.filter((s) => !s.startsWith('{')).length };
});

function matchTemplate(path: string): string | undefined {
  return TEMPLATES.filter((t) => t.re.test(path)).sort((a, b) => b.literals - a.literals)[0]?.template;
}

/** Query parameters the older aio spec declares for list endpoints, plus slate's documented field filters. */
function listQueryRules(template: string): { allowed: Set<string>; sortBy?: string[] } | undefined {
  const aioPath = template.replace('/{tenant}', '');
  const op = (aioSpec.paths as Record<string, PathItem>)[aioPath]?.get;
  if (!op?.parameters) return undefined;
  const allowed = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const f of ['id', 'name', 'thirdPartyId', 'state', 'type', 'priority', 'workspace']) allowed.add(f);
  const sortParam = op.parameters.find((p) => p.name === 'sortBy') as unknown as { schema?: { items?: { enum?: string[] } } } | undefined;
  return { allowed, sortBy: sortParam?.schema?.items?.enum };
}

let sb: TargetSandbox;
let exchanges: RecordedExchange[];

/** Exercises every client method once or more, with a 401 refresh and a paged list in the mix. */
async function runWorkload(s: TargetSandbox): Promise<void> {
  const client = s.client({ pageSize: 2 });
  const vip = await client.createAudience({ name: 'vip', description: 'seg_vip', targetRule: { profile: 'seg_vip', equals: ['true'] } });
  const churn = await client.createAudience({ name: 'churn', targetRule: { and: [{ profile: 'seg_churn', equals: ['true'] }, { profile: 'trait_ltv', greater: ['100'] }] } });
  await client.createAudience({ name: 'extra', targetRule: { profile: 'seg_x', equals: ['true'] } });
  await client.listAudiences();
  await client.getAudience(vip.id);
  await client.getAudience(424242);
  await client.updateAudience(churn.id, { name: 'churn', description: 'updated', targetRule: { profile: 'seg_churn', equals: ['true'] } });
  const gold = await client.createContentOffer({ name: 'gold', content: '<b>gold</b>' });
  const plain = await client.createContentOffer({ name: 'plain', content: '<b>plain</b>' });
  await client.updateContentOffer(plain.id, { name: 'plain', content: '<b>plain!</b>' });
  await client.listOffers();
  await client.getContentOffer(gold.id);
  const xt = await client.createActivity('xt', buildXtActivity({ name: 'hero', thirdPartyId: 'cfg/hero', mbox: 'hero', audienceId: vip.id, offerA: gold.id, offerB: plain.id }));
  const ab = await client.createActivity('ab', {
    name: 'split',
    thirdPartyId: 'cfg/split',
    options: [
      { optionLocalId: 0, offerId: gold.id },
      { optionLocalId: 1, offerId: plain.id },
    ],
    locations: { mboxes: [{ locationLocalId: 0, name: 'banner' }] },
    experiences: [
      { experienceLocalId: 0, name: 'A', visitorPercentage: 50, optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
      { experienceLocalId: 1, name: 'B', visitorPercentage: 50, optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
    ],
  });
  await client.listActivities();
  const full = (await client.getActivity('xt', xt.id))!;
  const { id: _i, modifiedAt: _m, createdAt: _c, ...body } = full;
  await client.updateActivity('xt', xt.id, { ...body, priority: 60 });
  await client.setActivityState(xt.id, 'approved');
  await client.setActivityPriority(xt.id, 70);
  await client.setActivitySchedule(xt.id, { startsAt: '2026-01-01T00:00:00Z', endsAt: '2036-01-01T00:00:00Z' });
  await client.setActivityName(xt.id, 'hero (renamed)');
  await client.createActivity('ab', { name: 'bad', unknownField: true }).catch(() => undefined);
  s.emulator.state.revokeTokens();
  await client.getActivity('ab', ab.id);
  await client.deleteActivity('ab', ab.id);

  const [batch] = buildProfileBatches(['seg_vip', 'trait_ltv'], [
    { thirdPartyId: 'crm-1', values: { seg_vip: 'true', trait_ltv: '420' } },
    { thirdPartyId: 'crm-2', values: { seg_vip: 'false' } },
  ]);
  const sub = await client.uploadProfileBatch(batch);
  await client.waitForBatch(sub.statusUrl, { intervalMs: 30 });
  await client.getBatchStatus(sub.batchId);
  await client.getProfile('crm-1');
  await client.getProfile('nobody');
  await client.updateProfile('crm-1', { trait_ltv: '500' });
  await client.deliver('crm-1', 'hero');
  await client.deliver('crm-2', 'hero', { profileParameters: { seg_vip: 'true' }, url: 'https://example.test/' });
  await client.deleteContentOffer(plain.id).catch(() => undefined);
  await client.deleteAudience(churn.id);
}

beforeAll(async () => {
  sb = await startTargetSandbox({ emulator: { batchDelayMs: 50 } });
  await runWorkload(sb);
  exchanges = sb.sandbox.requests;
});
afterAll(async () => {
  await sb?.close();
});

describe('Target contract: Admin API requests and answers', () => {
  const admin = () => exchanges.filter((e) => e.host === 'target-admin');

  it('exercised the API broadly', () => {
    const templates = new Set(admin().map((e) => `${e.method} ${matchTemplate(e.path)}`));
    expect(templates.size).toBeGreaterThanOrEqual(16);
  });

  it('every request names a documented path, method and media type, and its body fits the schema', () => {
    const problems: string[] = [];
    for (const e of admin()) {
      const where = `${e.method} ${e.path}`;
      const template = matchTemplate(e.path);
      if (!template) {
        problems.push(`${where}: no path of admin-api.json matches`);
        continue;
      }
      if (!e.path.startsWith(`/${sb.provider.tenant}/target/`)) problems.push(`${where}: tenant is not the first segment`);
      const op = (adminSpec.paths as Record<string, PathItem>)[template][e.method.toLowerCase()];
      if (!op) {
        problems.push(`${where}: ${template} has no ${e.method}`);
        continue;
      }
      const okStatus = Object.keys(op.responses).find((s) => s.startsWith('2'))!;
      const answerTypes = Object.keys(op.responses[okStatus].content ?? {});
      if (e.body.length > 0) {
        const declared = Object.keys(op.requestBody?.content ?? {});
        const ct = String(e.headers['content-type'] ?? '');
        if (!declared.includes(ct)) problems.push(`${where}: Content-Type ${ct} is not one of ${declared.join(', ')}`);
        const schema = op.requestBody?.content[ct]?.schema;
        if (schema) {
          const v = schemaValidator('admin-closed.json', schema);
          if (!v(JSON.parse(e.body.toString('utf8'))) && !e.body.toString('utf8').includes('unknownField')) {
            problems.push(`${where}: body does not fit ${JSON.stringify(schema)}: ${ajv.errorsText(v.errors)}`);
          }
        }
      } else if (!answerTypes.includes(String(e.headers.accept ?? ''))) {
        problems.push(`${where}: Accept ${String(e.headers.accept)} is not ${answerTypes.join(', ')}`);
      }
      if (!e.headers.authorization?.startsWith('Bearer ') || !e.headers['x-api-key']) problems.push(`${where}: no Bearer token and X-Api-Key`);
      const rules = e.method === 'GET' ? listQueryRules(template) : undefined;
      for (const [k, v] of e.query) {
        if (e.method !== 'GET' || !rules) {
          problems.push(`${where}: unexpected query parameter ${k}`);
          continue;
        }
        if (!rules.allowed.has(k)) problems.push(`${where}: query parameter ${k} is not documented`);
        if (k === 'sortBy' && rules.sortBy && !rules.sortBy.includes(v.replace(/^-/, ''))) problems.push(`${where}: sortBy ${v} is not in ${rules.sortBy.join(',')}`);
        if ((k === 'limit' || k === 'offset') && !/^\d+$/.test(v)) problems.push(`${where}: ${k}=${v} is not an integer`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the client never sent the deliberately unknown field twice, and it was refused with InvalidProperty.Json', () => {
    const bad = admin().filter((e) => e.body.toString('utf8').includes('unknownField'));
    expect(bad).toHaveLength(1);
    expect(bad[0].response?.status).toBe(400);
    expect(JSON.parse(bad[0].response!.body.toString('utf8')).errors[0].errorCode).toBe('InvalidProperty.Json');
  });

  it('every answer has a declared status, media type and a body that fits the schema', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const e of admin()) {
      const r = e.response!;
      const where = `${e.method} ${e.path} → ${r.status}`;
      const body = r.body.length ? JSON.parse(r.body.toString('utf8')) : undefined;
      if (r.status === 401 || r.status === 403) {
        // The Adobe I/O gateway answers these before Target (reference §1), not with ErrorResponse.
        if (typeof body?.error_code !== 'string' || typeof body?.message !== 'string') problems.push(`${where}: not a gateway error body`);
        continue;
      }
      const op = (adminSpec.paths as Record<string, PathItem>)[matchTemplate(e.path)!][e.method.toLowerCase()];
      const declared = op.responses[String(r.status)];
      if (!declared) {
        problems.push(`${where}: status not declared (${Object.keys(op.responses).join(', ')})`);
        continue;
      }
      const [mediaType, content] = Object.entries(declared.content ?? {})[0] ?? [];
      if (mediaType && mediaType !== '*/*' && r.headers['content-type'] !== mediaType) problems.push(`${where}: Content-Type ${r.headers['content-type']} is not ${mediaType}`);
      if (content?.schema) {
        const v = schemaValidator('admin.json', content.schema);
        if (!v(body)) problems.push(`${where}: ${ajv.errorsText(v.errors)}`);
        checked++;
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('list answers carry the envelope and no rules or experiences', () => {
    for (const e of admin().filter((x) => x.method === 'GET' && /\/(audiences|activities|offers)$/.test(x.path) && x.response?.status === 200)) {
      const body = JSON.parse(e.response!.body.toString('utf8'));
      const key = e.path.split('/').pop()!;
      expect(Object.keys(body).sort()).toEqual(['limit', 'offset', 'total', key].sort());
      for (const item of body[key]) {
        expect(item).not.toHaveProperty('targetRule');
        expect(item).not.toHaveProperty('experiences');
        expect(item).not.toHaveProperty('options');
      }
    }
  });
});

describe('Target contract: Delivery API', () => {
  const calls = () => exchanges.filter((e) => e.host === 'target-edge' && e.path === '/rest/v1/delivery');
  const op = (deliverySpec.paths as Record<string, PathItem>)['/rest/v1/delivery'].post;

  it('requests carry the required query parameters and fit the request schema', () => {
    expect(calls().length).toBe(2);
    const validate = ajv.getSchema('delivery.json#/paths/~1rest~1v1~1delivery/post/requestBody/content/application~1json/schema')!;
    for (const e of calls()) {
      expect(e.method).toBe('POST');
      for (const p of op.parameters!.filter((x) => x.required)) expect(e.query.get(p.name), p.name).toBeTruthy();
      expect(e.query.get('client')).toBe(sb.provider.client_code);
      expect(e.headers['content-type']).toBe('application/json');
      const ok = validate(JSON.parse(e.body.toString('utf8')));
      expect(ok, ajv.errorsText(validate.errors)).toBe(true);
    }
  });

  it('answers fit the 200 schema', () => {
    const validate = ajv.getSchema('delivery.json#/paths/~1rest~1v1~1delivery/post/responses/200/content/application~1json/schema')!;
    for (const e of calls()) {
      expect(e.response?.status).toBe(200);
      const ok = validate(JSON.parse(e.response!.body.toString('utf8')));
      expect(ok, ajv.errorsText(validate.errors)).toBe(true);
    }
  });

  it('errors fit the default {status,message} schema', async () => {
    const res = await fetch(`${sb.provider.edge_url}/rest/v1/delivery?client=x&sessionId=s`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const validate = ajv.getSchema('delivery.json#/paths/~1rest~1v1~1delivery/post/responses/default/content/application~1json/schema')!;
    expect(res.status).toBe(400);
    expect(validate(await res.json())).toBe(true);
  });
});

describe('Target contract: IMS and Profile APIs (documented in prose only)', () => {
  it('IMS token requests are client_credentials forms', () => {
    const ims = exchanges.filter((e) => e.host === 'target-ims');
    expect(ims.length).toBeGreaterThanOrEqual(2);
    for (const e of ims) {
      expect(`${e.method} ${e.path}`).toBe('POST /ims/token/v3');
      expect(e.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(e.body.toString('utf8'));
      expect(form.get('grant_type')).toBe('client_credentials');
      expect(form.get('client_id')).toBe(sb.provider.client_id);
      expect(form.get('client_secret')).toBe(sb.provider.client_secret);
      expect(form.get('scope')).toContain('target_sdk');
      expect(JSON.parse(e.response!.body.toString('utf8'))).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
    }
  });

  it('profile calls use the documented paths, parameters and bodies', () => {
    const edge = exchanges.filter((e) => e.host === 'target-edge' && e.path !== '/rest/v1/delivery');
    const client = sb.provider.client_code;
    const kinds = new Set<string>();
    for (const e of edge) {
      if (e.path === `/m2/${client}/v2/profile/batchUpdate`) {
        kinds.add('batch');
        expect(e.method).toBe('POST');
        const text = e.body.toString('utf8');
        expect(text.startsWith('batch=thirdPartyId,')).toBe(true);
        for (const line of text.slice(6).split('\n').slice(1).filter(Boolean)) expect(line.split(',')[0]).not.toMatch(/[+/]/);
        expect(e.response!.body.toString('utf8')).toMatch(/^<response><success>true<\/success><batchStatus>http:\/\/127\.0\.0\.1:\d+\/target\/edge\/m2\//);
      } else if (e.path === `/m2/${client}/profile/batchStatus`) {
        kinds.add('status');
        expect(e.method).toBe('GET');
        expect(e.query.get('batchId')).toBeTruthy();
        expect(e.response!.body.toString('utf8')).toMatch(/<status>(complete|incomplete|stuck)<\/status>/);
      } else if (e.path === `/m2/${client}/profile/update`) {
        kinds.add('update');
        expect(['GET', 'POST']).toContain(e.method);
        expect(e.query.get('mbox3rdPartyId')).toBeTruthy();
        for (const k of e.query.keys()) expect(k === 'mbox3rdPartyId' || k.startsWith('profile.')).toBe(true);
        expect(e.response!.body.toString('utf8')).toBe('trueRequest successfully submitted');
      } else if (e.path.startsWith('/rest/v1/profiles/thirdPartyId/')) {
        kinds.add('fetch');
        expect(e.method).toBe('GET');
        expect(e.query.get('client')).toBe(client);
        const body = JSON.parse(e.response!.body.toString('utf8'));
        if (e.response!.status === 404) {
          expect(body).toEqual({ status: 404, message: `No profile found for client ${client} with third party id=${decodeURIComponent(e.path.split('/').pop()!)}` });
        } else {
          for (const a of Object.values(body.profileAttributes) as Array<{ value: unknown }>) expect(typeof a.value).toBe('string');
        }
      } else {
        throw new Error(`undocumented edge call ${e.method} ${e.path}`);
      }
    }
    expect([...kinds].sort()).toEqual(['batch', 'fetch', 'status', 'update']);
  });
});
