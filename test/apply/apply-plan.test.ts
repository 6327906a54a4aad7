// The apply engine with scripted providers: dependency order, ids carried forward, failures isolated, manual never attempted.
import { describe, expect, it } from 'vitest';
import { applyPlan, type ChangeApplier } from '../../src/apply/apply-plan.js';
import type { Change } from '../../src/plan/types.js';

function buildChange(address: string, over: Partial<Change> = {}): Change {
  const [platform, kind, key] = address.split('.') as [Change['platform'], Change['kind'], string];
  return { address, platform, kind, key, action: 'create', before: null, after: {}, fields: [], dependsOn: [], ...over };
}

function scripted(fail: Set<string> = new Set(), delayMs = 0) {
  const calls: Array<{ address: string; seen: Record<string, unknown> }> = [];
  let nextId = 100;
  let inFlight = 0;
  let maxInFlight = 0;
  const applier: ChangeApplier = {
    async apply(change, ctx) {
      const ids = ctx.ids;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, delayMs));
      inFlight--;
      const seen: Record<string, unknown> = {};
      for (const d of change.dependsOn) seen[d] = ids.idOf(d);
      calls.push({ address: change.address, seen });
      if (fail.has(change.address)) return { address: change.address, status: 'failed', message: `Adobe Target admin API ${change.action} → 500 failed` };
      if (change.address.endsWith('.throws')) throw new Error('unexpected throw');
      return change.action === 'delete' ? { address: change.address, status: 'succeeded' } : { address: change.address, status: 'succeeded', id: change.id ?? nextId++ };
    },
  };
  return { applier, calls, maxInFlight: () => maxInFlight };
}

describe('applyPlan', () => {
  it('creates dependencies first and hands their new ids to the activity', async () => {
    const s = scripted();
    const changes = [
      buildChange('adobe_target.audience.vip'),
      buildChange('adobe_target.offer.hero'),
      buildChange('adobe_target.activity.home', { dependsOn: ['adobe_target.audience.vip', 'adobe_target.offer.hero'] }),
    ];
    const results = await applyPlan(changes, { adobe_target: s.applier }, new Map(), { workspace: 'w' });
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const act = s.calls.find((c) => c.address === 'adobe_target.activity.home')!;
    expect(Object.values(act.seen).sort()).toEqual([100, 101]);
    expect(s.calls.at(-1)!.address).toBe('adobe_target.activity.home');
  });

  it('passes ids read by populate for objects the plan does not touch', async () => {
    const s = scripted();
    const changes = [buildChange('adobe_target.activity.home', { action: 'update', id: 7, dependsOn: ['adobe_target.audience.vip'] })];
    await applyPlan(changes, { adobe_target: s.applier }, new Map([['adobe_target.audience.vip', 55]]), { workspace: 'w' });
    expect(s.calls[0]!.seen).toEqual({ 'adobe_target.audience.vip': 55 });
  });

  it('skips the dependents of a failed change and goes on with independent ones', async () => {
    const s = scripted(new Set(['adobe_target.offer.hero']));
    const changes = [
      buildChange('adobe_target.audience.vip'),
      buildChange('adobe_target.offer.hero'),
      buildChange('adobe_target.activity.home', { dependsOn: ['adobe_target.offer.hero'] }),
      buildChange('adobe_target.activity.other', { dependsOn: ['adobe_target.audience.vip'] }),
      buildChange('adobe_target.activity.third', { dependsOn: ['adobe_target.activity.home'] }),
      buildChange('customerio.segment.data', { action: 'manual', reason: 'Manual action required: rename it in the UI.' }),
    ];
    const results = await applyPlan(changes, { adobe_target: s.applier }, new Map(), { workspace: 'w' });
    expect(results.map((r) => [r.address, r.status])).toEqual([
      ['adobe_target.audience.vip', 'succeeded'],
      ['adobe_target.offer.hero', 'failed'],
      ['adobe_target.activity.home', 'skipped'],
      ['adobe_target.activity.other', 'succeeded'],
      ['adobe_target.activity.third', 'skipped'],
      ['customerio.segment.data', 'skipped'],
    ]);
    expect(results[1]!.message).toMatch(/500 failed/);
    expect(results[2]!.message).toBe('depends on create adobe_target.offer.hero, which failed');
    expect(results[4]!.message).toBe('depends on create adobe_target.activity.home, which was skipped');
    expect(results[5]!.message).toMatch(/Manual action required/);
    expect(s.calls.map((c) => c.address)).not.toContain('customerio.segment.data');
  });

  it('fails changes of a platform with no provider, and bounds concurrency', async () => {
    const s = scripted(new Set(), 15);
    const changes = Array.from({ length: 10 }, (_, i) => buildChange(`adobe_target.offer.o${i}`));
    changes.push(buildChange('customerio.segment.m'));
    const results = await applyPlan(changes, { adobe_target: s.applier }, new Map(), { workspace: 'w', concurrency: 3 });
    expect(s.maxInFlight()).toBe(3);
    expect(results.at(-1)).toMatchObject({ status: 'failed', message: 'no provider for customerio is configured' });
    const thrown = await applyPlan([buildChange('adobe_target.offer.throws')], { adobe_target: s.applier }, new Map(), { workspace: 'w' });
    expect(thrown[0]).toMatchObject({ status: 'failed', message: 'unexpected throw' });
  });

  it('keeps two changes on one address apart (a duplicate deleted while its twin is updated)', async () => {
    const s = scripted(new Set());
    const changes = [
      buildChange('adobe_target.offer.a', { action: 'update', id: 1 }),
      buildChange('adobe_target.offer.a', { action: 'delete', id: 2 }),
    ];
    const results = await applyPlan(changes, { adobe_target: s.applier }, new Map(), { workspace: 'w' });
    expect(results.map((r) => `${r.action}:${r.status}`)).toEqual(['update:succeeded', 'delete:succeeded']);
  });
});
