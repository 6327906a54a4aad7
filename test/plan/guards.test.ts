// checkGuards: each guard refuses without --force, with a message that says what to do.
import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../src/plan/compile.js';
import { diffResources } from '../../src/plan/diff.js';
import { checkGuards } from '../../src/plan/guards.js';
import type { Config } from '../../src/config/types.js';
import { FakePlatforms } from './fake-platform.js';
import { activity, audience, config, exp, manualSegment, offer, rootConfig, segment } from './builders.js';

const NOW = new Date('2026-12-04T12:00:00Z');

function applied(c: Config): FakePlatforms {
  const fake = new FakePlatforms(c.workspace);
  for (const s of Object.values(c.segments)) if (s.type === 'data_driven' && s.id !== undefined) fake.addDynamicSegment(s.id, s.name);
  fake.apply(diffResources(compileDesired(c), fake.populate()));
  return fake;
}

function guard(c: Config, fake: FakePlatforms, extra: Partial<Parameters<typeof checkGuards>[2]> = {}) {
  const existing = fake.populate();
  const desired = compileDesired(c);
  const plan = diffResources(desired, existing);
  return { plan, result: checkGuards(plan, existing, { force: false, now: NOW, desired, ...extra }) };
}

const offers = (n: number) => Array.from({ length: n }, (_, i) => offer(`o${String(i).padStart(2, '0')}`));

