// The Customer.io client over real HTTP against the sandbox: segments, paging with both forms of
// the last `next`, attributes in batches, exports, Track writes, retries, quota and pacing.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ResolvedCustomerio } from '../../../src/config/types.js';
import { CustomerioClient } from '../../../src/providers/customerio/client.js';
import { PlatformError } from '../../../src/http/errors.js';
import { DEFAULT_FAULTS, FaultInjector, mergeFaults } from '../../../src/sandbox/faults.js';
import { buildClient, buildSeed, customerId, maxInWindow, startCioSandbox } from './helpers.js';

const appCalls = (sb: Awaited<ReturnType<typeof startCioSandbox>>, path: RegExp) =>
  sb.requests.filter((r) => r.host === 'cio-app' && path.test(r.path));

describe('segments', () => {
  it('lists, gets, creates, counts and deletes', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 7, name: 'Dyn', members: [1, 12] }] }) });
    const cio = buildClient(sb);
    expect((await cio.listSegments()).map((s) => [s.id, s.name, s.type])).toEqual([[7, 'Dyn', 'dynamic']]);
    expect(await cio.getSegment(7)).toMatchObject({ id: 7, name: 'Dyn', type: 'dynamic', tags: null, deduplicate_id: expect.stringMatching(/^7:\d+$/) });
    expect(await cio.getSegment(999)).toBeUndefined();
    expect(await cio.getSegmentCount(7)).toBe(12);
    expect(await cio.getSegmentUsedBy(7)).toEqual({ campaigns: [], sent_newsletters: [], draft_newsletters: [] });

    const created = await cio.createManualSegment({ name: 'aud: VIP holdout', description: 'managed by audiences' });
    expect(created).toMatchObject({ name: 'aud: VIP holdout', description: 'managed by audiences', type: 'manual' });
    expect(await cio.getSegmentCount(created.id)).toBe(0);
    expect(await cio.deleteSegment(created.id)).toBe('deleted');
    expect(await cio.deleteSegment(created.id)).toBe('not_found');
    expect(await cio.getSegment(created.id)).toBeUndefined();
  });

  it('reads a person\'s segments', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 3, name: 'A', members: [1, 5] }, { id: 4, name: 'B', members: [5, 9] }] }) });
    const cio = buildClient(sb);
    expect(await cio.getCustomerSegments(customerId(5))).toEqual([{ id: 3, name: 'A' }, { id: 4, name: 'B' }]);
    expect(await cio.getCustomerSegments('person2@example.com', { idType: 'email' })).toEqual([{ id: 3, name: 'A' }]);
    expect(await cio.getCustomerSegments('nobody')).toBeUndefined();
  });
});

describe('membership paging', () => {
  for (const lastPageNext of ['empty', 'absent'] as const) {
    it(`reads every member to the end when the last next is ${lastPageNext}`, async () => {
      const sb = await startCioSandbox({
        seed: buildSeed({ people: 2500, segments: [{ id: 9, name: 'Big', members: [1, 2345] }] }),
        faults: { lastPageNext },
      });
      const cio = buildClient(sb);
      const members = await cio.listMembership(9, { limit: 1000 });
      expect(members).toHaveLength(2345);
      expect(new Set(members.map((m) => m.id)).size).toBe(2345);
      expect(members[0]).toMatchObject({ id: customerId(1), email: 'person1@example.com', cio_id: expect.any(String) });
      const pages = appCalls(sb, /^\/v1\/segments\/9\/membership$/);
      expect(pages).toHaveLength(3);
      expect(pages.map((p) => p.query.get('limit'))).toEqual(['1000', '1000', '1000']);
      expect(pages[0].query.has('start')).toBe(false);
      const last = JSON.parse(pages[2].response!.body.toString());
      if (lastPageNext === 'empty') expect(last.next).toBe('');
      else expect('next' in last).toBe(false);
    });
  }

  it('caps the page size at the documented 30000', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 10, segments: [{ id: 9, name: 'S', members: [1, 10] }] }) });
    const cio = buildClient(sb);
    expect(await cio.listMembership(9, { limit: 100000 })).toHaveLength(10);
    expect(appCalls(sb, /membership$/)[0].query.get('limit')).toBe('30000');
  });

  it('falls back to ids when identifiers are missing, without email when the workspace does not use it', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 3, segments: [{ id: 2, name: 'S', members: [1, 3] }] }) });
    sb.customerio!.variants.emailIdentifier = false;
    const members = await buildClient(sb).listMembership(2);
    expect(members.map((m) => m.id)).toEqual([customerId(1), customerId(2), customerId(3)]);
    expect(members.every((m) => m.email === undefined && typeof m.cio_id === 'string')).toBe(true);
  });
});

