// compileDesired: the root program, targetRule mapping, activity-specific audiences, precedence exclusions, priorities.
import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../src/plan/compile.js';
import type { Resource } from '../../src/plan/types.js';
import { activity, audience, config, exp, manualSegment, offer, rootConfig, segment, where } from './builders.js';

const find = (rs: Resource[], address: string) => {
  const r = rs.find((x) => x.address === address);
  if (!r) throw new Error(`no ${address} in ${rs.map((x) => x.address).join(', ')}`);
  return r;
};

describe('compileDesired on the root program', () => {
  const rs = compileDesired(rootConfig());

  it('compiles every declared object plus activity-specific audiences', () => {
    const count = (kind: string) => rs.filter((r) => r.kind === kind).length;
    expect(count('segment')).toBe(7);
    expect(count('offer')).toBe(7);
    expect(count('activity')).toBe(4);
    // 6 shared audiences + one per experience of activities with a holdout/cooldown (4 + 2 + 1 + 1).
    expect(count('audience')).toBe(6 + 8);
  });

  it('keeps data-driven segments as read-only references with their expected id and name', () => {
    const s = find(rs, 'customerio.segment.vip_high_ltv');
    expect(s.managed).toBe(false);
    expect(s.id).toBe(104);
    expect(s.attrs).toEqual({ name: 'High LTV VIP', type: 'dynamic' });
  });

  it('writes shared audience rules on the attributes sync writes', () => {
    expect(find(rs, 'adobe_target.audience.vip').attrs.targetRule).toEqual({
      and: [
        { profile: 'seg_vip_high_ltv', equals: ['true'] },
        { profile: 'trait_lifetime_value', greaterEquals: ['500'] },
      ],
    });
    expect(find(rs, 'adobe_target.audience.replenishment_due').attrs.targetRule).toEqual({
      and: [
        { profile: 'seg_replenishment_due', equals: ['true'] },
        { profile: 'trait_last_category', equals: ['coffee', 'skincare'] },
      ],
    });
  });

  it('puts the holdout and cooldown exclusions on activity-specific audiences', () => {
    expect(find(rs, 'adobe_target.audience.homepage_hero/vip').attrs.targetRule).toEqual({
      and: [
        { profile: 'seg_vip_high_ltv', equals: ['true'] },
        { profile: 'trait_lifetime_value', greaterEquals: ['500'] },
        { profile: 'holdout_onsite_control', equals: ['false'] },
      ],
    });
    expect(find(rs, 'adobe_target.audience.winback_banner/lapsed_winback').attrs.targetRule).toEqual({
      and: [
        { profile: 'seg_lapsed_90d', equals: ['true'] },
        { profile: 'holdout_onsite_control', equals: ['false'] },
        { profile: 'seg_purchased_14d', equals: ['false'] },
      ],
    });
    // The fallback experience is gated too: the control group sees the page's default content.
    expect(find(rs, 'adobe_target.audience.homepage_hero/_fallback').attrs.targetRule).toEqual({
      and: [{ profile: 'holdout_onsite_control', equals: ['false'] }],
    });
  });

  it('compiles activities: experiences in precedence order, derived priority, thirdPartyId', () => {
    const hero = find(rs, 'adobe_target.activity.homepage_hero');
    expect(hero.attrs.priority).toBe(999);
    expect(hero.meta.thirdPartyId).toBe('acme-d2c/homepage_hero');
    expect((hero.attrs.experiences as Array<{ audience: string | null; offer: string }>).map((e) => [e.audience, e.offer])).toEqual([
      ['homepage_hero/cart_abandoners', 'cart_resume'],
      ['homepage_hero/replenishment_due', 'replenish_reminder'],
      ['homepage_hero/vip', 'vip_early_access'],
      ['homepage_hero/_fallback', 'default_hero'],
    ]);
    expect(hero.attrs.metrics).toEqual([
      { action: { type: 'count_once' }, conversion: true, mboxes: [{ name: 'homepage-hero', successEvent: 'mbox_clicked' }], name: 'primary' },
    ]);
    expect(find(rs, 'adobe_target.activity.cart_welcome_code').attrs.priority).toBe(979);
    expect(find(rs, 'adobe_target.activity.pdp_intent_strip').attrs.priority).toBe(969);
    expect(find(rs, 'adobe_target.activity.winback_banner').attrs.priority).toBe(949);
    expect(hero.refs).toContain('adobe_target.offer.default_hero');
  });

  it('is deterministic', () => {
    expect(JSON.stringify(compileDesired(rootConfig()))).toBe(JSON.stringify(rs));
  });
});

