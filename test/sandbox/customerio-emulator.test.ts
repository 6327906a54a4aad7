// The Customer.io emulator over raw HTTP, checked fact by fact against the reference: auth schemes,
// the 10/s limit, segments (no update), paging, lookups, the filter grammar, exports and Track writes.
import { afterEach, describe, expect, it } from 'vitest';
import { CUSTOMERIO_EMULATOR, startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/types.js';
import { buildSeed, customerId } from '../providers/customerio/helpers.js';

const open: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A manual clock, so rate limits and export timings are exact. */
function buildClock(start = Date.parse('2026-06-01T12:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function start(opts: Parameters<typeof startSandbox>[0] = {}) {
  const clock = buildClock();
  const sb = await startSandbox({
    emulators: [CUSTOMERIO_EMULATOR],
    now: clock.now,
    seed: buildSeed({ people: 1300, segments: [{ id: 1, name: 'Dyn', members: [1, 1200] }, { id: 2, name: 'Man', type: 'manual', members: [1, 3] }] }),
    ...opts,
  });
  open.push(sb);
  // Each call moves the clock 150 ms, so the 10/s bucket never runs dry unless a test wants it to.
  const call = async (path: string, init: { method?: string; auth?: 'app' | 'track' | string; body?: unknown; tick?: number } = {}) => {
    clock.advance(init.tick ?? 150);
    const headers: Record<string, string> = {};
    const c = SANDBOX_CREDENTIALS.customerio;
    if (init.auth === undefined || init.auth === 'app') headers.authorization = `Bearer ${c.app_api_key}`;
    else if (init.auth === 'track') headers.authorization = `Basic ${Buffer.from(`${c.site_id}:${c.track_api_key}`).toString('base64')}`;
    else headers.authorization = init.auth;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${sb.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return { sb, clock, call };
}

const appErrorShape = (status: number) => ({ errors: [{ detail: expect.any(String), status: String(status) }] });

describe('auth', () => {
  it('App API takes Bearer only; Track takes Basic site_id:api_key only', async () => {
    const { call } = await start();
    const basic = `Basic ${Buffer.from('sandbox-site:sandbox-cio-track-key').toString('base64')}`;
    const appWithBasic = await call('/cio/app/v1/segments', { auth: basic });
    expect(appWithBasic.status).toBe(401);
    expect(appWithBasic.json).toEqual(appErrorShape(401));
    expect((await call('/cio/app/v1/segments', { auth: 'Bearer wrong' })).status).toBe(401);
    const trackWithBearer = await call('/cio/track/api/v1/accounts/region', { auth: `Bearer ${SANDBOX_CREDENTIALS.customerio.app_api_key}` });
    expect(trackWithBearer.status).toBe(401);
    expect(trackWithBearer.text).toBe('');
    expect((await call('/cio/track/api/v1/accounts/region', { auth: 'track' })).json).toEqual({ url: 'https://track.customer.io', region: 'us', environment_id: 3 });
  });
});

describe('rate limit', () => {
  it('answers the 11th request within a second 429 with an integer Retry-After >= 1 and the documented body', async () => {
    const { call, sb } = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await call('/cio/app/v1/segments', { tick: 10 })).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    const limited = await call('/cio/app/v1/segments', { tick: 0 });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(limited.json.errors[0]).toEqual({ detail: expect.stringMatching(/^rate limited to 10 requests per 1s \(reference [0-9a-f]+\)$/), status: '429' });
    expect(sb.customerio!.rateLimited).toBe(2);
    // Track is not limited by the App bucket.
    expect((await call('/cio/track/api/v1/accounts/region', { auth: 'track', tick: 0 })).status).toBe(200);
  });
});

describe('segments', () => {
  it('returns every documented field; creates only manual segments; has no update endpoint', async () => {
    const { call } = await start();
    const created = await call('/cio/app/v1/segments', { method: 'POST', body: { segment: { name: 'New', description: 'd' } } });
    expect(created.status).toBe(200);
    expect(created.json.segment).toEqual({
      id: 3,
      deduplicate_id: expect.stringMatching(/^3:\d+$/),
      name: 'New',
      description: 'd',
      state: 'events',
      progress: null,
      type: 'manual',
      tags: null,
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
    });
    expect((await call('/cio/app/v1/segments/3', { tick: 2000 })).json.segment.state).toBe('finished');
    for (const method of ['PUT', 'PATCH']) {
      const r = await call('/cio/app/v1/segments/3', { method, body: { segment: { name: 'Renamed' } } });
      expect(r.status).toBe(404);
      expect(r.json).toEqual(appErrorShape(404));
    }
    expect((await call('/cio/app/v1/segments', { method: 'POST', body: { segment: {} } })).status).toBe(400);
    expect((await call('/cio/app/v1/segments', { method: 'POST', body: '{not json' })).json).toEqual(appErrorShape(400));
    expect((await call('/cio/app/v1/segments', { method: 'POST', body: { name: 'flat' } })).status).toBe(400);
  });

  it('deletes manual segments with 204 and no body; a data-driven or unknown id is 404', async () => {
    const { call } = await start();
    const del = await call('/cio/app/v1/segments/2', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await call('/cio/app/v1/segments/2', { method: 'DELETE' })).status).toBe(404);
    expect((await call('/cio/app/v1/segments/1', { method: 'DELETE' })).json).toEqual(appErrorShape(404));
    expect((await call('/cio/app/v1/segments/abc')).status).toBe(404);
  });

  it('answers count and used_by', async () => {
    const { call } = await start();
    expect((await call('/cio/app/v1/segments/1/customer_count')).json).toEqual({ segment_id: 1, count: 1200 });
    expect((await call('/cio/app/v1/segments/1/used_by')).json).toEqual({ segment_id: 1, used_by: { campaigns: [], sent_newsletters: [], draft_newsletters: [] } });
    expect((await call('/cio/app/v1/segments/99/customer_count')).status).toBe(404);
  });
});

describe('membership paging', () => {
  it('defaults to 1000 a page, returns ids and identifiers, and an opaque next', async () => {
    const { call } = await start();
    const first = await call('/cio/app/v1/segments/1/membership');
    expect(first.json.ids).toHaveLength(1000);
    expect(first.json.identifiers[0]).toEqual({ id: customerId(1), email: 'person1@example.com', cio_id: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(first.json.next).toEqual(expect.any(String));
    const second = await call(`/cio/app/v1/segments/1/membership?start=${encodeURIComponent(first.json.next)}`);
    expect(second.json.ids).toHaveLength(200);
    expect(second.json.next).toBe('');
    expect((await call('/cio/app/v1/segments/1/membership?start=garbage')).status).toBe(400);
    expect((await call('/cio/app/v1/segments/1/membership?limit=0')).status).toBe(400);
    // A token of one segment does not page another.
    expect((await call(`/cio/app/v1/segments/2/membership?start=${encodeURIComponent(first.json.next)}`)).status).toBe(400);
  });

  it('can leave next out on the last page', async () => {
    const { call } = await start({ faults: { lastPageNext: 'absent' } });
    const only = await call('/cio/app/v1/segments/2/membership');
    expect(only.json).toEqual({ segment_id: 2, ids: [customerId(1), customerId(2), customerId(3)], identifiers: expect.any(Array) });
  });
});

describe('people', () => {
  it('looks people up by id, email (case-insensitive) or cio_ path identifiers; attribute values are strings', async () => {
    const { call } = await start();
    const byId = await call(`/cio/app/v1/customers/${customerId(3)}/attributes`);
    expect(byId.json.customer.attributes).toMatchObject({ id: customerId(3), email: 'person3@example.com', plan: 'pro', lifetime_value: '30', vip: 'false' });
    const cio = byId.json.customer.identifiers.cio_id as string;
    expect((await call('/cio/app/v1/customers/PERSON3@example.com/attributes?id_type=email')).json.customer.id).toBe(customerId(3));
    expect((await call(`/cio/app/v1/customers/cio_${cio}/attributes?id_type=cio_id`)).status).toBe(200);
    expect((await call(`/cio/app/v1/customers/${cio}/attributes?id_type=cio_id`)).status).toBe(404);
    expect((await call('/cio/app/v1/customers/%2B15551234567/attributes?id_type=phone')).status).toBe(400);
    expect((await call('/cio/app/v1/customers/nobody/attributes')).json).toEqual(appErrorShape(404));
    expect((await call('/cio/app/v1/customers?email=Person4%40example.com')).json).toEqual({ results: [{ email: 'person4@example.com', id: customerId(4), cio_id: expect.any(String) }] });
    expect((await call('/cio/app/v1/customers?email=none%40example.com')).json).toEqual({ results: [] });
    expect((await call(`/cio/app/v1/customers/${customerId(2)}/segments`)).json).toEqual({ segments: [{ id: 1, name: 'Dyn', description: '' }, { id: 2, name: 'Man', description: '' }] });
  });

  it('reads attributes of 1 to 100 ids; unknown ids are left out', async () => {
    const { call } = await start();
    const ok = await call('/cio/app/v1/customers/attributes', { method: 'POST', body: { ids: [customerId(1), 'ghost'] } });
    expect(ok.json.customers).toHaveLength(1);
    expect(ok.json.customers[0].customer.id).toBe(customerId(1));
    expect((await call('/cio/app/v1/customers/attributes', { method: 'POST', body: { ids: [] } })).json).toEqual(appErrorShape(400));
    const many = Array.from({ length: 101 }, (_, i) => customerId(i + 1));
    expect((await call('/cio/app/v1/customers/attributes', { method: 'POST', body: { ids: many } })).status).toBe(400);
  });

  it('emails are 400 as id_type when the workspace does not use them as identifiers', async () => {
    const { call, sb } = await start();
    sb.customerio!.variants.emailIdentifier = false;
    expect((await call('/cio/app/v1/customers/person1@example.com/attributes?id_type=email')).status).toBe(400);
    expect((await call('/cio/app/v1/segments/2/membership')).json.identifiers[0]).toEqual({ id: customerId(1), cio_id: expect.any(String) });
  });
});

describe('search filter grammar', () => {
  it('evaluates and/or/not/segment/attribute eq|exists with exactly one key per level', async () => {
    const { call } = await start();
    const search = (filter: unknown, q = '') => call(`/cio/app/v1/customers${q}`, { method: 'POST', body: { filter } });
    const pro = await search({ and: [{ attribute: { field: 'plan', operator: 'eq', value: 'pro' } }, { segment: { id: 2 } }] });
    expect(pro.json).toEqual({ identifiers: [{ id: customerId(3), email: 'person3@example.com', cio_id: expect.any(String) }], ids: [customerId(3)], next: '' });
    const notDyn = await search({ not: { segment: { id: 1 } } }, '?limit=1000');
    expect(notDyn.json.ids).toHaveLength(100);
    const or = await search({ or: [{ attribute: { field: 'vip', operator: 'eq', value: 'true' } }, { attribute: { field: 'email', operator: 'eq', value: 'person1@example.com' } }] });
    expect(or.json.ids).toHaveLength(50);
    expect(or.json.next).not.toBe('');
    const exists = await search({ attribute: { field: 'plan', operator: 'exists' } }, '?limit=5000');
    expect(exists.json.ids).toHaveLength(1000);
    for (const bad of [
      { and: [], or: [] },
      { attribute: { field: 'lifetime_value', operator: 'gt', value: '10' } },
      { attribute: { field: 'lifetime_value', operator: 'eq', value: 10 } },
      { not: [{ segment: { id: 1 } }] },
      { segment: { id: '1' } },
    ]) {
      const r = await search(bad);
      expect(r.status).toBe(400);
      expect(r.json).toEqual(appErrorShape(400));
    }
  });
});

describe('exports', () => {
  it('lists null when empty, runs asynchronously, and links a CSV valid for 15 minutes', async () => {
    const { call, clock } = await start();
    expect((await call('/cio/app/v1/exports')).json).toEqual({ exports: null });
    expect((await call('/cio/app/v1/exports/customers', { method: 'POST', body: { filter: { segment: { id: 2 } } } })).status).toBe(400);
    const created = await call('/cio/app/v1/exports/customers', { method: 'POST', body: { filters: { and: [{ segment: { id: 2 } }] }, attributes: ['plan'] } });
    expect(created.status).toBe(200);
    const id = created.json.export.id;
    expect(created.json.export).toMatchObject({ type: 'customers', failed: false, deduplicate_id: `${id}:${created.json.export.updated_at}` });
    expect(created.json.export.status).not.toBe('done');
    expect((await call(`/cio/app/v1/exports/${id}/download`, { tick: 0 })).status).toBe(400);
    expect((await call(`/cio/app/v1/exports/${id}`, { tick: 500 })).json.export).toMatchObject({ status: 'done', total: 3 });
    const link = await call(`/cio/app/v1/exports/${id}/download`);
    expect(link.json).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/cio\/app\/sandbox-files\/exports\/.+\.csv\?expires=\d+&signature=/) });
    const file = await fetch(link.json.url);
    expect(file.status).toBe(200);
    expect((await file.text()).split('\n')[0]).toBe('cio_id,id,email,plan');
    expect((await call('/cio/app/v1/exports')).json.exports).toHaveLength(1);
    expect((await call('/cio/app/v1/exports/999')).status).toBe(404);
    clock.advance(15 * 60_000 + 1000);
    expect((await fetch(link.json.url)).status).toBe(403);
  });
});

describe('Track writes', () => {
  it('adds and removes 1 to 1000 ids on manual segments only, with the old error envelope', async () => {
    const { call, sb } = await start();
    const add = (seg: number, ids: unknown, q = '') => call(`/cio/track/api/v1/segments/${seg}/add_customers${q}`, { method: 'POST', auth: 'track', body: { ids } });
    const ok = await add(2, [customerId(10), 'ghost', customerId(11)]);
    expect([ok.status, ok.json]).toEqual([200, {}]);
    expect(sb.customerio!.state.segments.find((s) => s.id === 2)!.members).toHaveLength(5);
    for (const bad of [[], Array.from({ length: 1001 }, (_, i) => customerId(i + 1))]) {
      const r = await add(2, bad);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ meta: { errors: [expect.any(String)] } });
    }
    const dyn = await add(1, [customerId(1250)]);
    expect(dyn.status).toBe(400);
    expect(dyn.json.meta.errors[0]).toMatch(/data-driven/);
    // Values that do not match id_type are ignored.
    await add(2, [customerId(20), 'person21@example.com'], '?id_type=email');
    const members = sb.customerio!.state.segments.find((s) => s.id === 2)!.members;
    expect(members).toHaveLength(6);
    const rm = await call('/cio/track/api/v1/segments/2/remove_customers', { method: 'POST', auth: 'track', body: { ids: [customerId(1), customerId(10)] } });
    expect(rm.status).toBe(200);
    expect(sb.customerio!.state.segments.find((s) => s.id === 2)!.members).toHaveLength(4);
  });

  it('can auto-create unknown people on add (an uncertain behaviour)', async () => {
    const { call, sb } = await start();
    sb.customerio!.variants.autoCreateOnAdd = true;
    await call('/cio/track/api/v1/segments/2/add_customers', { method: 'POST', auth: 'track', body: { ids: ['brand_new'] } });
    expect(sb.customerio!.state.people.some((p) => p.id === 'brand_new')).toBe(true);
  });

  it('identify creates or updates a person; _update never creates; unknown cio_ is dropped', async () => {
    const { call, sb } = await start();
    const put = (id: string, body: unknown) => call(`/cio/track/api/v1/customers/${encodeURIComponent(id)}`, { method: 'PUT', auth: 'track', body });
    expect((await put('fresh_1', { email: 'Fresh@Example.com', created_at: 1700000000, plan: 'gold', n: 3, flag: false })).json).toEqual({});
    const p = sb.customerio!.state.people.find((x) => x.id === 'fresh_1')!;
    expect(p.attributes).toMatchObject({ plan: 'gold', n: '3', flag: 'false', created_at: '1700000000', email: 'Fresh@Example.com' });
    await put('fresh@example.com', { plan: 'silver' });
    expect(p.attributes.plan).toBe('silver');
    const before = sb.customerio!.state.people.length;
    await put('nobody_yet', { _update: true, plan: 'x' });
    await put('cio_ffffffff', { plan: 'x' });
    expect(sb.customerio!.state.people.length).toBe(before);
    expect((await put('fresh_1', '[1,2]')).status).toBe(400);
    expect((await put('fresh_1', { long: 'x'.repeat(1001) })).status).toBe(400);
  });
});
