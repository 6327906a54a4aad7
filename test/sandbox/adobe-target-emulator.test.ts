// The Target emulator in-process (handle() without HTTP): versioning, validation, lists, edge, delivery.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTargetEmulator, type TargetEmulator } from '../../src/sandbox/adobe-target/index.js';
import { adminHeaders, buildClock, buildContext, buildRequest, callAdmin, V } from './adobe-target-helpers.js';

const RULE = { profile: 'seg_vip', equals: ['true'] };

describe('Target emulator: IMS and gateway', () => {
  it('issues a token whose lifetime is tokenTtlSec and rejects it once expired', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }, { tokenTtlSec: 60 }));
    const res = await em.handle(
      buildRequest('target-ims', 'POST', '/ims/token/v3', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=cid&client_secret=secret',
      }),
    );
    expect(res?.status).toBe(200);
    const body = res?.body as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe(60);
    const auth = { authorization: `Bearer ${body.access_token}`, 'x-api-key': 'cid' };
    expect((await callAdmin(em, auth, 'GET', '/audiences', 3)).status).toBe(200);
    clock.advance(61_000);
    const expired = await callAdmin(em, auth, 'GET', '/audiences', 3);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error_code: '401013', message: 'Oauth token is not valid' });
  });

  it('answers 403003 when X-Api-Key is not the client id of the token', async () => {
    const em = createTargetEmulator(buildContext());
    const auth = await adminHeaders(em, 'cid');
    const res = await callAdmin(em, { ...auth, 'x-api-key': 'other' }, 'GET', '/audiences', 3);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error_code: '403003', message: 'Api Key is invalid' });
  });

  it('refuses a wrong grant type and, when configured, wrong credentials', async () => {
    const em = createTargetEmulator(buildContext(), { credentials: { clientId: 'cid', clientSecret: 'right' } });
    const form = (b: string) =>
      em.handle(buildRequest('target-ims', 'POST', '/ims/token/v3', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: b }));
    expect((await form('grant_type=password&client_id=cid&client_secret=right'))?.status).toBe(400);
    expect((await form('grant_type=client_credentials&client_id=cid&client_secret=wrong'))?.status).toBe(401);
    expect((await form('grant_type=client_credentials&client_id=cid&client_secret=right'))?.status).toBe(200);
  });
});

