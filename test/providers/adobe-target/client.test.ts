// The Target client against the sandbox over real HTTP: tokens, paging, creates, errors, batches, delivery.
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../../../src/http/errors.js';
import { buildProfileBatches, TARGET_MEDIA, xmlTag } from '../../../src/providers/adobe-target/client.js';
import { clearSecrets } from '../../../src/model/secrets.js';
import { buildXtActivity, startTargetSandbox, type TargetSandbox } from './helpers.js';

const RULE = (seg: string) => ({ profile: `seg_${seg}`, equals: ['true'] });

let sb: TargetSandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const imsCalls = (s: TargetSandbox) => s.sandbox.requests.filter((r) => r.host === 'target-ims').length;
const adminCalls = (s: TargetSandbox, method: string, path: string) => s.sandbox.requests.filter((r) => r.host === 'target-admin' && r.method === method && r.path === path);

describe('AdobeTargetClient: IMS token', () => {
  it('reuses the token, and fetches a new one before it expires (tokenTtlSec: 1) without a 401', async () => {
    sb = await startTargetSandbox({ faults: { tokenTtlSec: 1 } });
    const client = sb.client();
    await client.listAudiences();
    await client.listAudiences();
    expect(imsCalls(sb)).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    await client.listAudiences();
    expect(imsCalls(sb)).toBe(2);
    expect(sb.sandbox.requests.filter((r) => r.response?.status === 401)).toHaveLength(0);
  });

  it('refreshes once on a 401 and resends the call', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    await client.listAudiences();
    sb.emulator.state.revokeTokens();
    await client.listAudiences();
    const statuses = sb.sandbox.requests.map((r) => `${r.host}:${r.response?.status}`);
    expect(statuses).toEqual(['target-ims:200', 'target-admin:200', 'target-admin:401', 'target-ims:200', 'target-admin:200']);
  });

  it('sends Bearer token, X-Api-Key and the versioned media type of each resource', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    const offer = await client.createContentOffer({ name: 'o', content: '<p>o</p>' });
    await client.setActivityState(
      (await client.createActivity('ab', { name: 'a', options: [{ optionLocalId: 0, offerId: offer.id }] })).id,
      'approved',
    );
    const byPath = (m: string, p: RegExp) => sb!.sandbox.requests.find((r) => r.method === m && p.test(r.path))!;
    expect(byPath('POST', /\/offers\/content$/).headers['content-type']).toBe(TARGET_MEDIA.v2);
    expect(byPath('POST', /\/activities\/ab$/).headers['content-type']).toBe(TARGET_MEDIA.v3);
    expect(byPath('PUT', /\/state$/).headers['content-type']).toBe(TARGET_MEDIA.v1);
    expect(byPath('GET', /\/offers$/).headers.accept).toBe(TARGET_MEDIA.v2);
    const admin = byPath('GET', /\/offers$/);
    expect(admin.path).toBe('/sandbox/target/offers');
    expect(admin.headers.authorization).toMatch(/^Bearer \S+$/);
    expect(admin.headers['x-api-key']).toBe(sb.provider.client_id);
  });
});

