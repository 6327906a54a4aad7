// Sandbox fidelity gaps closed by the audit (docs/sandbox-fidelity.md): confirmed facts the emulators missed and uncertain variants they could not produce.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTargetEmulator, type TargetEmulator } from '../../src/sandbox/adobe-target/index.js';
import { CUSTOMERIO_EMULATOR, startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/types.js';
import { adminHeaders, buildClock, buildContext, buildRequest, callAdmin } from './adobe-target-helpers.js';
import { buildSeed } from '../providers/customerio/helpers.js';

const RULE = { profile: 'seg_vip', equals: ['true'] };

describe('Target Admin: activity state is one of approved, saved, deactivated, deleted (ActivityState enum)', () => {
  let em: TargetEmulator;
  let auth: Record<string, string>;
  beforeEach(async () => {
    em = createTargetEmulator(buildContext());
    auth = await adminHeaders(em);
  });

  it('refuses any other state on the v1 state endpoints and on AB/XT writes', async () => {
    const a = em.state.seedActivity('xt', { name: 'hero', thirdPartyId: 'k1' });
    for (const path of [`/activities/${a.body.id}/state`, `/activities/xt/${a.body.id}/state`]) {
      const bad = await callAdmin(em, auth, 'PUT', path, 1, { state: 'live' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ httpStatus: 400, errors: [{ errorCode: 'InvalidProperty.Json', message: expect.stringContaining('/state') }] });
    }
    expect(em.state.activities()[0].body.state).toBe('saved');
    for (const state of ['approved', 'deactivated', 'saved']) {
      expect((await callAdmin(em, auth, 'PUT', `/activities/${a.body.id}/state`, 1, { state })).body).toMatchObject({ state });
    }
    expect((await callAdmin(em, auth, 'POST', '/activities/xt', 3, { name: 'x', thirdPartyId: 'k2', state: 'running' })).status).toBe(400);
    expect((await callAdmin(em, auth, 'PUT', `/activities/xt/${a.body.id}`, 3, { name: 'hero', thirdPartyId: 'k1', state: 'Approved' })).status).toBe(400);
    expect((await callAdmin(em, auth, 'POST', '/activities/xt', 3, { name: 'x', thirdPartyId: 'k2', state: 'deactivated' })).status).toBe(201);
  });
});

describe('Target Admin: list variants (slate envelope vs admin-api.json envelope, capped pages)', () => {
  const seed = (em: TargetEmulator) => {
    for (let i = 0; i < 7; i++) em.state.seedAudience({ name: `a${i}`, targetRule: RULE });
  };

  it('caps the page size at lists.maxLimit and says so in the envelope', async () => {
    const em = createTargetEmulator(buildContext(), { lists: { maxLimit: 3 } });
    seed(em);
    const res = await callAdmin(em, await adminHeaders(em), 'GET', '/audiences', 3, undefined, { limit: '100', offset: '6' });
    expect(res.body).toMatchObject({ total: 7, offset: 6, limit: 3 });
    expect((res.body as { audiences: unknown[] }).audiences).toHaveLength(1);
    const first = await callAdmin(em, await adminHeaders(em), 'GET', '/audiences', 3, undefined, { limit: '100' });
    expect((first.body as { audiences: unknown[] }).audiences).toHaveLength(3);
  });

  it('answers {total, items} or the items alone when the envelope variant says so', async () => {
    const totalOnly = createTargetEmulator(buildContext(), { lists: { envelope: 'total-only' } });
    seed(totalOnly);
    const a = (await callAdmin(totalOnly, await adminHeaders(totalOnly), 'GET', '/audiences', 3)).body as Record<string, unknown>;
    expect(Object.keys(a).sort()).toEqual(['audiences', 'total']);
    const itemsOnly = createTargetEmulator(buildContext(), { lists: { envelope: 'items-only' } });
    itemsOnly.state.seedOffer({ name: 'o', content: '<b>o</b>' });
    const o = (await callAdmin(itemsOnly, await adminHeaders(itemsOnly), 'GET', '/offers', 2)).body as Record<string, unknown>;
    expect(Object.keys(o)).toEqual(['offers']);
  });
});

describe('Target gateway: per-client-id throttle (rateLimitPerSec)', () => {
  it('answers 429 429050 with an integer Retry-After past the limit, per X-Api-Key, and refills with time', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }), { rateLimitPerSec: 3 });
    const auth = await adminHeaders(em, 'client-a');
    const other = await adminHeaders(em, 'client-b');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await callAdmin(em, auth, 'GET', '/audiences', 3)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await callAdmin(em, auth, 'GET', '/audiences', 3);
    expect(refused.body).toEqual({ error_code: '429050', message: 'Too many requests' });
    expect(refused.headers?.['retry-after']).toMatch(/^[1-9]\d*$/);
    expect((await callAdmin(em, other, 'GET', '/audiences', 3)).status).toBe(200);
    clock.advance(1000);
    expect((await callAdmin(em, auth, 'GET', '/audiences', 3)).status).toBe(200);
    expect(em.state.throttled()).toBe(2);
  });

  it('is off by default', async () => {
    const em = createTargetEmulator(buildContext({ now: buildClock().now }));
    const auth = await adminHeaders(em);
    for (let i = 0; i < 50; i++) expect((await callAdmin(em, auth, 'GET', '/audiences', 3)).status).toBe(200);
  });
});