describe('compileDesired rules', () => {
  it('maps every operator to a documented evaluator', () => {
    const rs = compileDesired(
      config({
        segments: [segment('s')],
        audiences: [
          audience('a', 's', {
            where: [
              where('n', 'gt', 1.5),
              where('n', 'lt', 10),
              where('n', 'lte', 9),
              where('t', 'contains', 'x'),
              where('t', 'ne', 'y'),
              where('b', 'eq', true),
            ],
          }),
        ],
      }),
    );
    expect(find(rs, 'adobe_target.audience.a').attrs.targetRule).toEqual({
      and: [
        { profile: 'seg_s', equals: ['true'] },
        { profile: 'trait_n', greater: ['1.5'] },
        { profile: 'trait_n', lesser: ['10'] },
        { profile: 'trait_n', lesserEquals: ['9'] },
        { profile: 'trait_t', contains: ['x'] },
        { not: { profile: 'trait_t', equals: ['y'] } },
        { profile: 'trait_b', equals: ['true'] },
      ],
    });
  });

  it('uses shared audiences when an activity has no exclusions', () => {
    const rs = compileDesired(
      config({
        segments: [segment('s')],
        audiences: [audience('a', 's')],
        offers: [offer('o'), offer('d')],
        activities: [activity('x', { experiences: [exp('a', 'o'), exp(undefined, 'd')] })],
      }),
    );
    expect(rs.filter((r) => r.kind === 'audience').map((r) => r.key)).toEqual(['a']);
    expect((find(rs, 'adobe_target.activity.x').attrs.experiences as Array<{ audience: string | null }>).map((e) => e.audience)).toEqual(['a', null]);
  });

  it('adds precedence exclusions so the declared winner wins on a shared location', () => {
    // x serves cart (rank 0) and vip (rank 2) and gets the higher priority; y serves repl (rank 1) on
    // the same mbox. Without an exclusion, x's vip experience would take repl visitors who are VIPs.
    const rs = compileDesired(
      config({
        segments: [segment('cart'), segment('repl'), segment('vip')],
        audiences: [audience('cart', 'cart'), audience('repl', 'repl', { where: [where('cat', 'eq', 'tea')] }), audience('vip', 'vip')],
        precedence: ['cart', 'repl', 'vip'],
        offers: [offer('o1'), offer('o2'), offer('o3'), offer('d')],
        activities: [
          activity('x', { location: 'hero', experiences: [exp('vip', 'o3'), exp('cart', 'o1')] }),
          activity('y', { location: 'hero', experiences: [exp('repl', 'o2')] }),
        ],
      }),
    );
    expect(find(rs, 'adobe_target.activity.x').attrs.priority).toBe(999);
    expect(find(rs, 'adobe_target.activity.y').attrs.priority).toBe(989);
    const x = find(rs, 'adobe_target.activity.x').attrs.experiences as Array<{ audience: string }>;
    expect(x.map((e) => e.audience)).toEqual(['cart', 'x/vip']);
    expect(find(rs, 'adobe_target.audience.x/vip').attrs.targetRule).toEqual({
      and: [
        { profile: 'seg_vip', equals: ['true'] },
        { not: { and: [{ profile: 'seg_repl', equals: ['true'] }, { profile: 'trait_cat', equals: ['tea'] }] } },
      ],
    });
    expect(rs.some((r) => r.key.startsWith('y/'))).toBe(false);
  });

  it('keeps activity-specific audience names unique and within 250 characters', () => {
    const rs = compileDesired(
      config({
        segments: [segment('s')],
        audiences: [audience('a', 's', { name: 'A' })],
        holdouts: { h: { key: 'h', percent: 10, salt: 's', writeback: false } },
        offers: [offer('o')],
        activities: [
          activity('x', { name: 'Hero', holdout: 'h', experiences: [exp('a', 'o')] }),
          activity('y', { name: 'Hero', holdout: 'h', experiences: [exp('a', 'o')] }),
          activity('z', { name: 'L'.repeat(300), holdout: 'h', experiences: [exp('a', 'o')] }),
        ],
      }),
    );
    expect(find(rs, 'adobe_target.audience.x/a').attrs.name).toBe('Hero: A [x/a]');
    expect(find(rs, 'adobe_target.audience.y/a').attrs.name).toBe('Hero: A [y/a]');
    expect(String(find(rs, 'adobe_target.audience.z/a').attrs.name)).toHaveLength(250);
  });

  it('keeps pinned priorities, breaks auto ties by key', () => {
    const rs = compileDesired(
      config({
        segments: [segment('s')],
        audiences: [audience('a', 's')],
        offers: [offer('o')],
        activities: [
          activity('b', { location: 'm', experiences: [exp('a', 'o')] }),
          activity('a', { location: 'm', experiences: [exp('a', 'o')] }),
          activity('c', { location: 'm', priority: 42, experiences: [exp('a', 'o')] }),
        ],
      }),
    );
    expect(find(rs, 'adobe_target.activity.a').attrs.priority).toBe(999);
    expect(find(rs, 'adobe_target.activity.b').attrs.priority).toBe(998);
    expect(find(rs, 'adobe_target.activity.c').attrs.priority).toBe(42);
  });

  it('compiles manual segments as managed and carries previous keys and moved entries', () => {
    const rs = compileDesired(
      config({
        segments: [manualSegment('vip_list', { description: 'hand picked', previous_keys: ['vips'] })],
        offers: [offer('new_offer')],
        moved: [{ from: 'offers.old_offer', to: 'offers.new_offer' }],
      }),
    );
    const s = find(rs, 'customerio.segment.vip_list');
    expect(s.managed).toBe(true);
    expect(s.attrs).toEqual({ description: 'hand picked', name: 'Manual vip_list', type: 'manual' });
    expect(s.previousKeys).toEqual(['vips']);
    expect(find(rs, 'adobe_target.offer.new_offer').previousKeys).toEqual(['old_offer']);
  });

  it('compiles AB activities with visitor percentages', () => {
    const rs = compileDesired(
      config({
        offers: [offer('a'), offer('b')],
        activities: [activity('t', { type: 'ab', experiences: [exp(undefined, 'a', { name: 'A', percent: 50 }), exp(undefined, 'b', { name: 'B', percent: 50 })] })],
      }),
    );
    expect(find(rs, 'adobe_target.activity.t').attrs.experiences).toEqual([
      { audience: null, name: 'A', offer: 'a', visitorPercentage: 50 },
      { audience: null, name: 'B', offer: 'b', visitorPercentage: 50 },
    ]);
  });

  it('leaves out platforms without a provider', () => {
    const c = config({ segments: [segment('s')], audiences: [audience('a', 's')] });
    delete c.providers.adobe_target;
    expect(compileDesired(c).map((r) => r.platform)).toEqual(['customerio']);
  });
});
