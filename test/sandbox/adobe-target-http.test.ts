// The Target emulator behind the real sandbox server: persistence, injected faults, profile auth, scale.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/http/errors.js';
import { AdobeTargetClient, buildProfileBatches } from '../../src/providers/adobe-target/client.js';
import { TARGET_EMULATOR, type TargetEmulator } from '../../src/sandbox/adobe-target/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { buildXtActivity, startTargetSandbox, type TargetSandbox } from '../providers/adobe-target/helpers.js';

let sb: TargetSandbox | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const FAST_RETRY = { retry: { retries: 10, baseDelayMs: 1, maxDelayMs: 10 } };

describe('Target sandbox over HTTP', () => {
  it('persists Admin objects and profiles in the state dir across restarts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'target-sandbox-'));
    const first = await startSandbox({ stateDir: dir, seed: 'none', emulators: [TARGET_EMULATOR] });
    const client = new AdobeTargetClient({ provider: first.providers.adobe_target, batchPoll: { intervalMs: 50 } });
    const aud = await client.createAudience({ name: 'vip', targetRule: { profile: 'seg_vip', equals: ['true'] } });
    const sub = await client.uploadProfileBatch(buildProfileBatches(['seg_vip'], [{ thirdPartyId: 'crm-1', values: { seg_vip: 'true' } }])[0]);
    expect((await client.waitForBatch(sub.statusUrl)).outcome).toBe('complete');
    await first.close();

    const second = await startSandbox({ stateDir: dir, seed: 'none', emulators: [TARGET_EMULATOR] });
    try {
      const again = new AdobeTargetClient({ provider: second.providers.adobe_target });
      expect((await again.getAudience(aud.id))?.name).toBe('vip');
      expect((await again.getProfile('crm-1'))?.attributes.seg_vip.value).toBe('true');
      // The status of a batch submitted before the restart is still answered.
      expect((await again.getBatchStatus(sub.batchId)).status).toBe('complete');
    } finally {
      await second.close();
    }
  });

  it('answers injected faults with each host’s documented error bodies', async () => {
    sb = await startTargetSandbox({ faults: { burst429: { every: 1, length: 1, retryAfterSec: 1 } } });
    // Request 1 passes the fault injector and meets the gateway (no token), request 2 is in a 429 burst.
    const unauthenticated = await fetch(`${sb.provider.admin_url}/${sb.provider.tenant}/target/audiences`);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toEqual({ error_code: '401013', message: 'Oauth token is not valid' });
    const res = await fetch(`${sb.provider.admin_url}/${sb.provider.tenant}/target/audiences`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ error_code: '429050', message: 'Too many requests' });
    sb.sandbox.setFaults({ burst429: { every: 0, length: 0, retryAfterSec: 1 }, errorRate: 1 });
    const admin = await fetch(`${sb.provider.admin_url}/${sb.provider.tenant}/target/audiences`);
    expect(admin.status).toBeGreaterThanOrEqual(500);
    const body = (await admin.json()) as { httpStatus: number; errors: Array<{ errorCode: string }> };
    expect(body.httpStatus).toBe(admin.status);
    expect(body.errors).toHaveLength(1);
    const edge = await fetch(`${sb.provider.edge_url}/rest/v1/profiles/thirdPartyId/x?client=c`);
    expect(await edge.json()).toEqual({ status: edge.status, message: expect.any(String) });
  });

  it('ends 1,000 mixed Admin calls with the right state under 20% injected faults (5xx, resets, broken bodies, hangs)', async () => {
    sb = await startTargetSandbox({ faults: { seed: 11, errorRate: 0.1, resetRate: 0.05, malformedRate: 0.04, hangRate: 0.01, hangMs: 1000 } });
    const client = sb.client({ http: { ...FAST_RETRY, timeoutMs: 250 } });
    const offer = await client.createContentOffer({ name: 'o', content: 'x' });
    const N = 150;
    const ids: number[] = [];
    for (let i = 0; i < N; i++) ids.push((await client.createAudience({ name: `a${i}`, targetRule: { profile: `seg_${i}`, equals: ['true'] } })).id);
    await Promise.all(ids.map((id, i) => client.updateAudience(id, { name: `a${i}`, description: `v2 ${i}`, targetRule: { profile: `seg_${i}`, equals: ['false'] } })));
    const acts = [];
    for (let i = 0; i < 100; i++) {
      acts.push(await client.createActivity('xt', buildXtActivity({ name: `x${i}`, thirdPartyId: `cfg/x${i}`, mbox: `m${i}`, audienceId: ids[i], offerA: offer.id, offerB: offer.id })));
    }
    await Promise.all(acts.map((a, i) => client.setActivityPriority(a.id, i)));
    await Promise.all(acts.slice(0, 50).map((a) => client.setActivityState(a.id, 'approved')));
    await Promise.all(ids.slice(100).map((id) => client.deleteAudience(id)));
    const listed = await client.listAudiences();
    const gets = await Promise.all(ids.slice(0, 100).map((id) => client.getAudience(id)));

    const requests = sb.sandbox.requests.filter((r) => r.host === 'target-admin');
    const faulty = requests.filter((r) => r.fault !== 'none').length;
    expect(requests.length).toBeGreaterThanOrEqual(1000);
    expect(faulty / requests.length).toBeGreaterThan(0.15);
    for (const kind of ['error', 'reset-before', 'reset-after', 'malformed', 'hang']) expect(requests.some((r) => r.fault === kind), kind).toBe(true);
    const state = sb.emulator.state;
    expect(state.audiences().map((a) => a.name).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `a${i}`).sort());
    expect(state.audiences().every((a) => a.description?.startsWith('v2'))).toBe(true);
    expect(listed).toHaveLength(100);
    expect(gets.every((a, i) => a?.targetRule && (a.targetRule as { equals: string[] }).equals[0] === 'false' && a.name === `a${i}`)).toBe(true);
    expect(state.activities()).toHaveLength(100);
    expect(state.activities().map((a) => a.body.priority).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(state.activities().filter((a) => a.body.state === 'approved')).toHaveLength(50);
    expect(state.offers()).toHaveLength(1);
  });

  it('requires the profile token on Profile APIs when authentication is on', async () => {
    sb = await startTargetSandbox({ emulator: { requireProfileAuth: true } });
    sb.emulator.state.putProfile('crm-1', { a: '1' });
    const withToken = sb.client();
    expect((await withToken.getProfile('crm-1'))?.attributes.a.value).toBe('1');
    const without = sb.client({ provider: { ...sb.provider, profile_token: undefined } });
    const err = await without.getProfile('crm-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).status).toBe(401);
    expect((err as PlatformError).kind).toBe('auth');
  });

  it('takes a 200,000-row batch and applies it asynchronously', async () => {
    sb = await startTargetSandbox({ emulator: { batchDelayMs: 50 } });
    const client = sb.client();
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ thirdPartyId: `crm-${i}`, values: { seg_vip: i % 2 ? 'true' : 'false', trait_ltv: String(i) } }));
    const bodies = buildProfileBatches(['seg_vip', 'trait_ltv'], rows);
    expect(bodies).toHaveLength(1);
    const sub = await client.uploadProfileBatch(bodies[0]);
    const done = await client.waitForBatch(sub.statusUrl, { intervalMs: 50 });
    expect(done.outcome).toBe('complete');
    expect(done.status).toMatchObject({ batchSize: 200_000, successfulUpdates: 200_000, failedUpdates: 0 });
    expect((sb.emulator as TargetEmulator).state.profileCount()).toBe(200_000);
    expect((await client.getProfile('crm-199999'))?.attributes.trait_ltv.value).toBe('199999');
  });
});