describe('AdobeTargetClient: Admin API', () => {
  it('pages lists through limit/offset to the end', async () => {
    sb = await startTargetSandbox();
    for (let i = 0; i < 25; i++) sb.emulator.state.seedAudience({ name: `a${i}`, targetRule: RULE(`s${i}`) });
    const client = sb.client({ pageSize: 10 });
    const all = await client.listAudiences();
    expect(all.map((a) => a.name).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `a${i}`).sort());
    const pages = adminCalls(sb, 'GET', '/sandbox/target/audiences');
    expect(pages.map((r) => r.query.get('offset'))).toEqual(['0', '10', '20']);
    expect(pages.every((r) => r.query.get('limit') === '10')).toBe(true);
  });

  it('finds objects by key even when the key holds filter syntax (comma, leading !, slash)', async () => {
    sb = await startTargetSandbox();
    for (const name of ['a,b', '!vip', 'x/y', 'plain']) sb.emulator.state.seedAudience({ name, targetRule: RULE('x') });
    sb.emulator.state.seedActivity('xt', { name: 'n', thirdPartyId: 'ws/key,1' });
    const client = sb.client();
    for (const name of ['a,b', '!vip', 'x/y', 'plain']) expect((await client.findAudiencesByName(name)).map((a) => a.name)).toEqual([name]);
    expect((await client.findActivityByThirdPartyId('ws/key,1'))?.name).toBe('n');
    const sent = adminCalls(sb, 'GET', '/sandbox/target/audiences').map((r) => r.query.get('name'));
    expect(sent).toEqual([null, null, null, 'plain']);
  });

  it('accepts 201 and 200 on creates', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    const a = await client.createAudience({ name: 'vip', targetRule: RULE('vip') });
    expect(a.targetRule).toEqual(RULE('vip'));
    sb.sandbox.setFaults({ createStatus: 200 });
    const b = await client.createAudience({ name: 'churn', targetRule: RULE('churn') });
    expect(b.id).not.toBe(a.id);
    const statuses = adminCalls(sb, 'POST', '/sandbox/target/audiences').map((r) => r.response?.status);
    expect(statuses).toEqual([201, 200]);
    expect((await client.getAudience(b.id))?.name).toBe('churn');
    expect(await client.getAudience(999)).toBeUndefined();
  });

  it('updates and deletes audiences, offers and activities; a second delete is not_found', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    const aud = await client.createAudience({ name: 'vip', targetRule: RULE('vip') });
    expect((await client.updateAudience(aud.id, { name: 'vip2', targetRule: RULE('vip2') })).name).toBe('vip2');
    const offer = await client.createContentOffer({ name: 'gold', content: '<b>gold</b>' });
    expect((await client.updateContentOffer(offer.id, { name: 'gold', content: '<b>GOLD</b>' })).content).toBe('<b>GOLD</b>');
    expect((await client.listOffers()).map((o) => o.type)).toEqual(['content']);
    const act = await client.createActivity('xt', buildXtActivity({ name: 'hero', thirdPartyId: 'cfg/hero', mbox: 'hero', audienceId: aud.id, offerA: offer.id, offerB: offer.id }));
    expect((await client.listActivities()).map((x) => [x.thirdPartyId, x.type])).toEqual([['cfg/hero', 'xt']]);
    expect((await client.setActivityPriority(act.id, 999)).priority).toBe(999);
    await expect(client.setActivityPriority(act.id, 1000)).rejects.toThrow(/0 to 999/);
    expect((await client.setActivitySchedule(act.id, { startsAt: '2026-01-01T00:00:00Z', endsAt: '2036-01-01T00:00:00Z' })).endsAt).toBe('2036-01-01T00:00:00Z');
    expect((await client.setActivityName(act.id, 'hero 2')).name).toBe('hero 2');
    const full = (await client.getActivity('xt', act.id))!;
    expect(full.experiences).toHaveLength(2);
    const { id: _id, modifiedAt: _m, createdAt: _c, ...body } = full;
    const replaced = await client.updateActivity('xt', act.id, { ...body, priority: 7 });
    expect(replaced.priority).toBe(7);
    expect(await client.getActivity('ab', act.id)).toBeUndefined();
    expect(await client.deleteActivity('xt', act.id)).toBe('deleted');
    expect(await client.deleteActivity('xt', act.id)).toBe('not_found');
    expect(await client.deleteContentOffer(offer.id)).toBe('deleted');
    expect(await client.deleteAudience(aud.id)).toBe('deleted');
    expect(await client.deleteAudience(aud.id)).toBe('not_found');
  });

  it('surfaces InvalidProperty.Json as a typed 400 naming the field', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    const err = await client.createActivity('ab', { name: 'a', successCriteria: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    const e = err as PlatformError;
    expect(e.status).toBe(400);
    expect(e.code).toBe('InvalidProperty.Json');
    expect(e.message).toContain("Unrecognized property name 'successCriteria'");
    expect(e.message).toContain('create ab activity (POST /activities/ab)');
  });

  it('gets 406 Unsupported.Feature when a request names the wrong version', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    const token = await client.accessToken();
    const res = await fetch(`${sb.provider.admin_url}/${sb.provider.tenant}/target/audiences`, {
      headers: { authorization: `Bearer ${token}`, 'x-api-key': sb.provider.client_id, accept: TARGET_MEDIA.v1 },
    });
    expect(res.status).toBe(406);
    const body = (await res.json()) as { httpStatus: number; errors: Array<{ errorCode: string; message: string }> };
    expect(body.httpStatus).toBe(406);
    expect(body.errors[0]).toEqual({ errorCode: 'Unsupported.Feature', message: 'Unsupported features detected' });
  });

  it('never duplicates a create when connections reset after the server applied it', async () => {
    sb = await startTargetSandbox({ faults: { resetRate: 0.3, seed: 7 } });
    const client = sb.client({ http: { retry: { retries: 8, baseDelayMs: 2, maxDelayMs: 10 } } });
    const offer = await client.createContentOffer({ name: 'offer', content: 'x' });
    const audiences = [];
    for (let i = 0; i < 20; i++) audiences.push(await client.createAudience({ name: `aud-${i}`, targetRule: RULE(`s${i}`) }));
    for (let i = 0; i < 10; i++) {
      await client.createActivity('xt', buildXtActivity({ name: `act ${i}`, thirdPartyId: `cfg/act-${i}`, mbox: 'm', audienceId: audiences[i].id, offerA: offer.id, offerB: offer.id }));
    }
    const resets = sb.sandbox.requests.filter((r) => r.fault === 'reset-after' && r.method === 'POST').length;
    expect(resets).toBeGreaterThan(0);
    const names = sb.emulator.state.audiences().map((a) => a.name);
    expect(names).toHaveLength(20);
    expect(new Set(names).size).toBe(20);
    expect(sb.emulator.state.offers()).toHaveLength(1);
    const keys = sb.emulator.state.activities().map((a) => a.body.thirdPartyId);
    expect(keys.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `cfg/act-${i}`).sort());
  });
});

