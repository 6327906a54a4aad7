// The sandbox server over real HTTP: host mounts, unknown routes in each host's error shape,
// deterministic faults, persistence across stop/start, and the default seed built from a config.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDefaultSeed, CUSTOMERIO_EMULATOR, readSeedSource, resetSandbox, seedSandbox, startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { FaultInjector, mergeFaults, DEFAULT_FAULTS } from '../../src/sandbox/faults.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/types.js';

const open: RunningSandbox[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function start(opts: Parameters<typeof startSandbox>[0] = {}): Promise<RunningSandbox> {
  const sb = await startSandbox({ emulators: [CUSTOMERIO_EMULATOR], seed: 'none', ...opts });
  open.push(sb);
  return sb;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'audiences-sandbox-'));
  dirs.push(d);
  return d;
}

const APP = { authorization: `Bearer ${SANDBOX_CREDENTIALS.customerio.app_api_key}` };
const TRACK = { authorization: `Basic ${Buffer.from(`${SANDBOX_CREDENTIALS.customerio.site_id}:${SANDBOX_CREDENTIALS.customerio.track_api_key}`).toString('base64')}` };

async function call(sb: RunningSandbox, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${sb.url}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('routing', () => {
  it('listens on 127.0.0.1 and mounts each host under its prefix', async () => {
    const sb = await start();
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.providers.customerio.app_url).toBe(`${sb.url}/cio/app`);
    expect(sb.providers.customerio.track_url).toBe(`${sb.url}/cio/track`);
    expect(sb.providers.adobe_target.admin_url).toBe(`${sb.url}/target/admin`);
    expect((await call(sb, '/cio/app/v1/segments', { headers: APP })).text).toBe('{"segments":[]}');
    expect((await call(sb, '/cio/track/api/v1/accounts/region', { headers: TRACK })).status).toBe(200);
  });

  it('answers unknown routes 404 in the host\'s error shape', async () => {
    const sb = await start();
    const app = await call(sb, '/cio/app/v1/nothing', { headers: APP });
    expect(app.status).toBe(404);
    expect(JSON.parse(app.text)).toEqual({ errors: [{ detail: 'no route for GET /v1/nothing', status: '404' }] });
    const track = await call(sb, '/cio/track/api/v1/nothing', { headers: TRACK });
    expect(track.status).toBe(404);
    expect(JSON.parse(track.text)).toEqual({ meta: { errors: ['no route for GET /api/v1/nothing'] } });
    const none = await call(sb, '/elsewhere');
    expect(none.status).toBe(404);
    const target = await call(sb, '/target/admin/x');
    expect(target.status).toBe(404);
    expect(target.text).toMatch(/not emulated/);
  });

  it('serves the Adobe Target emulator when started with the default emulators', async () => {
    const sb = await startSandbox({ seed: 'none' });
    open.push(sb);
    expect(Object.keys(sb.emulators).sort()).toEqual(['adobe_target', 'customerio']);
    const res = await call(sb, '/target/ims/ims/token/v3', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${sb.providers.adobe_target.client_id}&client_secret=${sb.providers.adobe_target.client_secret}&scope=openid`,
    });
    expect(res.status).toBe(200);
  });
});

describe('faults', () => {
  it('gives the same faults in the same order for the same seed', () => {
    const settings = mergeFaults(DEFAULT_FAULTS, { seed: 11, errorRate: 0.2, resetRate: 0.2 });
    const run = () => {
      const inj = new FaultInjector(settings);
      return Array.from({ length: 200 }, () => inj.decide('cio-app').kind);
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['none', 'error', 'reset-before', 'reset-after']));
    const other = new FaultInjector(mergeFaults(settings, { seed: 12 }));
    expect(Array.from({ length: 200 }, () => other.decide('cio-app').kind)).not.toEqual(a);
  });

  it('rejects impossible settings', () => {
    expect(() => mergeFaults(DEFAULT_FAULTS, { errorRate: 2 })).toThrow(/errorRate must be between 0 and 1/);
    expect(() => mergeFaults(DEFAULT_FAULTS, { burst429: { every: 3, length: 1, retryAfterSec: 0.5 } })).toThrow(/retryAfterSec/);
  });

  it('answers 429 bursts with Retry-After, in the host\'s envelope', async () => {
    const sb = await start({ faults: { burst429: { every: 2, length: 2, retryAfterSec: 3 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await call(sb, '/cio/track/api/v1/accounts/region', { headers: TRACK })).status);
    expect(statuses).toEqual([200, 200, 429, 429, 200, 200, 429, 429]);
    const r = sb.requests[2].response!;
    expect(r.headers['retry-after']).toBe('3');
    expect(JSON.parse(r.body.toString()).meta.errors[0]).toMatch(/rate limited/);
  });

  it('answers the quota 429 without Retry-After on the App API only', async () => {
    const sb = await start({ faults: { quota429: true } });
    const app = await call(sb, '/cio/app/v1/segments', { headers: APP });
    expect(app.status).toBe(429);
    expect(app.headers.get('retry-after')).toBeNull();
    expect(JSON.parse(app.text).errors[0].status).toBe('429');
    expect((await call(sb, '/cio/track/api/v1/accounts/region', { headers: TRACK })).status).toBe(200);
  });

  it('resets connections before or after applying the request', async () => {
    const sb = await start({ faults: { resetRate: 1, seed: 5 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const before = sb.customerio!.state.segments.length;
      await expect(fetch(`${sb.url}/cio/app/v1/segments`, { method: 'POST', headers: { ...APP, 'content-type': 'application/json' }, body: JSON.stringify({ segment: { name: `s${i}` } }) })).rejects.toThrow();
      outcomes.push(`${sb.requests[i].fault}:${sb.customerio!.state.segments.length - before}`);
    }
    expect(outcomes.filter((o) => o === 'reset-before:0').length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'reset-after:1').length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o === 'reset-before:0' || o === 'reset-after:1')).toBe(true);
  });

  it('keeps the fault sequence of a seed when the optional faults are off', () => {
    const base = mergeFaults(DEFAULT_FAULTS, { seed: 4, errorRate: 0.3, resetRate: 0.2 });
    const a = new FaultInjector(base);
    const b = new FaultInjector(mergeFaults(base, { hangRate: 0, malformedRate: 0, errorStatuses: [500, 502, 503, 504] }));
    expect(Array.from({ length: 100 }, () => b.decide('cio-app').kind)).toEqual(Array.from({ length: 100 }, () => a.decide('cio-app').kind));
  });

  it('picks error statuses from errorStatuses, breaks 2xx JSON bodies, and holds hung requests', async () => {
    const sb = await start({ faults: { errorRate: 1, errorStatuses: [522] } });
    expect((await call(sb, '/cio/app/v1/segments', { headers: APP })).status).toBe(522);
    sb.setFaults({ errorRate: 0, malformedRate: 1 });
    const created = await call(sb, '/cio/app/v1/segments', { method: 'POST', headers: { ...APP, 'content-type': 'application/json' }, body: '{"segment":{"name":"half"}}' });
    expect(created.status).toBe(200);
    expect(() => JSON.parse(created.text)).toThrow();
    expect(sb.customerio!.state.segments.map((s) => s.name)).toEqual(['half']);
    expect((await call(sb, '/cio/app/v1/nothing', { headers: APP })).text).toMatch(/^\{"errors"/);
    sb.setFaults({ malformedRate: 0, hangRate: 1, hangMs: 300 });
    const t = performance.now();
    await expect(fetch(`${sb.url}/cio/app/v1/segments`, { headers: APP })).rejects.toThrow();
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect(sb.requests.at(-1)!.fault).toBe('hang');
  });

  it('injects 5xx and latency, and setFaults changes them live', async () => {
    const sb = await start({ faults: { errorRate: 1 } });
    const r = await call(sb, '/cio/app/v1/segments', { headers: APP });
    expect([500, 502, 503, 504]).toContain(r.status);
    expect(JSON.parse(r.text).errors[0].status).toBe(String(r.status));
    sb.setFaults({ errorRate: 0, latencyMs: 120 });
    const t = performance.now();
    expect((await call(sb, '/cio/app/v1/segments', { headers: APP })).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(115);
  });
});

describe('persistence', () => {
  it('keeps state across stop and start, written atomically', async () => {
    const dir = await tempDir();
    const a = await startSandbox({ stateDir: dir, emulators: [CUSTOMERIO_EMULATOR], seed: 'default' });
    const seeded = a.customerio!.state.segments.length;
    expect(seeded).toBeGreaterThan(0);
    const created = await call(a, '/cio/app/v1/segments', { method: 'POST', headers: { ...APP, 'content-type': 'application/json' }, body: '{"segment":{"name":"kept"}}' });
    expect(created.status).toBe(200);
    await a.close();
    expect((await readdir(join(dir, 'customerio'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const b = await startSandbox({ stateDir: dir, emulators: [CUSTOMERIO_EMULATOR], seed: 'none' });
    open.push(b);
    const names = b.customerio!.state.segments.map((s) => s.name);
    expect(names).toContain('kept');
    expect(names).toHaveLength(seeded + 1);
  });

  it('saves shortly after a change, before close', async () => {
    const dir = await tempDir();
    const a = await start({ stateDir: dir });
    await call(a, '/cio/app/v1/segments', { method: 'POST', headers: { ...APP, 'content-type': 'application/json' }, body: '{"segment":{"name":"early"}}' });
    await new Promise((r) => setTimeout(r, 200));
    const { readFile } = await import('node:fs/promises');
    expect(JSON.parse(await readFile(join(dir, 'customerio', 'customerio.json'), 'utf8')).segments.map((s: { name: string }) => s.name)).toEqual(['early']);
  });

  it('seed replaces the state and reset deletes it', async () => {
    const dir = await tempDir();
    await seedSandbox({ stateDir: dir, seed: 'default', config: join(process.cwd(), 'audiences.yaml') });
    const a = await startSandbox({ stateDir: dir, emulators: [CUSTOMERIO_EMULATOR], seed: 'none' });
    expect(a.customerio!.state.segments.map((s) => s.id)).toEqual([101, 102, 103, 104, 105, 106, 107]);
    await a.close();
    expect(await resetSandbox(dir)).toBe(true);
    expect(await resetSandbox(dir)).toBe(false);
  });
});

describe('default seed', () => {
  it('builds dynamic segments with realistic, deterministic members from the root audiences.yaml', async () => {
    const source = await readSeedSource(join(process.cwd(), 'audiences.yaml'));
    const seed = buildDefaultSeed(source);
    expect(buildDefaultSeed(source)).toEqual(seed);
    const cio = seed.customerio!;
    expect(cio.segments.map((s) => [s.id, s.name, s.type])).toEqual([
      [101, 'Cart Abandoned (last 4h)', 'dynamic'],
      [102, 'First-Time Buyer (30d)', 'dynamic'],
      [103, 'Replenishment Due (21-28d)', 'dynamic'],
      [104, 'High LTV VIP', 'dynamic'],
      [105, 'Lapsed (no purchase 90d)', 'dynamic'],
      [106, 'Click-Through Intent (7d)', 'dynamic'],
      [107, 'Purchased (last 14d)', 'dynamic'],
    ]);
    expect(cio.people[122]).toMatchObject({ id: 'cust_000123', email: expect.stringMatching(/^[a-z]+\.[a-z]+123@example\.com$/) });
    for (const p of cio.people) expect(Object.keys(p.attributes!)).toEqual(expect.arrayContaining(['lifetime_value', 'orders_count', 'last_category']));
    for (const s of cio.segments) expect(s.members.length).toBeGreaterThan(5);
    // Most VIP members satisfy the VIP audience's condition (lifetime_value >= 500); most others do not.
    const byId = new Map(cio.people.map((p) => [p.id, p]));
    const vip = cio.segments.find((s) => s.id === 104)!;
    const rich = vip.members.filter((id) => Number(byId.get(id)!.attributes!.lifetime_value) >= 500).length;
    expect(rich / vip.members.length).toBeGreaterThan(0.7);
  });
});