describe('Target emulator: Admin API', () => {
  let em: TargetEmulator;
  let auth: Record<string, string>;
  beforeEach(async () => {
    em = createTargetEmulator(buildContext());
    auth = await adminHeaders(em);
  });

  it('creates an audience with 201 (or 200 when createStatus says so) and lists it without targetRule', async () => {
    const created = await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'vip', targetRule: RULE });
    expect(created.status).toBe(201);
    expect(created.headers?.['content-type']).toBe(V(3));
    const a = created.body as { id: number; targetRule: unknown; origin: string };
    expect(a.targetRule).toEqual(RULE);
    expect(a.origin).toBe('target');
    const list = await callAdmin(em, auth, 'GET', '/audiences', 3);
    const body = list.body as { total: number; offset: number; limit: number; audiences: Array<Record<string, unknown>> };
    expect(body).toMatchObject({ total: 1, offset: 0, limit: 2147483647 });
    expect(body.audiences[0].id).toBe(a.id);
    expect(body.audiences[0]).not.toHaveProperty('targetRule');

    const em200 = createTargetEmulator(buildContext({}, { createStatus: 200 }));
    const auth200 = await adminHeaders(em200);
    expect((await callAdmin(em200, auth200, 'POST', '/audiences', 3, { name: 'vip', targetRule: RULE })).status).toBe(200);
  });

  it('enforces media-type versions: 406 Unsupported.Feature on a wrong or missing version, 415 on a non-JSON type', async () => {
    const v1 = await callAdmin(em, auth, 'POST', '/audiences', 1, { name: 'x', targetRule: RULE });
    expect(v1.status).toBe(406);
    expect((v1.body as { errors: Array<{ errorCode: string; message: string }> }).errors[0]).toEqual({
      errorCode: 'Unsupported.Feature',
      message: 'Unsupported features detected',
    });
    const noVersion = await em.handle(buildRequest('target-admin', 'GET', '/acme/target/audiences', { headers: { ...auth, accept: 'application/json' } }));
    expect(noVersion?.status).toBe(406);
    const offersV3 = await callAdmin(em, auth, 'GET', '/offers', 3);
    expect(offersV3.status).toBe(406);
    expect((await callAdmin(em, auth, 'GET', '/offers', 2)).status).toBe(200);
    const xml = await em.handle(
      buildRequest('target-admin', 'POST', '/acme/target/audiences', { headers: { ...auth, 'content-type': 'text/xml' }, body: '<a/>' }),
    );
    expect(xml?.status).toBe(415);
    const body = xml?.body as { httpStatus: number; requestId: string; requestTime: string };
    expect(body.httpStatus).toBe(415);
    expect(typeof body.requestId).toBe('string');
  });

  it('rejects unknown body fields with InvalidProperty.Json naming the field', async () => {
    const res = await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'x', targetRule: RULE, colour: 'red' });
    expect(res.status).toBe(400);
    expect((res.body as { errors: unknown[] }).errors[0]).toEqual({
      errorCode: 'InvalidProperty.Json',
      message: "Invalid Json. Unrecognized property name 'colour'.",
    });
    const offer = em.state.seedOffer({ name: 'o', content: '<p/>' });
    const act = await callAdmin(em, auth, 'POST', '/activities/ab', 3, {
      name: 'a',
      options: [{ optionLocalId: 0, offerId: offer.id }],
      successCriteria: [],
    });
    expect((act.body as { errors: Array<{ message: string }> }).errors[0].message).toBe("Invalid Json. Unrecognized property name 'successCriteria'.");
    const nested = await callAdmin(em, auth, 'POST', '/activities/xt', 3, { name: 'a', experiences: [{ experienceLocalId: 0, colour: 1 }] });
    expect((nested.body as { errors: Array<{ message: string }> }).errors[0].message).toContain("'colour'");
  });

  it('validates targetRule: unknown evaluators, both rule kinds, no rule', async () => {
    const unknown = await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'x', targetRule: { profile: 'a', notEquals: ['1'] } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("unknown evaluator 'notEquals'");
    const nested = await callAdmin(em, auth, 'POST', '/audiences', 3, {
      name: 'x',
      targetRule: { and: [RULE, { not: { profile: 'b', greaterEquals: ['3'] } }, { or: [{ profile: 'c', exists: ['x'] }] }] },
    });
    expect(nested.status).toBe(400);
    const both = await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'x', targetRule: RULE, audienceRule: { restRuleOperator: 'AND', rules: [] } });
    expect(both.status).toBe(400);
    expect((await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'x' })).status).toBe(400);
    const good = await callAdmin(em, auth, 'POST', '/audiences', 3, {
      name: 'x',
      targetRule: { and: [RULE, { not: { profile: 'b', greaterEquals: ['3'] } }, { geo: 'region', matches: ['california'] }] },
    });
    expect(good.status).toBe(201);
  });

  it('PATCHes, PUTs and DELETEs audiences; DELETE echoes the object', async () => {
    const a = (await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'x', description: 'd', targetRule: RULE })).body as { id: number };
    const patched = await callAdmin(em, auth, 'PATCH', `/audiences/${a.id}`, 3, { name: 'y' });
    expect(patched.body).toMatchObject({ id: a.id, name: 'y', description: 'd', targetRule: RULE });
    const put = await callAdmin(em, auth, 'PUT', `/audiences/${a.id}`, 3, { name: 'z', targetRule: RULE });
    expect(put.body).not.toHaveProperty('description');
    const del = await callAdmin(em, auth, 'DELETE', `/audiences/${a.id}`, 3);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: a.id, name: 'z' });
    expect((await callAdmin(em, auth, 'GET', `/audiences/${a.id}`, 3)).status).toBe(404);
  });

  it('pages and sorts lists with limit, offset and multi sortBy', async () => {
    for (const [i, name] of ['b', 'a', 'c', 'a'].entries()) em.state.seedAudience({ name, targetRule: RULE, description: String(i) });
    const page = await callAdmin(em, auth, 'GET', '/audiences', 3, undefined, { limit: '2', offset: '1', sortBy: ['name', '-id'] });
    const body = page.body as { total: number; offset: number; limit: number; audiences: Array<{ name: string; description: string }> };
    expect(body).toMatchObject({ total: 4, offset: 1, limit: 2 });
    // sorted: a(desc id: "3"), a("1"), b, c → page [a("1"), b]
    expect(body.audiences.map((a) => `${a.name}${a.description}`)).toEqual(['a1', 'b0']);
    expect((await callAdmin(em, auth, 'GET', '/audiences', 3, undefined, { sortBy: 'colour' })).status).toBe(400);
    expect((await callAdmin(em, auth, 'GET', '/audiences', 3, undefined, { limit: '-1' })).status).toBe(400);
  });

  it('runs the activity lifecycle: create, unique thirdPartyId, references, v1 settings, full PUT, delete', async () => {
    const audience = em.state.seedAudience({ name: 'vip', targetRule: RULE });
    const offer = em.state.seedOffer({ name: 'gold', content: '<b>gold</b>' });
    const body = {
      name: 'hero',
      thirdPartyId: 'cfg/hero',
      priority: 50,
      options: [{ optionLocalId: 0, offerId: offer.id }],
      locations: { mboxes: [{ locationLocalId: 0, name: 'hero' }] },
      experiences: [{ experienceLocalId: 0, name: 'Gold', audienceIds: [audience.id], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] }],
      metrics: [{ metricLocalId: 32767, name: 'primary', conversion: true, action: { type: 'count_once' }, mboxes: [{ name: 'order', successEvent: 'mbox_shown' }] }],
    };
    const created = await callAdmin(em, auth, 'POST', '/activities/xt', 3, body);
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    expect(created.body).toMatchObject({ state: 'saved', priority: 50, thirdPartyId: 'cfg/hero' });
    expect((await callAdmin(em, auth, 'POST', '/activities/xt', 3, body)).status).toBe(400);
    expect((await callAdmin(em, auth, 'POST', '/activities/xt', 3, { ...body, thirdPartyId: 'x', options: [{ optionLocalId: 0, offerId: 1 }] })).status).toBe(400);
    expect((await callAdmin(em, auth, 'GET', `/activities/ab/${id}`, 3)).status).toBe(404);

    const list = (await callAdmin(em, auth, 'GET', '/activities', 3)).body as { activities: Array<Record<string, unknown>> };
    expect(list.activities[0]).toMatchObject({ id, type: 'xt', state: 'saved' });
    expect(list.activities[0]).not.toHaveProperty('experiences');
    expect(list.activities[0]).not.toHaveProperty('options');

    const state = await callAdmin(em, auth, 'PUT', `/activities/${id}/state`, 1, { state: 'approved' });
    expect(state.body).toMatchObject({ id, state: 'approved', thirdPartyId: 'cfg/hero' });
    expect((await callAdmin(em, auth, 'PUT', `/activities/${id}/state`, 3, { state: 'approved' })).status).toBe(406);
    expect((await callAdmin(em, auth, 'PUT', `/activities/xt/${id}/priority`, 1, { priority: 1000 })).status).toBe(400);
    expect((await callAdmin(em, auth, 'PUT', `/activities/xt/${id}/priority`, 1, { priority: 999 })).body).toMatchObject({ priority: 999 });
    expect((await callAdmin(em, auth, 'PUT', `/activities/ab/${id}/priority`, 1, { priority: 9 })).status).toBe(404);
    const sched = await callAdmin(em, auth, 'PUT', `/activities/${id}/schedule`, 1, { startsAt: '2017-05-01T08:00Z', endsAt: '2037-09-01T07:59:59Z' });
    expect(sched.body).toMatchObject({ startsAt: '2017-05-01T08:00:00Z', endsAt: '2037-09-01T07:59:59Z' });
    expect((await callAdmin(em, auth, 'PUT', `/activities/${id}/name`, 1, { name: 'hero 2' })).body).toMatchObject({ name: 'hero 2' });

    const replaced = await callAdmin(em, auth, 'PUT', `/activities/xt/${id}`, 3, { name: 'hero 3', thirdPartyId: 'cfg/hero' });
    expect(replaced.body).toMatchObject({ name: 'hero 3', state: 'saved', priority: 5 });
    expect(replaced.body).not.toHaveProperty('experiences');
    const deleted = await callAdmin(em, auth, 'DELETE', `/activities/xt/${id}`, 3);
    expect(deleted.body).toMatchObject({ id, state: 'deleted' });
    expect((await callAdmin(em, auth, 'GET', `/activities/xt/${id}`, 3)).status).toBe(404);
  });

  it('mints a profile_api token with 201', async () => {
    const res = await em.handle(
      buildRequest('target-admin', 'POST', '/acme/target/authentication/token', {
        headers: { ...auth, accept: V(1) },
        query: { authorizationScope: 'profile_api' },
      }),
    );
    expect(res?.status).toBe(201);
    expect(res?.body).toMatchObject({ tokenType: 'bearer', scope: 'profile_api', expiresIn: 7775999 });
  });
});