describe('AdobeTargetClient: profiles', () => {
  it('uploads a bulk batch, waits for the async completion and reads the profile back', async () => {
    sb = await startTargetSandbox({ emulator: { batchDelayMs: 150 } });
    const client = sb.client();
    const [body] = buildProfileBatches(['seg_vip', 'trait_city'], [
      { thirdPartyId: 'crm-1', values: { seg_vip: 'true', trait_city: 'São Paulo, BR' } },
      { thirdPartyId: 'crm-2', values: { seg_vip: 'false' } },
    ]);
    const sub = await client.uploadProfileBatch(body);
    expect(sub.statusUrl.startsWith(`${sb.provider.edge_url}/m2/${sb.provider.client_code}/profile/batchStatus?batchId=`)).toBe(true);
    expect((await client.getBatchStatus(sub.statusUrl)).status).toBe('incomplete');
    const done = await client.waitForBatch(sub.statusUrl, { intervalMs: 40 });
    expect(done.outcome).toBe('complete');
    expect(done.polls).toBeGreaterThan(1);
    expect(done.status).toMatchObject({ batchSize: 2, successfulUpdates: 2, failedUpdates: 0 });
    const p = await client.getProfile('crm-1');
    expect(p?.attributes.trait_city.value).toBe('São Paulo, BR');
    expect(await client.getProfile('nobody')).toBeUndefined();
    expect((await client.getBatchStatus(sub.batchId)).status).toBe('complete');
  });

  it('never clears an attribute with an empty value; an explicit "false" replaces "true"', async () => {
    sb = await startTargetSandbox({ emulator: { batchDelayMs: 20 } });
    const client = sb.client();
    const send = async (values: Record<string, string>) => {
      const sub = await client.uploadProfileBatch(buildProfileBatches(['seg_vip', 'trait_city'], [{ thirdPartyId: 'crm-1', values }])[0]);
      expect((await client.waitForBatch(sub.statusUrl, { intervalMs: 20 })).outcome).toBe('complete');
    };
    await send({ seg_vip: 'true', trait_city: 'Lyon' });
    await send({ seg_vip: 'false', trait_city: '' });
    const p = await client.getProfile('crm-1');
    expect(p?.attributes.seg_vip.value).toBe('false');
    expect(p?.attributes.trait_city.value).toBe('Lyon');
  });

  it('reports a stuck batch, and a batch still incomplete at the timeout', async () => {
    sb = await startTargetSandbox({ faults: { stuckBatchRate: 1 }, emulator: { batchDelayMs: 20 } });
    const client = sb.client();
    const stuck = await client.uploadProfileBatch('batch=thirdPartyId,a\nx,1\n');
    const r = await client.waitForBatch(stuck.statusUrl, { intervalMs: 20, timeoutMs: 3000 });
    expect(r.outcome).toBe('stuck');
    expect(r.status.status).toBe('stuck');
    sb.sandbox.setFaults({ stuckBatchRate: 0 });
    await sb.close();
    sb = await startTargetSandbox({ emulator: { batchDelayMs: 60_000 } });
    const slow = await sb.client().uploadProfileBatch('batch=thirdPartyId,a\nx,1\n');
    const t = await sb.client().waitForBatch(slow.batchId, { intervalMs: 20, timeoutMs: 100 });
    expect(t.outcome).toBe('timeout');
    expect(t.status.status).toBe('incomplete');
  });

  it('uploads a batch streamed from a file (fresh stream per attempt) and checks its announced limits', async () => {
    sb = await startTargetSandbox({ emulator: { batchDelayMs: 10 } });
    const client = sb.client();
    const [body] = buildProfileBatches(['seg_vip'], [
      { thirdPartyId: 'crm-1', values: { seg_vip: 'true' } },
      { thirdPartyId: 'crm-2', values: { seg_vip: 'false' } },
    ]);
    let opened = 0;
    const open = () => {
      opened += 1;
      return Readable.from([Buffer.from(body as string)]);
    };
    const sub = await client.uploadProfileBatch({ bytes: Buffer.byteLength(body as string), rows: 2, open });
    expect(opened).toBe(1);
    expect((await client.waitForBatch(sub.statusUrl, { intervalMs: 10 })).status).toMatchObject({ batchSize: 2, successfulUpdates: 2 });
    expect((await client.getProfile('crm-2'))?.attributes.seg_vip.value).toBe('false');
    await expect(client.uploadProfileBatch({ bytes: 50 * 1024 * 1024, rows: 1, open })).rejects.toThrow(/smaller than 50 MB/);
    await expect(client.uploadProfileBatch({ bytes: 100, rows: 500_001, open })).rejects.toThrow(/at most 500000 rows/);
    expect(opened).toBe(1);
  });

  it('enforces batch limits client-side and splits bodies by rows and bytes', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    const rows = Array.from({ length: 500_001 }, (_, i) => `i${i},1`);
    await expect(client.uploadProfileBatch(`batch=thirdPartyId,a\n${rows.join('\n')}`)).rejects.toThrow(/at most 500000 rows/);
    await expect(client.uploadProfileBatch(`batch=thirdPartyId,a\nx,${'a'.repeat(50 * 1024 * 1024)}`)).rejects.toThrow(/smaller than 50 MB/);
    expect(sb.sandbox.requests.filter((r) => r.host === 'target-edge')).toHaveLength(0);
    const bodies = buildProfileBatches(['a'], Array.from({ length: 25 }, (_, i) => ({ thirdPartyId: `p${i}`, values: { a: 'x' } })), { maxRows: 10 });
    expect(bodies.map((b) => b.split('\n').filter(Boolean).length - 1)).toEqual([10, 10, 5]);
    const bySize = buildProfileBatches(['a'], Array.from({ length: 10 }, (_, i) => ({ thirdPartyId: `p${i}`, values: { a: 'y'.repeat(100) } })), { maxBytes: 350 });
    expect(bySize.every((b) => Buffer.byteLength(b) <= 350)).toBe(true);
    expect(bySize.join('').split('\n').filter((l) => l.startsWith('p'))).toHaveLength(10);
    expect(() => buildProfileBatches(['a'], [{ thirdPartyId: 'a+b', values: {} }])).toThrow(/'\+' or '\/'/);
    expect(() => buildProfileBatches(['a'], [{ thirdPartyId: 'a/b', values: {} }])).toThrow(RangeError);
  });

  it('updates one profile (never creating one) with the single update API', async () => {
    sb = await startTargetSandbox();
    const client = sb.client();
    sb.emulator.state.putProfile('crm-1', { seg_vip: 'false' });
    await client.updateProfile('crm-1', { seg_vip: 'true', ltv: '' });
    await client.updateProfile('crm-new', { seg_vip: 'true' });
    expect((await client.getProfile('crm-1'))?.attributes.seg_vip.value).toBe('true');
    expect(await client.getProfile('crm-new')).toBeUndefined();
    const sent = sb.sandbox.requests.find((r) => r.path.endsWith('/profile/update'))!;
    expect(sent.query.get('mbox3rdPartyId')).toBe('crm-1');
    expect(sent.query.has('profile.ltv')).toBe(false);
  });

  it('parses XML status answers robustly', () => {
    expect(xmlTag('<ns:response><ns:status> Complete </ns:status></ns:response>', 'status')).toBe('Complete');
    expect(xmlTag('<response><message><![CDATA[a < b]]></message></response>', 'message')).toBe('a < b');
    expect(xmlTag('<response><batchStatus>http://h/x?batchId=1&amp;y=2</batchStatus></response>', 'batchStatus')).toBe('http://h/x?batchId=1&y=2');
    expect(xmlTag('<response/>', 'status')).toBeUndefined();
  });
});