describe('attributes', () => {
  it('reads attributes of 250 people in batches of at most 100, as strings, unknown ids omitted', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 260 }) });
    const ids = Array.from({ length: 248 }, (_, i) => customerId(i + 1)).concat(['ghost_1', 'ghost_2']);
    const got = await buildClient(sb).getAttributes(ids);
    expect(got.size).toBe(248);
    expect(got.get(customerId(30))).toMatchObject({ id: customerId(30), email: 'person30@example.com', attributes: { plan: 'pro', lifetime_value: '300', vip: 'true' } });
    const calls = appCalls(sb, /^\/v1\/customers\/attributes$/);
    expect(calls.map((c) => JSON.parse(c.body.toString()).ids.length)).toEqual([100, 100, 50]);
  });
});

describe('exports', () => {
  it('exports a segment with extra columns: create, poll until done, download the CSV', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 40, segments: [{ id: 5, name: 'S', members: [11, 30] }] }) });
    sb.customerio!.variants.exportDelayMs = 150;
    const rows = await collect(buildClient(sb).exportSegment(5, ['plan', 'lifetime_value']));
    expect(rows).toHaveLength(20);
    expect(rows[0]).toMatchObject({ id: customerId(11), email: 'person11@example.com', plan: 'basic', lifetime_value: '110' });
    const polls = appCalls(sb, /^\/v1\/exports\/\d+$/);
    expect(polls.length).toBeGreaterThan(1);
    expect(JSON.parse(polls[0].response!.body.toString()).export.status).not.toBe('done');
    expect(JSON.parse(appCalls(sb, /^\/v1\/exports\/customers$/)[0].body.toString())).toEqual({
      filters: { and: [{ segment: { id: 5 } }] },
      attributes: ['plan', 'lifetime_value'],
    });
    // The signed link is fetched without the App API key.
    const file = sb.requests.find((r) => r.path.startsWith('/sandbox-files/'))!;
    expect(file.headers.authorization).toBeUndefined();
  });

  it('stops with a clear error when an export fails', async () => {
    const sb = await startCioSandbox();
    const cio = buildClient(sb);
    const e = await cio.createExport({ filters: { attribute: { field: 'plan', operator: 'eq', value: 'pro' } } });
    sb.customerio!.state.exports.find((x) => x.id === e.id)!.failed = true;
    await expect(collect(cio.downloadExport(e.id))).rejects.toThrow(/export \d+ failed/);
  });

  it('gives up polling after the timeout', async () => {
    const sb = await startCioSandbox();
    sb.customerio!.variants.exportDelayMs = 60_000;
    const cio = buildClient(sb, { exportPoll: { intervalMs: 20, timeoutMs: 150 } });
    const e = await cio.createExport({ filters: { segment: { id: 1 } } });
    const err = await collect(cio.downloadExport(e.id)).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('timeout');
  });
});

