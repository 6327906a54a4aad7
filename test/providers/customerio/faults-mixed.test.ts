// 1,000 mixed Customer.io calls under 20% injected faults (10% 5xx, 10% connection resets, half of
// them after the request was applied) all end with the right result, and creates never duplicate.
import { describe, expect, it } from 'vitest';
import { CustomerioClient } from '../../../src/providers/customerio/client.js';
import { buildSeed, customerId, startCioSandbox } from './helpers.js';

describe('mixed calls under faults', () => {
  it('1000 calls under 20% faults all give the right result', async () => {
    const sb = await startCioSandbox({
      seed: buildSeed({ people: 300, segments: [{ id: 1, name: 'Dyn', members: [1, 250] }] }),
      faults: { seed: 99, errorRate: 0.1, resetRate: 0.1 },
    });
    // Lift the emulator's per-key limit and the client's pacing together: this test is about faults.
    sb.customerio!.variants.rateLimitPerSec = 5000;
    const cio = new CustomerioClient({
      provider: { ...sb.providers.customerio, rate_limit: 5000 },
      http: { retry: { retries: 12, baseDelayMs: 2, maxDelayMs: 20 }, timeoutMs: 5000, concurrency: 16 },
    });
    const manual = await cio.createManualSegment({ name: 'target manual' });
    const members = new Set<string>();

    const calls: Array<() => Promise<void>> = [];
    for (let i = 0; i < 1000; i++) {
      switch (i % 8) {
        case 0:
          calls.push(async () => expect(await cio.getSegmentCount(1)).toBe(250));
          break;
        case 1:
          calls.push(async () => expect((await cio.getSegment(1))?.name).toBe('Dyn'));
          break;
        case 2:
          calls.push(async () => {
            const got = await cio.getAttributes([customerId((i % 300) + 1), 'ghost']);
            expect([...got.keys()]).toEqual([customerId((i % 300) + 1)]);
          });
          break;
        case 3:
          calls.push(async () => {
            const s = await cio.createManualSegment({ name: `made ${i}` });
            expect(s).toMatchObject({ name: `made ${i}`, type: 'manual' });
          });
          break;
        case 4:
          calls.push(async () => {
            const id = customerId((i % 300) + 1);
            members.add(id);
            await cio.addToSegment(manual.id, [id]);
          });
          break;
        case 5:
          calls.push(async () => cio.identify(`person_${i}`, { step: i }));
          break;
        case 6:
          calls.push(async () => expect((await cio.getCustomerSegments(customerId(3)))?.map((s) => s.id)).toContain(1));
          break;
        default:
          calls.push(async () => expect((await cio.listMembership(1, { limit: 100 })).length).toBe(250));
      }
    }
    await Promise.all(calls.map((c) => c()));

    const state = sb.customerio!.state;
    const made = state.segments.filter((s) => s.name.startsWith('made '));
    expect(made).toHaveLength(125);
    expect(new Set(made.map((s) => s.name)).size).toBe(125);
    expect(state.segments.find((s) => s.id === manual.id)!.members).toHaveLength(members.size);
    for (let i = 5; i < 1000; i += 8) expect(state.people.find((p) => p.id === `person_${i}`)?.attributes.step).toBe(String(i));
    const faults = sb.requests.map((r) => r.fault);
    expect(faults.filter((f) => f !== 'none').length / faults.length).toBeGreaterThan(0.15);
    expect(faults).toContain('reset-after');
  });
});