describe('AdobeTargetClient: delivery', () => {
  it('follows priority and the first matching XT experience, and switches when the profile changes', async () => {
    sb = await startTargetSandbox({ emulator: { batchDelayMs: 20 } });
    const client = sb.client();
    const vip = await client.createAudience({ name: 'vip', targetRule: RULE('vip') });
    const churn = await client.createAudience({ name: 'churn', targetRule: RULE('churn') });
    const gold = await client.createContentOffer({ name: 'gold', content: '<b>gold</b>' });
    const plain = await client.createContentOffer({ name: 'plain', content: '<b>plain</b>' });
    const winback = await client.createContentOffer({ name: 'winback', content: '<b>winback</b>' });
    const low = await client.createActivity('xt', buildXtActivity({ name: 'low', thirdPartyId: 'cfg/low', mbox: 'hero', audienceId: vip.id, offerA: gold.id, offerB: plain.id, priority: 10 }));
    const high = await client.createActivity('xt', {
      ...buildXtActivity({ name: 'high', thirdPartyId: 'cfg/high', mbox: 'hero', audienceId: churn.id, offerA: winback.id, offerB: winback.id, priority: 20 }),
      // Only the churn experience: visitors outside it fall through to the lower-priority activity.
      experiences: [{ experienceLocalId: 0, name: 'churn', audienceIds: [churn.id], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] }],
    });
    // Saved (not approved) activities never serve.
    expect((await client.deliver('crm-1', 'hero')).options).toEqual([]);
    await client.setActivityState(low.id, 'approved');
    await client.setActivityState(high.id, 'approved');

    const upload = async (values: Record<string, string>) => {
      const sub = await client.uploadProfileBatch(buildProfileBatches(['seg_vip', 'seg_churn'], [{ thirdPartyId: 'crm-1', values }])[0]);
      expect((await client.waitForBatch(sub.statusUrl, { intervalMs: 20 })).outcome).toBe('complete');
    };
    await upload({ seg_vip: 'true', seg_churn: 'false' });
    let d = await client.deliver('crm-1', 'hero');
    expect(d).toMatchObject({ activityId: String(low.id), experienceId: '0', offerId: String(gold.id) });
    expect(d.options[0].content).toBe('<b>gold</b>');

    await upload({ seg_churn: 'true' });
    d = await client.deliver('crm-1', 'hero');
    expect(d).toMatchObject({ activityId: String(high.id), offerId: String(winback.id) });

    await upload({ seg_vip: 'false', seg_churn: 'false' });
    d = await client.deliver('crm-1', 'hero');
    expect(d).toMatchObject({ activityId: String(low.id), experienceId: '1', offerId: String(plain.id) });

    // profileParameters sent in the call count for that decision.
    expect((await client.deliver('crm-1', 'hero', { profileParameters: { seg_vip: 'true' } })).offerId).toBe(String(gold.id));
  });
});

