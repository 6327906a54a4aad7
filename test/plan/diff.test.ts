// diffResources: apply-then-plan-empty through the converters for every kind, drift reverted, references, ownership, renames, adoption, ordering, checksum.
import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../src/plan/compile.js';
import { diffResources, planChecksum } from '../../src/plan/diff.js';
import type { Config } from '../../src/config/types.js';
import type { Plan } from '../../src/plan/types.js';
import { FakePlatforms } from './fake-platform.js';
import { activity, audience, config, exp, manualSegment, offer, rootConfig, segment } from './builders.js';

/** Platforms seeded with the root program's data-driven segments, as a real workspace would be. */
function seeded(c: Config): FakePlatforms {
  const fake = new FakePlatforms(c.workspace);
  for (const s of Object.values(c.segments)) if (s.type === 'data_driven' && s.id !== undefined) fake.addDynamicSegment(s.id, s.name);
  return fake;
}

function plan(c: Config, fake: FakePlatforms): Plan {
  return diffResources(compileDesired(c), fake.populate());
}

const actions = (p: Plan) => p.changes.map((c) => `${c.action} ${c.address}`);

describe('apply then plan is empty', () => {
  it('for the root program (segments, audiences, offers, activities)', () => {
    const c = rootConfig();
    const fake = seeded(c);
    const first = plan(c, fake);
    expect(first.summary).toEqual({ create: 14 + 7 + 4, update: 0, delete: 0, replace: 0, manual: 0 });
    fake.apply(first);
    const second = plan(c, fake);
    expect(second.changes).toEqual([]);
    expect(second.summary).toEqual({ create: 0, update: 0, delete: 0, replace: 0, manual: 0 });
  });

  it('for manual segments and AB activities with schedules', () => {
    const c = config({
      segments: [manualSegment('vip_list', { description: 'Hand-picked VIPs' })],
      offers: [offer('a', { content: '<p>\n  A  \n</p>' }), offer('b')],
      activities: [
        activity('test', {
          type: 'ab',
          state: 'saved',
          starts_at: '2026-12-01',
          ends_at: '2027-01-01T08:00',
          experiences: [exp(undefined, 'a', { name: 'A', percent: 50 }), exp(undefined, 'b', { name: 'B', percent: 50 })],
        }),
      ],
    });
    const fake = seeded(c);
    fake.apply(plan(c, fake));
    expect(plan(c, fake).changes).toEqual([]);
  });

  it('after out-of-band edits are reverted by a second apply', () => {
    const c = rootConfig();
    const fake = seeded(c);
    fake.apply(plan(c, fake));
    // Someone edits Target by hand.
    const aud = [...fake.audiences.values()].find((a) => a.name === 'VIP')!;
    aud.targetRule = { and: [{ profile: 'seg_vip_high_ltv', equals: ['true'] }] };
    const off = [...fake.offers.values()].find((o) => o.name === 'Default hero')!;
    off.content = off.content!.replace('New arrivals', 'Old arrivals');
    const act = [...fake.activities.values()].find((a) => a.name === 'Site banner: win-back offer')!;
    act.priority = 5;
    act.state = 'deactivated';
    const drift = plan(c, fake);
    expect(actions(drift)).toEqual([
      'update adobe_target.audience.vip',
      'update adobe_target.offer.default_hero',
      'update adobe_target.activity.winback_banner',
    ]);
    expect(drift.changes[2].fields.map((f) => f.path)).toEqual(['priority', 'state']);
    fake.apply(drift);
    expect(plan(c, fake).changes).toEqual([]);
  });
});

