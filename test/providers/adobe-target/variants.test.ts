// The Target client against every variant the sandbox can produce where the references are uncertain: list envelopes, capped pages, 429s without Retry-After, a per-client throttle.
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets } from '../../../src/model/secrets.js';
import { startTargetSandbox, type TargetSandbox } from './helpers.js';

const RULE = (seg: string) => ({ profile: `seg_${seg}`, equals: ['true'] });

let sb: TargetSandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  clearSecrets();
});

const listCalls = (s: TargetSandbox, path: string) => s.sandbox.requests.filter((r) => r.host === 'target-admin' && r.method === 'GET' && r.path === path);

describe('AdobeTargetClient: list variants', () => {
  const names = Array.from({ length: 25 }, (_, i) => `a${i}`).sort();

  it('reads to the end when the server caps the page below the asked limit', async () => {
    sb = await startTargetSandbox({ emulator: { lists: { maxLimit: 7 } } });
    for (const n of names) sb.emulator.state.seedAudience({ name: n, targetRule: RULE(n) });
    const all = await sb.client({ pageSize: 10 }).listAudiences();
    expect(all.map((a) => a.name).sort()).toEqual(names);
    // Offsets follow what came back, not what was asked; the declared total ends it.
    expect(listCalls(sb, '/sandbox/target/audiences').map((r) => r.query.get('offset'))).toEqual(['0', '7', '14', '21']);
  });

  for (const envelope of ['total-only', 'items-only'] as const) {
    it(`reads to the end with the ${envelope} envelope`, async () => {
      sb = await startTargetSandbox({ emulator: { lists: { envelope, maxLimit: 10 } } });
      for (const n of names) sb.emulator.state.seedAudience({ name: n, targetRule: RULE(n) });
      for (let i = 0; i < 12; i++) sb.emulator.state.seedActivity('xt', { name: `act${i}`, thirdPartyId: `k${i}` });
      const client = sb.client({ pageSize: 10 });
      expect((await client.listAudiences()).map((a) => a.name).sort()).toEqual(names);
      expect((await client.listActivities()).map((a) => a.thirdPartyId).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
      // Without a total only an empty page proves the end.
      const offsets = listCalls(sb, '/sandbox/target/audiences').map((r) => r.query.get('offset'));
      expect(offsets).toEqual(envelope === 'total-only' ? ['0', '10', '20'] : ['0', '10', '20', '25']);
    });
  }
});

describe('AdobeTargetClient: throttling', () => {
  it('rides through gateway 429 bursts that carry no Retry-After (a throttle, not a quota)', async () => {
    sb = await startTargetSandbox({ faults: { burst429: { every: 3, length: 2, retryAfterSec: 1, withoutRetryAfter: true } } });
    for (let i = 0; i < 30; i++) sb.emulator.state.seedAudience({ name: `a${i}`, targetRule: RULE(`s${i}`) });
    const client = sb.client({ pageSize: 4 });
    expect(await client.listAudiences()).toHaveLength(30);
    const created = await client.createAudience({ name: 'new', targetRule: RULE('new') });
    expect(sb.emulator.state.audiences().filter((a) => a.name === 'new').map((a) => a.id)).toEqual([created.id]);
    const refused = sb.sandbox.requests.filter((r) => r.response?.status === 429);
    expect(refused.length).toBeGreaterThan(5);
    expect(refused.every((r) => r.response!.headers['retry-after'] === undefined)).toBe(true);
  });

  it('paced at the gateway limit it is never throttled; paced above it, it is answered 429 429050 and still completes', async () => {
    sb = await startTargetSandbox({ emulator: { rateLimitPerSec: 20 } });
    for (let i = 0; i < 60; i++) sb.emulator.state.seedAudience({ name: `a${i}`, targetRule: RULE(`s${i}`) });
    // 20 pages at 20/s: a full bucket's worth, then paced (the bucket tolerates any arrival jitter under 900 ms).
    const paced = sb.client({ provider: { ...sb.provider, rate_limit: 20 }, pageSize: 3 });
    expect(await paced.listAudiences()).toHaveLength(60);
    expect(sb.emulator.state.throttled()).toBe(0);

    // 60 pages unpaced: the bucket refuses some unless they took over 2 s (loopback takes ~1 ms a call).
    const eager = sb.client({ provider: { ...sb.provider, rate_limit: 1000 }, pageSize: 1 });
    expect(await eager.listAudiences()).toHaveLength(60);
    expect(sb.emulator.state.throttled()).toBeGreaterThan(0);
    const refused = sb.sandbox.requests.find((r) => r.response?.status === 429)!;
    expect(JSON.parse(refused.response!.body.toString())).toEqual({ error_code: '429050', message: 'Too many requests' });
    expect(refused.response!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  });
});
