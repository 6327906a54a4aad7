// The Customer.io client against sandbox variants the other tests do not reach: Track 429s without Retry-After, and an export that fails.
import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../../src/http/errors.js';
import { UNKNOWN_FIELD } from '../../../src/sandbox/customerio/emulator.js';
import { buildClient, buildSeed, customerId, startCioSandbox } from './helpers.js';

describe('Track API throttling', () => {
  it('backs off and completes when Track answers 429 without Retry-After (Track documents no quota)', async () => {
    const sb = await startCioSandbox({
      seed: buildSeed({ people: 2500, segments: [{ id: 9, name: 'Manual', type: 'manual' }] }),
      faults: { burst429: { every: 1, length: 2, retryAfterSec: 1, withoutRetryAfter: true } },
    });
    const cio = buildClient(sb);
    const ids = Array.from({ length: 2500 }, (_, i) => customerId(i + 1));
    await cio.addToSegment(9, ids);
    await cio.identify(customerId(1), { plan: 'gold' });
    const seg = sb.customerio!.state.segments.find((s) => s.id === 9)!;
    expect(seg.members).toHaveLength(2500);
    expect(sb.customerio!.state.people.find((p) => p.id === customerId(1))!.attributes.plan).toBe('gold');
    const refused = sb.requests.filter((r) => r.host === 'cio-track' && r.response?.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(refused.every((r) => r.response!.headers['retry-after'] === undefined)).toBe(true);
  });

  it('the same 429 without Retry-After on the App API is a quota: one request, then a clear error', async () => {
    const sb = await startCioSandbox({ faults: { burst429: { every: 1, length: 50, retryAfterSec: 1, withoutRetryAfter: true } } });
    const cio = buildClient(sb);
    await cio.listSegments();
    const from = sb.requests.length;
    const err = await cio.listSegments().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).kind).toBe('quota');
    expect(sb.requests.length - from).toBe(1);
  });
});

describe('membership answer shapes (the schema is a oneOf)', () => {
  for (const shape of ['ids', 'identifiers', 'both'] as const) {
    it(`reads every member when pages carry ${shape === 'both' ? 'ids and identifiers' : `only ${shape}`}`, async () => {
      const sb = await startCioSandbox({ seed: buildSeed({ people: 1200, segments: [{ id: 3, name: 'S', members: [1, 1200] }] }) });
      sb.customerio!.variants.membershipShape = shape;
      const members = await buildClient(sb).listMembership(3, { limit: 500 });
      expect(members.map((m) => m.id)).toEqual(Array.from({ length: 1200 }, (_, i) => customerId(i + 1)));
      // cio_id and email only travel in identifiers.
      expect(members.every((m) => (shape === 'ids' ? m.cio_id == null : typeof m.cio_id === 'string'))).toBe(true);
      const pages = sb.requests.filter((r) => r.path === '/v1/segments/3/membership');
      expect(pages).toHaveLength(3);
      const body = JSON.parse(pages[0].response!.body.toString()) as Record<string, unknown>;
      expect('ids' in body).toBe(shape !== 'identifiers');
      expect('identifiers' in body).toBe(shape !== 'ids');
    });
  }
});

describe('forward compatibility: fields added without notice', () => {
  /** The same workload, returning everything the client parsed. */
  async function workload(unknownFields: boolean) {
    const sb = await startCioSandbox({ seed: buildSeed({ people: 30, segments: [{ id: 4, name: 'Dyn', members: [1, 25] }] }) });
    sb.customerio!.variants.unknownFields = unknownFields;
    sb.customerio!.variants.exportDelayMs = 50;
    const cio = buildClient(sb);
    const created = await cio.createManualSegment({ name: 'Manual', description: 'd' });
    await cio.addToSegment(created.id, [customerId(1), customerId(2)]);
    await cio.identify(customerId(3), { plan: 'gold' });
    const out = {
      segments: (await cio.listSegments()).map(({ created_at, updated_at, deduplicate_id, ...rest }) => rest),
      segment: (await cio.getSegment(4))?.name,
      count: await cio.getSegmentCount(4),
      usedBy: await cio.getSegmentUsedBy(4),
      members: await cio.listMembership(4, { limit: 10 }),
      personSegments: await cio.getCustomerSegments(customerId(1)),
      attributes: [...(await cio.getAttributes([customerId(1), customerId(3), 'nobody'])).entries()].map(([k, v]) => [k, v.attributes]),
      exported: await collect(cio.exportSegment(4, ['plan'])),
      region: await cio.getRegion(),
    };
    const sawUnknown = sb.requests.some((r) => r.response?.body.toString().includes(UNKNOWN_FIELD));
    return { out, sawUnknown };
  }

  it('parses every answer the same when each JSON object carries a new key', async () => {
    const plain = await workload(false);
    const extended = await workload(true);
    expect(plain.sawUnknown).toBe(false);
    expect(extended.sawUnknown).toBe(true);
    expect(JSON.stringify(extended.out)).not.toContain(UNKNOWN_FIELD);
    expect(extended.out).toEqual(plain.out);
  });
});

describe('exports', () => {
  it('stops with a clear error when the sandbox fails the export (variants.exportFails)', async () => {
    const sb = await startCioSandbox();
    sb.customerio!.variants.exportFails = true;
    const cio = buildClient(sb);
    const e = await cio.createExport({ filters: { attribute: { field: 'plan', operator: 'eq', value: 'pro' } } });
    const err = await collect(cio.downloadExport(e.id)).catch((x: unknown) => x);
    expect(String((err as Error).message)).toMatch(/export \d+ failed/);
    // It polled while pending and never asked for a download link.
    expect(sb.requests.filter((r) => r.path === `/v1/exports/${e.id}`).length).toBeGreaterThanOrEqual(2);
    expect(sb.requests.some((r) => r.path.endsWith('/download'))).toBe(false);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