describe('Target emulator: edge', () => {
  it('processes bulk batches asynchronously, ignores empty values and creates profiles (v2)', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }), { batchDelayMs: 1000 });
    const csv = 'batch=thirdPartyId,seg_vip,trait_city\ncrm-1,true,New%20York\ncrm-2,false,\nbad%2Fid,true,x\n';
    const res = await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/v2/profile/batchUpdate', { body: csv }));
    expect(res?.status).toBe(200);
    const xml = String(res?.body);
    expect(xml).toContain('<success>true</success>');
    const url = /<batchStatus>(.*)<\/batchStatus>/.exec(xml)![1];
    expect(url.startsWith('http://127.0.0.1:4010/target/edge/m2/acme/profile/batchStatus?batchId=')).toBe(true);
    const batchId = new URL(url).searchParams.get('batchId')!;
    const status = async () =>
      String((await em.handle(buildRequest('target-edge', 'GET', '/m2/acme/profile/batchStatus', { query: { batchId, showDetails: 'true' } })))?.body);
    expect(await status()).toContain('<status>incomplete</status>');
    expect(em.state.profile('crm-1')).toBeUndefined();
    clock.advance(1000);
    const done = await status();
    expect(done).toContain('<status>complete</status>');
    expect(done).toContain('<batchSize>3</batchSize>');
    expect(done).toContain('<successfulUpdates>2</successfulUpdates>');
    expect(done).toContain('<failedUpdates>1</failedUpdates>');
    expect(em.state.profile('crm-1')?.attributes.get('trait_city')?.value).toBe('New York');

    // crm-1 leaves the segment with an explicit "false"; an empty city leaves the old value.
    await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/v2/profile/batchUpdate', { body: 'batch=thirdPartyId,seg_vip,trait_city\ncrm-1,false,\n' }));
    clock.advance(1000);
    const p = em.state.profile('crm-1')!;
    expect(p.attributes.get('seg_vip')?.value).toBe('false');
    expect(p.attributes.get('trait_city')?.value).toBe('New York');
  });

  it('v1 batches and single updates never create profiles', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }), { batchDelayMs: 10 });
    await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/profile/batchUpdate', { body: 'batch=thirdPartyId,a\nnew-1,1\n' }));
    clock.advance(10);
    expect(em.state.profile('new-1')).toBeUndefined();
    const single = await em.handle(buildRequest('target-edge', 'GET', '/m2/acme/profile/update', { query: { mbox3rdPartyId: 'new-2', 'profile.a': '1' } }));
    expect(single?.body).toBe('trueRequest successfully submitted');
    expect(em.state.profile('new-2')).toBeUndefined();
    em.state.putProfile('old', { a: '0' });
    await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/profile/update', { query: { mbox3rdPartyId: 'old', 'profile.a': '1' } }));
    expect(em.state.profile('old')?.attributes.get('a')?.value).toBe('1');
  });

  it('fetches a profile by thirdPartyId with string values, and 404s with the documented message', async () => {
    const em = createTargetEmulator(buildContext());
    em.state.putProfile('crm-1', { ltv: '420' });
    const res = await em.handle(buildRequest('target-edge', 'GET', '/rest/v1/profiles/thirdPartyId/crm-1', { query: { client: 'acme' } }));
    expect(res?.body).toMatchObject({ client: 'acme', visitorId: 'crm-1', profileAttributes: { ltv: { value: '420' } } });
    const missing = await em.handle(buildRequest('target-edge', 'GET', '/rest/v1/profiles/thirdPartyId/nobody', { query: { client: 'acme' } }));
    expect(missing?.status).toBe(404);
    expect(missing?.body).toEqual({ status: 404, message: 'No profile found for client acme with third party id=nobody' });
  });

  it('rejects oversized batches and marks some batches stuck when stuckBatchRate is set', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }, { stuckBatchRate: 1 }), { batchDelayMs: 10 });
    const rows = ['batch=thirdPartyId,a'];
    for (let i = 0; i < 500_001; i++) rows.push(`i${i},1`);
    const big = await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/v2/profile/batchUpdate', { body: rows.join('\n') }));
    expect(big?.status).toBe(400);
    expect(String(big?.body)).toContain('<success>false</success>');
    await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/v2/profile/batchUpdate', { body: 'batch=thirdPartyId,a\nx,1\n' }));
    clock.advance(10);
    em.state.applyDueUpdates();
    expect(em.state.batches().map((b) => b.status)).toEqual(['stuck']);
    expect(em.state.profile('x')).toBeUndefined();
  });

  it('requires the profile token when authentication is on', async () => {
    const em = createTargetEmulator(buildContext(), { requireProfileAuth: true });
    em.state.putProfile('crm-1', { a: '1' });
    const get = (h: Record<string, string>) =>
      em.handle(buildRequest('target-edge', 'GET', '/rest/v1/profiles/thirdPartyId/crm-1', { query: { client: 'acme' }, headers: h }));
    expect((await get({}))?.status).toBe(401);
    const auth = await adminHeaders(em);
    const tok = await em.handle(
      buildRequest('target-admin', 'POST', '/acme/target/authentication/token', { headers: { ...auth, accept: V(1) }, query: { authorizationScope: 'profile_api' } }),
    );
    const token = (tok?.body as { accessToken: string }).accessToken;
    expect((await get({ authorization: `Bearer ${token}` }))?.status).toBe(200);
  });
});