describe('export file streaming', () => {
  /** A bare App API + file host: the export is done, its link points at /file, served by `file`. */
  async function fileHost(file: (res: http.ServerResponse) => void) {
    const server = http.createServer((req, res) => {
      if (req.url === '/v1/exports/1') return res.end(JSON.stringify({ export: { id: 1, status: 'done' } }));
      if (req.url === '/v1/exports/1/download') return res.end(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/file?sig=x` }));
      file(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cio = new CustomerioClient({
      provider: { app_api_key: 'k', app_url: url, region: 'us', rate_limit: 100 } as ResolvedCustomerio,
      http: { retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 10 }, timeoutMs: 2000 },
      exportPoll: { intervalMs: 10, timeoutMs: 1000 },
    });
    return { cio, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
  }

  it('yields records as the file arrives, before its end is sent', async () => {
    let finish!: () => void;
    const host = await fileHost((res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id,plan\n1,"pro, ann');
      setTimeout(() => res.write('ual"\n2,basic\n'), 20);
      finish = () => res.end('3,free\n');
    });
    try {
      const it = host.cio.downloadExport(1);
      expect((await it.next()).value).toEqual({ id: '1', plan: 'pro, annual' });
      expect((await it.next()).value).toEqual({ id: '2', plan: 'basic' });
      finish();
      expect((await it.next()).value).toEqual({ id: '3', plan: 'free' });
      expect((await it.next()).done).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('refuses a gzip file and reports a file that breaks off midway as a typed error', async () => {
    const gz = await fileHost((res) => res.end(Buffer.from([0x1f, 0x8b, 8, 0, 0])));
    try {
      await expect(collect(gz.cio.downloadExport(1))).rejects.toThrow(/gzip/);
    } finally {
      await gz.close();
    }
    const cut = await fileHost((res) => {
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': '1000' });
      res.write('id\n1\n', () => setTimeout(() => res.destroy(), 20));
    });
    try {
      const err = await collect(cut.cio.downloadExport(1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).message).toMatch(/broke off/);
    } finally {
      await cut.close();
    }
  });
});

describe('Track writes', () => {
  it('adds and removes 2500 people on a manual segment in calls of at most 1000 ids', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 2600 }) });
    const cio = buildClient(sb);
    const seg = await cio.createManualSegment({ name: 'Manual' });
    const ids = Array.from({ length: 2500 }, (_, i) => customerId(i + 1));
    await cio.addToSegment(seg.id, ids);
    expect(await cio.getSegmentCount(seg.id)).toBe(2500);
    await cio.removeFromSegment(seg.id, ids.slice(0, 1200));
    expect(await cio.getSegmentCount(seg.id)).toBe(1300);
    const track = sb.requests.filter((r) => r.host === 'cio-track');
    expect(track.map((r) => JSON.parse(r.body.toString()).ids.length)).toEqual([1000, 1000, 500, 1000, 200]);
  });

  it('is refused on a data-driven segment with the old error envelope', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 8, name: 'Dyn', members: [1, 2] }] }) });
    const err = await buildClient(sb).addToSegment(8, [customerId(3)]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).status).toBe(400);
    expect((err as PlatformError).message).toMatch(/data-driven/);
  });

  it('identifies a person, whose attributes then read back as strings', async () => {
    const sb = await startCioSandbox();
    const cio = buildClient(sb);
    await cio.identify('new_42', { email: 'new42@example.com', holdout_onsite: true, score: 7 });
    const got = await cio.getAttributes(['new_42']);
    expect(got.get('new_42')).toMatchObject({ email: 'new42@example.com', attributes: { holdout_onsite: 'true', score: '7' } });
    expect(await cio.getRegion()).toEqual({ url: 'https://track.customer.io', region: 'us', environment_id: 3 });
  });
});

describe('faults', () => {
  it('honours Retry-After on a 429 burst', async () => {
    const sb = await startCioSandbox({ faults: { burst429: { every: 2, length: 1, retryAfterSec: 1 } } });
    const cio = buildClient(sb);
    for (let i = 0; i < 3; i++) await cio.getSegmentCount(1).catch(() => undefined);
    const log = sb.requests;
    const limited = log.findIndex((r) => r.response?.status === 429);
    expect(limited).toBe(2);
    expect(log[limited].response!.headers['retry-after']).toBe('1');
    expect(log[limited + 1].at - log[limited].at).toBeGreaterThanOrEqual(990);
  });

  it('retries 5xx until the call succeeds', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 4, name: 'S', members: [1, 3] }] }), faults: { errorRate: 0.5, seed: 7 } });
    const cio = buildClient(sb);
    for (let i = 0; i < 10; i++) expect(await cio.getSegmentCount(4)).toBe(3);
    const statuses = sb.requests.map((r) => r.response?.status);
    expect(statuses.filter((s) => s !== undefined && s >= 500).length).toBeGreaterThan(2);
  });

  it('retries reads after a malformed 2xx body or a timeout', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 4, name: 'S', members: [1, 3] }] }), faults: { malformedRate: 0.5, hangRate: 0.2, hangMs: 2000, seed: 8 } });
    const cio = buildClient(sb, { http: { retry: { retries: 10, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 200 } });
    for (let i = 0; i < 8; i++) expect(await cio.getSegmentCount(4)).toBe(3);
    const kinds = sb.requests.map((r) => r.fault);
    expect(kinds).toContain('malformed');
    expect(kinds).toContain('hang');
  });

  it('a create that times out is looked up, then sent again only because it did not land', async () => {
    // A seed whose first requests go: list ok, POST hangs, lookup ok, POST ok.
    const base = mergeFaults(DEFAULT_FAULTS, { hangRate: 0.5, hangMs: 2000 });
    let seed = 1;
    for (; seed < 1000; seed++) {
      const inj = new FaultInjector({ ...base, seed });
      if (['none', 'hang', 'none', 'none'].every((k) => inj.decide('cio-app').kind === k)) break;
    }
    const sb = await startCioSandbox({ faults: { hangRate: 0.5, hangMs: 2000, seed } });
    const cio = buildClient(sb, { http: { retry: { retries: 3, baseDelayMs: 5, maxDelayMs: 20 }, timeoutMs: 300 } });
    expect(await cio.createManualSegment({ name: 'slow' })).toMatchObject({ name: 'slow', type: 'manual' });
    expect(sb.requests.map((r) => `${r.method} ${r.path} ${r.fault}`)).toEqual([
      'GET /v1/segments none',
      'POST /v1/segments hang',
      'GET /v1/segments none',
      'POST /v1/segments none',
    ]);
    expect(sb.customerio!.state.segments.filter((s) => s.name === 'slow')).toHaveLength(1);
  });

  it('surfaces a quota 429 (no Retry-After) as kind quota after one request', async () => {
    const sb = await startCioSandbox({ faults: { quota429: true } });
    const err = await buildClient(sb).listSegments().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('quota');
    expect((err as PlatformError).status).toBe(429);
    expect((err as PlatformError).message).toMatch(/Customer\.io app API list segments .*429.*quota/);
    expect((err as PlatformError).hint).toMatch(/quota/);
    expect(sb.requests).toHaveLength(1);
    expect(sb.requests[0].response!.headers['retry-after']).toBeUndefined();
  });

  it('never makes a duplicate segment when creates meet connection resets', async () => {
    const sb = await startCioSandbox({ faults: { resetRate: 0.4, seed: 3 } });
    const cio = buildClient(sb);
    for (let i = 0; i < 12; i++) await cio.createManualSegment({ name: `manual ${i}` });
    const names = sb.customerio!.state.segments.map((s) => s.name).sort();
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `manual ${i}`).sort());
    const faults = sb.requests.filter((r) => r.method === 'POST').map((r) => r.fault);
    // Both kinds of reset happened on creates: not applied, and applied but unanswered.
    expect(faults).toContain('reset-before');
    expect(faults).toContain('reset-after');
  });

  it('never exceeds 10 App API requests in any second (server-side timestamps)', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 4, name: 'S', members: [1, 3] }] }) });
    const cio = buildClient(sb);
    // Open the keep-alive connections first, so connection setup does not skew arrival times.
    await Promise.all(Array.from({ length: 8 }, () => cio.getSegmentCount(4)));
    await new Promise((r) => setTimeout(r, 1100));
    const from = sb.requests.length;
    await Promise.all(Array.from({ length: 35 }, () => cio.getSegmentCount(4)));
    const times = sb.requests.slice(from).filter((r) => r.host === 'cio-app').map((r) => r.at);
    expect(times).toHaveLength(35);
    // The emulator's documented model of the limit (a 10/s bucket per key) never refused one: it
    // tolerates arrival jitter up to 900 ms, so this holds on any machine and fails without pacing.
    expect(sb.customerio!.rateLimited).toBe(0);
    // 35 calls at 10/s need three full seconds after the first ten. Arrival times carry scheduling
    // jitter (OS preemption on a loaded 2-core machine: tens of ms), hence 100 ms of slack; the
    // exact invariant is pinned on a fake clock in test/http/limiter.test.ts. Without pacing all 35
    // would arrive within a few ms.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(2900);
    expect(maxInWindow(times, 900)).toBeLessThanOrEqual(10);
  });

  it('a client with a higher rate_limit is answered 429 and still gets through', async () => {
    const sb = await startCioSandbox({ seed: buildSeed({ segments: [{ id: 4, name: 'S', members: [1, 3] }] }) });
    const cio = new CustomerioClient({ provider: { ...sb.providers.customerio, rate_limit: 40 }, http: { retry: { baseDelayMs: 5, maxDelayMs: 50 } } });
    await Promise.all(Array.from({ length: 25 }, () => cio.getSegmentCount(4)));
    expect(sb.customerio!.rateLimited).toBeGreaterThan(0);
    const limited = sb.requests.find((r) => r.response?.status === 429)!;
    expect(JSON.parse(limited.response!.body.toString()).errors[0].detail).toMatch(/^rate limited to 10 requests per 1s \(reference [0-9a-f]+\)$/);
  });
});

describe('regions and base URLs', () => {
  it('uses the documented US and EU hosts unless app_url/track_url override them', () => {
    const base = { app_api_key: 'k-123456', site_id: 'site', track_api_key: 't-123456', rate_limit: 10 };
    const us = new CustomerioClient({ provider: { ...base, region: 'us', app_url: '', track_url: '' } });
    const eu = new CustomerioClient({ provider: { ...base, region: 'eu', app_url: '', track_url: '' } });
    const custom = new CustomerioClient({ provider: { ...base, region: 'eu', app_url: 'http://localhost:9/app/', track_url: 'http://localhost:9/track' } });
    expect([us.appBaseURL, us.trackBaseURL]).toEqual(['https://api.customer.io', 'https://track.customer.io']);
    expect([eu.appBaseURL, eu.trackBaseURL]).toEqual(['https://api-eu.customer.io', 'https://track-eu.customer.io']);
    expect([custom.appBaseURL, custom.trackBaseURL]).toEqual(['http://localhost:9/app', 'http://localhost:9/track']);
  });

  it('asks for Track credentials when they are missing', async () => {
    const sb = await startCioSandbox();
    const cio = new CustomerioClient({ provider: { ...sb.providers.customerio, site_id: undefined, track_api_key: undefined } });
    await expect(cio.identify('x', {})).rejects.toThrow(/site_id and track_api_key are not set/);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