describe('diffResources', () => {
  it('reports data-driven segments that are missing, of the wrong type or renamed as manual changes only', () => {
    const c = rootConfig();
    const fake = new FakePlatforms(c.workspace);
    fake.addDynamicSegment(101, 'Cart Abandoned (last 4h)');
    fake.addDynamicSegment(102, 'First-Time Buyer (30 days)');
    fake.segments.set(103, { id: 103, name: 'Replenishment Due (21-28d)', type: 'manual' });
    const p = diffResources(compileDesired(c).filter((r) => r.platform === 'customerio'), fake.populate());
    expect(p.changes.every((ch) => ch.action === 'manual')).toBe(true);
    expect(p.changes.map((ch) => ch.key)).toEqual([
      'clicked_no_purchase_7d',
      'first_time_buyer_30d',
      'lapsed_90d',
      'purchased_14d',
      'replenishment_due',
      'vip_high_ltv',
    ]);
    const renamed = p.changes.find((ch) => ch.key === 'first_time_buyer_30d')!;
    expect(renamed.reason).toMatch(/named "First-Time Buyer \(30 days\)" in Customer.io/);
    expect(renamed.fields).toEqual([{ path: 'name', before: 'First-Time Buyer (30 days)', after: 'First-Time Buyer (30d)' }]);
    expect(p.changes.find((ch) => ch.key === 'replenishment_due')!.reason).toMatch(/manual segment, not data-driven/);
    expect(p.changes.find((ch) => ch.key === 'vip_high_ltv')!.reason).toMatch(/not found/);
  });

  it('never touches objects it does not own, and warns when one carries a declared name', () => {
    const c = config({ segments: [segment('s')], audiences: [audience('vip', 's', { name: 'VIP' })] });
    const fake = new FakePlatforms(c.workspace);
    fake.audiences.set(1, { id: 1, name: 'VIP', description: 'made by hand', targetRule: { and: [] } });
    fake.audiences.set(2, { id: 2, name: 'Other', description: 'x\n[audiences:staging:vip]', targetRule: { and: [] } });
    const p = diffResources(compileDesired(c).filter((r) => r.platform === 'adobe_target'), fake.populate());
    expect(actions(p)).toEqual(['create adobe_target.audience.vip']);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatchObject({ code: 'name_collision', address: 'adobe_target.audience.vip' });
    expect(p.warnings[0].message).toMatch(/Adobe Target audience 1 is named "VIP"/);
  });

  it('adopts an unowned object with the declared name when asked, then plans nothing', () => {
    const c = config({ segments: [segment('s', { id: 9 })], audiences: [audience('vip', 's', { name: 'VIP' })], offers: [offer('o', { name: 'Hero' })] });
    const fake = seeded(c);
    fake.audiences.set(1, { id: 1, name: 'VIP', description: 'made by hand', targetRule: { and: [{ profile: 'seg_s', equals: ['true'] }] } });
    fake.offers.set(2, { id: 2, name: 'Hero', content: '<div class="o">o</div>' });
    fake.offers.set(3, { id: 3, name: 'Hero', content: 'twin' }); // two candidates: ambiguous, not adopted
    fake.audiences.set(4, { id: 4, name: 'VIP', description: '[audiences:staging:vip]', targetRule: null as never });
    const p = diffResources(compileDesired(c), fake.populate(), { adopt: true });
    expect(actions(p)).toEqual(['update adobe_target.audience.vip', 'create adobe_target.offer.o']);
    expect(p.changes[0]).toMatchObject({ id: 1, previousKey: '#1', reason: 'adopt existing audience 1 (same name, not managed yet)' });
    expect(p.changes[0].fields.map((f) => f.path)).toEqual(['key', 'description']);
    fake.apply(p);
    expect(actions(plan(c, fake))).toEqual([]);
  });

  it('deletes owned objects no longer declared, activities before what they use', () => {
    const c = rootConfig();
    const fake = seeded(c);
    fake.apply(plan(c, fake));
    const smaller = rootConfig();
    delete smaller.activities.winback_banner;
    delete smaller.offers.winback_15;
    smaller.cooldowns.post_purchase.suppress = ['cart_welcome_code'];
    const p = plan(smaller, fake);
    expect(actions(p)).toEqual([
      'delete adobe_target.activity.winback_banner',
      'delete adobe_target.audience.winback_banner/lapsed_winback',
      'delete adobe_target.offer.winback_15',
    ]);
    expect(p.changes[1].dependsOn).toEqual(['adobe_target.activity.winback_banner']);
    expect(p.changes[2].dependsOn).toEqual(['adobe_target.activity.winback_banner']);
    fake.apply(p);
    expect(plan(smaller, fake).changes).toEqual([]);
  });

  it('orders creates by dependency and records dependsOn', () => {
    const c = config({
      segments: [manualSegment('m')],
      audiences: [audience('a', 'm')],
      offers: [offer('o')],
      activities: [activity('x', { experiences: [exp('a', 'o')] })],
    });
    const p = diffResources(compileDesired(c), []);
    expect(actions(p)).toEqual([
      'create customerio.segment.m',
      'create adobe_target.audience.a',
      'create adobe_target.offer.o',
      'create adobe_target.activity.x',
    ]);
    expect(p.changes[3].dependsOn).toEqual(['adobe_target.audience.a', 'adobe_target.offer.o']);
  });

  it('renames through previous_keys and moved keep the remote object', () => {
    const before = config({
      segments: [segment('s', { id: 9 }), manualSegment('list', { name: 'List' })],
      audiences: [audience('vip', 's')],
      offers: [offer('hero')],
      activities: [activity('act', { experiences: [exp('vip', 'hero')] })],
    });
    const fake = seeded(before);
    fake.apply(plan(before, fake));
    const ids = { aud: [...fake.audiences.keys()][0], off: [...fake.offers.keys()][0], act: [...fake.activities.keys()][0] };

    const after = config({
      segments: [segment('s', { id: 9 }), manualSegment('members', { name: 'List', previous_keys: ['list'] })],
      audiences: [audience('vips', 's', { name: 'Audience vip', previous_keys: ['vip'] })],
      offers: [offer('hero_v2', { name: 'Offer hero', content: '<div class="hero">hero</div>' })],
      activities: [activity('activity', { name: 'Activity act', location: 'act-mbox', previous_keys: ['act'], experiences: [exp('vips', 'hero_v2', { name: 'Audience vip' })] })],
      moved: [{ from: 'offers.hero', to: 'offers.hero_v2' }],
    });
    const p = plan(after, fake);
    expect(actions(p)).toEqual([
      'update adobe_target.audience.vips',
      'update adobe_target.offer.hero_v2',
      'update adobe_target.activity.activity',
    ]);
    expect(p.changes[0]).toMatchObject({ previousKey: 'vip', id: ids.aud, fields: [{ path: 'key', before: 'vip', after: 'vips' }] });
    expect(p.changes[1]).toMatchObject({ previousKey: 'hero', id: ids.off });
    expect(p.changes[2].id).toBe(ids.act);
    // The renamed audience and offer keep their ids, so the activity only changes its own key.
    expect(p.changes[2].fields.map((f) => f.path)).toEqual(['key']);
    fake.apply(p);
    expect(plan(after, fake).changes).toEqual([]);
    expect([...fake.audiences.keys()]).toEqual([ids.aud]);
    expect([...fake.activities.keys()]).toEqual([ids.act]);
  });

  it('renames activity-specific audiences with their activity', () => {
    const c = rootConfig();
    const fake = seeded(c);
    fake.apply(plan(c, fake));
    const renamed = rootConfig();
    const { winback_banner: wb, ...rest } = renamed.activities;
    renamed.activities = { ...rest, lapsed_banner: { ...wb, key: 'lapsed_banner', previous_keys: ['winback_banner'] } };
    renamed.cooldowns.post_purchase.suppress = ['lapsed_banner', 'cart_welcome_code'];
    const p = plan(renamed, fake);
    expect(actions(p)).toEqual(['update adobe_target.audience.lapsed_banner/lapsed_winback', 'update adobe_target.activity.lapsed_banner']);
    expect(p.changes[0].fields.map((f) => f.path)).toEqual(['key', 'description']);
    fake.apply(p);
    expect(plan(renamed, fake).changes).toEqual([]);
  });

  it('replaces a manual segment whose name changes, as a destructive change', () => {
    const c = config({ segments: [manualSegment('m', { name: 'Old' })] });
    const fake = seeded(c);
    fake.apply(plan(c, fake));
    const renamed = config({ segments: [manualSegment('m', { name: 'New' })] });
    const p = plan(renamed, fake);
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]).toMatchObject({ action: 'replace', destructive: true, fields: [{ path: 'name', before: 'Old', after: 'New' }] });
    expect(p.changes[0].reason).toMatch(/no segment update API/);
    fake.apply(p);
    expect(plan(renamed, fake).changes).toEqual([]);
    const gone = plan(config({}), fake);
    expect(gone.changes[0]).toMatchObject({ action: 'delete', destructive: true });
  });

  it('deletes a duplicate carrying the same marker and keeps the first', () => {
    const c = config({ offers: [offer('o')] });
    const fake = seeded(c);
    fake.apply(plan(c, fake));
    const [id, o] = [...fake.offers][0];
    fake.offers.set(id + 100, { ...o, id: id + 100 });
    const p = plan(c, fake);
    expect(actions(p)).toEqual([`delete adobe_target.offer.o#${id + 100}`]);
  });

  it('is deterministic: input order does not matter and the checksum follows the changes', () => {
    const c = rootConfig();
    const desired = compileDesired(c);
    const a = diffResources(desired, []);
    const b = diffResources([...desired].reverse(), []);
    expect(b).toEqual(a);
    expect(a.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(a.checksum).toBe(planChecksum(a.changes));
    const other = diffResources(desired.slice(1), []);
    expect(other.checksum).not.toBe(a.checksum);
  });

  it('limits the diff to the platforms that were read', () => {
    const p = diffResources(compileDesired(rootConfig()), [], { platforms: ['customerio'] });
    expect(p.changes.every((ch) => ch.platform === 'customerio')).toBe(true);
  });
});