describe('AdobeTargetClient: secrets', () => {
  it('keeps credentials and tokens out of every error and message', async () => {
    clearSecrets();
    const secret = 'Zq9-SECRET-client-secret-7731';
    const clientId = 'Zq9-CLIENTID-api-key-4410';
    const profileToken = 'Zq9-PROFILE-token-5520';
    sb = await startTargetSandbox({ credentials: { client_id: clientId, client_secret: secret, profile_token: profileToken } });
    const client = sb.client();
    const token = await client.accessToken();
    const errors: unknown[] = [];
    errors.push(await client.createActivity('ab', { name: 'a', colour: 1 }).catch((e: unknown) => e));
    errors.push(await client.getProfile('x+y').catch((e: unknown) => e));
    const wrong = sb.client({ provider: { ...sb.provider, client_secret: `${secret}-wrong` } });
    errors.push(await wrong.listAudiences().catch((e: unknown) => e));
    const dead = sb.client({ provider: { ...sb.provider, admin_url: 'http://127.0.0.1:9', ims_url: 'http://127.0.0.1:9' }, http: { retry: { retries: 0 } } });
    errors.push(await dead.listAudiences().catch((e: unknown) => e));
    sb.emulator.state.revokeTokens();
    sb.sandbox.setFaults({ errorRate: 1 });
    errors.push(await client.listAudiences().catch((e: unknown) => e));

    const failures = errors.filter((e) => e instanceof Error);
    expect(failures.length).toBeGreaterThanOrEqual(4);
    for (const e of failures) {
      const texts = [String(e), (e as Error).stack ?? '', inspect(e, { depth: 5 }), JSON.stringify(e), JSON.stringify((e as PlatformError).toJSON?.() ?? {})];
      for (const t of texts) {
        for (const s of [secret, clientId, profileToken, token, encodeURIComponent(secret)]) expect(t).not.toContain(s);
      }
    }
  });
});