describe('Target emulator: delivery', () => {
  function seedHero(em: TargetEmulator) {
    const vip = em.state.seedAudience({ name: 'vip', targetRule: RULE });
    const rich = em.state.seedAudience({ name: 'rich', targetRule: { profile: 'ltv', greater: ['100'] } });
    const gold = em.state.seedOffer({ name: 'gold', content: '<b>gold</b>' });
    const silver = em.state.seedOffer({ name: 'silver', content: '<b>silver</b>' });
    const plain = em.state.seedOffer({ name: 'plain', content: '<b>plain</b>' });
    const xt = em.state.seedActivity('xt', {
      name: 'hero',
      state: 'approved',
      priority: 10,
      options: [
        { optionLocalId: 0, offerId: gold.id },
        { optionLocalId: 1, offerId: silver.id },
        { optionLocalId: 2, offerId: plain.id },
      ],
      locations: { mboxes: [{ locationLocalId: 0, name: 'hero' }] },
      experiences: [
        { experienceLocalId: 0, name: 'vip', audienceIds: [vip.id], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
        { experienceLocalId: 1, name: 'rich', audienceIds: [rich.id], optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
        { experienceLocalId: 2, name: 'all', audienceIds: [], optionLocations: [{ locationLocalId: 0, optionLocalId: 2 }] },
      ],
    });
    return { xt, gold, silver, plain };
  }

  async function deliver(em: TargetEmulator, id: string, mbox: string, profileParameters?: Record<string, string>) {
    const res = await em.handle(
      buildRequest('target-edge', 'POST', '/rest/v1/delivery', {
        query: { client: 'acme', sessionId: 's1' },
        headers: { 'content-type': 'application/json' },
        body: { id: { thirdPartyId: id }, context: { channel: 'web' }, execute: { mboxes: [{ index: 0, name: mbox, ...(profileParameters ? { profileParameters } : {}) }] } },
      }),
    );
    return res as { status: number; body: { execute: { mboxes: Array<{ options?: Array<{ content: string; responseTokens: Record<string, string> }> }> } } };
  }

  it('serves the first matching XT experience and switches when the profile changes', async () => {
    const em = createTargetEmulator(buildContext());
    const { xt } = seedHero(em);
    em.state.putProfile('p1', { seg_vip: 'true', ltv: '500' });
    const first = await deliver(em, 'p1', 'hero');
    expect(first.status).toBe(200);
    expect(first.body.execute.mboxes[0].options?.[0].content).toBe('<b>gold</b>');
    expect(first.body.execute.mboxes[0].options?.[0].responseTokens['activity.id']).toBe(String(xt.body.id));
    em.state.putProfile('p1', { seg_vip: 'false' });
    expect((await deliver(em, 'p1', 'hero')).body.execute.mboxes[0].options?.[0].content).toBe('<b>silver</b>');
    // numeric comparison: "90" < "100" numerically though not as strings
    em.state.putProfile('p1', { ltv: '90' });
    expect((await deliver(em, 'p1', 'hero')).body.execute.mboxes[0].options?.[0].content).toBe('<b>plain</b>');
    // profileParameters in the call count as profile values
    expect((await deliver(em, 'p1', 'hero', { seg_vip: 'true' })).body.execute.mboxes[0].options?.[0].content).toBe('<b>gold</b>');
    expect((await deliver(em, 'p1', 'other')).body.execute.mboxes[0].options).toBeUndefined();
  });

  it('picks by priority among approved, in-schedule activities', async () => {
    const em = createTargetEmulator(buildContext());
    const { xt } = seedHero(em);
    const special = em.state.seedOffer({ name: 'special', content: '<b>special</b>' });
    const base = {
      options: [{ optionLocalId: 0, offerId: special.id }],
      locations: { mboxes: [{ locationLocalId: 0, name: 'hero' }] },
      experiences: [{ experienceLocalId: 0, name: 'all', audienceIds: [], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] }],
    };
    em.state.seedActivity('xt', { ...base, name: 'saved-high', state: 'saved', priority: 999 });
    em.state.seedActivity('xt', { ...base, name: 'ended-high', state: 'approved', priority: 999, endsAt: '2001-01-01T00:00:00Z' });
    em.state.putProfile('p1', { seg_vip: 'true' });
    expect((await deliver(em, 'p1', 'hero')).body.execute.mboxes[0].options?.[0].responseTokens['activity.id']).toBe(String(xt.body.id));
    const high = em.state.seedActivity('ab', { ...base, name: 'live-high', state: 'approved', priority: 11 });
    expect((await deliver(em, 'p1', 'hero')).body.execute.mboxes[0].options?.[0].responseTokens['activity.id']).toBe(String(high.body.id));
  });

  it('splits AB traffic deterministically by visitorPercentage', async () => {
    const em = createTargetEmulator(buildContext());
    const a = em.state.seedOffer({ name: 'a', content: 'A' });
    const b = em.state.seedOffer({ name: 'b', content: 'B' });
    em.state.seedActivity('ab', {
      name: 'split',
      state: 'approved',
      options: [
        { optionLocalId: 0, offerId: a.id },
        { optionLocalId: 1, offerId: b.id },
      ],
      locations: { mboxes: [{ locationLocalId: 0, name: 'm' }] },
      experiences: [
        { experienceLocalId: 0, visitorPercentage: 20, optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
        { experienceLocalId: 1, visitorPercentage: 80, optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
      ],
    });
    let countA = 0;
    for (let i = 0; i < 2000; i++) if (em.state.decide(`v${i}`, 'm')?.experienceLocalId === 0) countA++;
    expect(countA).toBeGreaterThan(300);
    expect(countA).toBeLessThan(500);
    expect(em.state.decide('v1', 'm')).toEqual(em.state.decide('v1', 'm'));
  });

  it('answers {status,message} errors', async () => {
    const em = createTargetEmulator(buildContext());
    const res = await em.handle(buildRequest('target-edge', 'POST', '/rest/v1/delivery', { query: { sessionId: 's' }, body: { context: { channel: 'web' } } }));
    expect(res?.status).toBe(400);
    expect(Object.keys(res?.body as object).sort()).toEqual(['message', 'status']);
    const noContext = await em.handle(buildRequest('target-edge', 'POST', '/rest/v1/delivery', { query: { client: 'acme', sessionId: 's' }, body: {} }));
    expect(noContext?.status).toBe(400);
  });
});

describe('Target emulator: persistence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'target-emu-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads admin objects, profiles and batches from stateDir', async () => {
    const em = createTargetEmulator(buildContext({ stateDir: dir }));
    const auth = await adminHeaders(em);
    const a = (await callAdmin(em, auth, 'POST', '/audiences', 3, { name: 'vip', targetRule: RULE })).body as { id: number };
    em.state.putProfile('crm-1', { seg_vip: 'true', note: 'a,b "c" ünï' });
    await em.flush();
    const again = createTargetEmulator(buildContext({ stateDir: dir }));
    expect(again.state.audiences().map((x) => x.id)).toEqual([a.id]);
    expect(again.state.profile('crm-1')?.attributes.get('note')?.value).toBe('a,b "c" ünï');
    // ids keep counting after a reload
    const b = again.state.seedAudience({ name: 'next', targetRule: RULE });
    expect(b.id).toBeGreaterThan(a.id);
  });
});