describe('Target Delivery: profileParameters stored or call-only (storeProfileParameters)', () => {
  async function deliver(em: TargetEmulator, id: string, profileParameters?: Record<string, string>) {
    const res = await em.handle(
      buildRequest('target-edge', 'POST', '/rest/v1/delivery', {
        query: { client: 'acme', sessionId: 's1' },
        headers: { 'content-type': 'application/json' },
        body: { id: { thirdPartyId: id }, context: { channel: 'web' }, execute: { mboxes: [{ index: 0, name: 'hero', ...(profileParameters ? { profileParameters } : {}) }] } },
      }),
    );
    const mbox = (res?.body as { execute: { mboxes: Array<{ options?: Array<{ content: unknown }> }> } }).execute.mboxes[0];
    return mbox.options?.[0]?.content;
  }
  function build(store: boolean) {
    const em = createTargetEmulator(buildContext(), { storeProfileParameters: store });
    const vip = em.state.seedAudience({ name: 'vip', targetRule: RULE });
    const gold = em.state.seedOffer({ name: 'gold', content: 'GOLD' });
    const plain = em.state.seedOffer({ name: 'plain', content: 'PLAIN' });
    em.state.seedActivity('xt', {
      name: 'hero',
      state: 'approved',
      options: [{ optionLocalId: 0, offerId: gold.id }, { optionLocalId: 1, offerId: plain.id }],
      locations: { mboxes: [{ locationLocalId: 0, name: 'hero' }] },
      experiences: [
        { experienceLocalId: 0, name: 'vip', audienceIds: [vip.id], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
        { experienceLocalId: 1, name: 'rest', audienceIds: [], optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
      ],
    });
    return em;
  }

  it('by default the parameters decide that call only', async () => {
    const em = build(false);
    expect(await deliver(em, 'v1', { seg_vip: 'true' })).toBe('GOLD');
    expect(await deliver(em, 'v1')).toBe('PLAIN');
    expect(em.state.profile('v1')).toBeUndefined();
  });

  it('when stored, they also land on the profile and decide later calls', async () => {
    const em = build(true);
    expect(await deliver(em, 'v1', { seg_vip: 'true' })).toBe('GOLD');
    expect(await deliver(em, 'v1')).toBe('GOLD');
    expect(em.state.profile('v1')?.attributes.get('seg_vip')?.value).toBe('true');
    // An empty value is ignored there as everywhere on the edge.
    await deliver(em, 'v1', { seg_vip: '' });
    expect(em.state.profile('v1')?.attributes.get('seg_vip')?.value).toBe('true');
  });
});

describe('sandbox faults: 429 bursts without Retry-After on every host', () => {
  const open: RunningSandbox[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('leaves the header out when burst429.withoutRetryAfter is set, in each host’s envelope', async () => {
    // Request 0 passes, the next 100 are the burst.
    const sb = await startSandbox({ seed: 'none', faults: { burst429: { every: 1, length: 100, retryAfterSec: 1, withoutRetryAfter: true } } });
    open.push(sb);
    expect((await fetch(`${sb.url}/cio/track/api/v1/accounts/region`)).status).toBe(401);
    const c = SANDBOX_CREDENTIALS.customerio;
    const basic = `Basic ${Buffer.from(`${c.site_id}:${c.track_api_key}`).toString('base64')}`;
    const track = await fetch(`${sb.url}/cio/track/api/v1/accounts/region`, { headers: { authorization: basic } });
    expect(track.status).toBe(429);
    expect(track.headers.get('retry-after')).toBeNull();
    expect(await track.json()).toEqual({ meta: { errors: [expect.any(String)] } });
    const admin = await fetch(`${sb.url}/target/admin/sandbox/target/audiences`);
    expect(admin.status).toBe(429);
    expect(admin.headers.get('retry-after')).toBeNull();
    expect(await admin.json()).toEqual({ error_code: '429050', message: 'Too many requests' });
    sb.setFaults({ burst429: { every: 1, length: 100, retryAfterSec: 2, withoutRetryAfter: false } });
    const again = await fetch(`${sb.url}/target/admin/sandbox/target/audiences`);
    expect(again.headers.get('retry-after')).toBe('2');
  });
});

describe('Customer.io exports: the failed outcome (variants.exportFails)', () => {
  const open: RunningSandbox[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('stays pending, then reports failed: true and status "failed", and refuses the download', async () => {
    let t = Date.parse('2026-06-01T12:00:00Z');
    const sb = await startSandbox({ emulators: [CUSTOMERIO_EMULATOR], seed: buildSeed({ people: 5 }), now: () => t });
    open.push(sb);
    sb.customerio!.variants.exportFails = true;
    const headers = { authorization: `Bearer ${SANDBOX_CREDENTIALS.customerio.app_api_key}`, 'content-type': 'application/json' };
    const created = (await (await fetch(`${sb.url}/cio/app/v1/exports/customers`, { method: 'POST', headers, body: JSON.stringify({ filters: { attribute: { field: 'plan', operator: 'exists' } } }) })).json()) as { export: { id: number; failed: boolean; status: string } };
    expect(created.export).toMatchObject({ failed: false, status: 'pending' });
    t += 1000;
    const got = (await (await fetch(`${sb.url}/cio/app/v1/exports/${created.export.id}`, { headers })).json()) as { export: Record<string, unknown> };
    expect(got.export).toMatchObject({ failed: true, status: 'failed' });
    expect((await fetch(`${sb.url}/cio/app/v1/exports/${created.export.id}/download`, { headers })).status).toBe(400);
  });
});