describe('checkGuards', () => {
  it('passes a first apply and an empty plan', () => {
    const c = rootConfig();
    const fake = new FakePlatforms(c.workspace);
    for (const s of Object.values(c.segments)) fake.addDynamicSegment(s.id!, s.name);
    expect(guard(c, fake).result).toEqual({ ok: true, refusals: [], overridden: [] });
    fake.apply(guard(c, fake).plan);
    expect(guard(c, fake).result.ok).toBe(true);
  });

  it('refuses updating or deleting more than 30% of one kind once there are 10 or more', () => {
    const fake = applied(config({ offers: offers(10) }));
    const fewer = config({ offers: offers(6) });
    const { result } = guard(fewer, fake);
    expect(result.ok).toBe(false);
    expect(result.refusals).toHaveLength(1);
    expect(result.refusals[0]).toMatchObject({ guard: 'mass_delete', address: 'adobe_target.offer' });
    expect(result.refusals[0].message).toBe('Too many deletes of Adobe Target offers: 4 of 10 managed (40%) is over 30%.');
    expect(result.refusals[0].hint).toMatch(/--force/);
    // 3 of 10 is fine.
    expect(guard(config({ offers: offers(7) }), fake).result.ok).toBe(true);

    const changed = config({ offers: offers(10).map((o, i) => (i < 4 ? { ...o, name: `${o.name}!` } : o)) });
    expect(guard(changed, fake).result.refusals.map((r) => r.guard)).toEqual(['mass_update']);
    // Below 10 objects the share guard does not apply.
    const small = applied(config({ offers: offers(9) }));
    expect(guard(config({ offers: [] }), small).result.ok).toBe(true);
  });

  it('--force turns refusals into overridden warnings', () => {
    const fake = applied(config({ offers: offers(10) }));
    const { plan } = guard(config({}), fake);
    const forced = checkGuards(plan, fake.populate(), { force: true, now: NOW });
    expect(forced.ok).toBe(true);
    expect(forced.refusals).toEqual([]);
    expect(forced.overridden.map((r) => r.guard)).toEqual(['mass_delete']);
  });

  it('refuses destructive changes (manual segment replace)', () => {
    const fake = applied(config({ segments: [manualSegment('m', { name: 'Old' })] }));
    const { result } = guard(config({ segments: [manualSegment('m', { name: 'New' })] }), fake);
    expect(result.refusals.map((r) => [r.guard, r.address])).toEqual([['destructive', 'customerio.segment.m']]);
    expect(result.refusals[0].message).toMatch(/loses data/);
  });

  it('refuses deleting an audience or offer a live activity still uses', () => {
    const c = config({
      segments: [segment('s', { id: 1 })],
      audiences: [audience('a', 's')],
      offers: [offer('o')],
      activities: [activity('x', { experiences: [exp('a', 'o')] })],
    });
    const fake = applied(c);
    // A hand-made live activity in Target (not ours) uses our audience and offer.
    const ours = [...fake.activities.values()][0];
    fake.activities.set(5, { ...ours, id: 5, thirdPartyId: undefined, name: 'Hand made' });
    const without = config({ segments: [segment('s', { id: 1 })] });
    const { result } = guard(without, fake);
    expect(result.refusals.map((r) => [r.guard, r.address])).toEqual([
      ['live_dependency', 'adobe_target.audience.a'],
      ['live_dependency', 'adobe_target.offer.o'],
    ]);
    expect(result.refusals[0].message).toMatch(/live activity adobe_target.activity.#5 \(Target id 5\)/);
    // Our own activity is deleted first by the same plan, so it does not count; a saved one never does.
    fake.activities.get(5)!.state = 'saved';
    expect(guard(without, fake).result.ok).toBe(true);
  });

  it('does not count activities outside their schedule as live', () => {
    const c = config({
      segments: [segment('s', { id: 1 })],
      audiences: [audience('a', 's')],
      offers: [offer('o')],
      activities: [activity('x', { ends_at: '2026-11-30', experiences: [exp('a', 'o')] })],
    });
    const fake = applied(c);
    const ours = [...fake.activities.values()][0];
    fake.activities.set(5, { ...ours, id: 5, thirdPartyId: undefined });
    expect(guard(config({ segments: [segment('s', { id: 1 })] }), fake).result.ok).toBe(true);
  });

  it('refuses reordering precedence of a live activity', () => {
    const c = rootConfig();
    const fake = applied(c);
    const reordered = rootConfig();
    reordered.precedence = ['vip', ...reordered.precedence.filter((k) => k !== 'vip')];
    const { result } = guard(reordered, fake);
    const live = result.refusals.filter((r) => r.guard === 'live_precedence');
    expect(live.map((r) => r.address)).toContain('adobe_target.activity.homepage_hero');
    expect(live.find((r) => r.address === 'adobe_target.activity.homepage_hero')!.message).toMatch(
      /experience order cart_abandoners > replenishment_due > vip > everyone else becomes vip > cart_abandoners/,
    );
  });

  it('refuses changing the holdout of a live activity', () => {
    const c = rootConfig();
    const fake = applied(c);
    const changed = rootConfig();
    changed.holdouts.q1 = { key: 'q1', percent: 5, salt: 'q1', writeback: false };
    changed.activities.winback_banner.holdout = 'q1';
    const { result } = guard(changed, fake);
    expect(result.refusals.map((r) => [r.guard, r.address])).toEqual([['live_holdout', 'adobe_target.activity.winback_banner']]);
    expect(result.refusals[0].message).toMatch(/from onsite_control to q1/);
    // The same change on a saved (not live) activity is fine.
    [...fake.activities.values()].find((a) => a.name === 'Site banner: win-back offer')!.state = 'saved';
    changed.activities.winback_banner.state = 'saved';
    expect(guard(changed, fake).result.ok).toBe(true);
  });

  it('refuses a platform read that came back empty against evidence', () => {
    const c = rootConfig();
    c.segments.vip_list = manualSegment('vip_list');
    const empty = new FakePlatforms(c.workspace);
    const { result } = guard(c, empty);
    // Customer.io: the config references 7 data-driven segments that must exist.
    expect(result.refusals.map((r) => [r.guard, r.platform])).toEqual([['empty_read', 'customerio']]);
    expect(result.refusals[0].message).toMatch(/references 7 object/);
    expect(result.refusals[0].hint).toMatch(/credentials/);
    // Only data-driven references: nothing would be written, so nothing to refuse (the plan lists them as manual).
    delete c.segments.vip_list;
    expect(guard(c, empty).result.ok).toBe(true);
    c.segments.vip_list = manualSegment('vip_list');
    // Target: empty read is suspicious only with outside evidence (a previous run saw objects).
    const withHistory = guard(c, empty, { evidence: { adobe_target: { count: 25, source: 'the last drift run' } } });
    expect(withHistory.result.refusals.map((r) => r.platform)).toEqual(['customerio', 'adobe_target']);
    expect(withHistory.result.refusals[1].message).toMatch(/the last drift run counted 25 managed object/);
  });

  it('refuses a Target read with none of our objects where the evidence counted some, even if others are there', () => {
    const c = rootConfig();
    const evidence = { adobe_target: { count: 25, source: 'the plan file plan.json' } };
    // Another workspace's objects only: the read is not empty, but none is ours.
    const theirs = applied({ ...rootConfig(), workspace: 'someone-else' });
    const foreign = Object.assign(new FakePlatforms(c.workspace), { segments: theirs.segments, audiences: theirs.audiences, offers: theirs.offers, activities: theirs.activities });
    const refused = guard(c, foreign, { evidence });
    expect(refused.result.refusals.map((r) => [r.guard, r.platform])).toEqual([['empty_read', 'adobe_target']]);
    expect(refused.result.refusals[0].message).toMatch(/returned no object of this workspace, yet the plan file plan\.json counted 25/);
    expect(guard(c, foreign, { evidence, force: true }).result.overridden.map((r) => r.guard)).toEqual(['empty_read']);
    // No evidence, or evidence of an empty platform: a first apply.
    expect(guard(c, foreign).result.ok).toBe(true);
    expect(guard(c, foreign, { evidence: { adobe_target: { count: 0, source: 'the last drift run' } } }).result.ok).toBe(true);
    // Our objects are there (an edit, not a wrong account): evidence does not matter.
    const ours = applied(c);
    const edited = { ...rootConfig(), offers: { ...c.offers, extra: offer('extra') } };
    expect(guard(edited, ours, { evidence }).result.refusals.filter((r) => r.guard === 'empty_read')).toEqual([]);
  });
});
