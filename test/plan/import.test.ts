// importExisting: YAML for unowned objects, skips with reasons, adoption changes that write markers.
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { importExisting, slug } from '../../src/plan/import.js';
import { compileDesired } from '../../src/plan/compile.js';
import { diffResources } from '../../src/plan/diff.js';
import { FakePlatforms } from './fake-platform.js';
import { config, segment } from './builders.js';

function handMade(): FakePlatforms {
  const fake = new FakePlatforms('acme-d2c');
  fake.addDynamicSegment(104, 'High LTV VIP');
  fake.addDynamicSegment(200, 'Newsletter readers');
  fake.segments.set(300, { id: 300, name: 'Hand list', description: '', type: 'manual' });
  fake.audiences.set(1, {
    id: 1,
    name: 'VIP (hand made)',
    description: 'built in the UI',
    targetRule: { and: [{ profile: 'seg_vip_high_ltv', equals: ['true'] }, { profile: 'trait_lifetime_value', greaterEquals: ['500'] }, { profile: 'trait_tier', equals: ['gold', 'plat'] }] },
  });
  fake.audiences.set(2, { id: 2, name: 'Californians', targetRule: { and: [{ geo: 'region', matches: ['california'] }] } });
  fake.audiences.set(3, { id: 3, name: 'Staging VIP', description: '[audiences:staging:vip]', targetRule: { and: [] } });
  fake.offers.set(10, { id: 10, name: 'Gold hero', content: '<div>Gold</div>' });
  fake.offers.set(11, { id: 11, name: 'Default', content: '<div>Hi</div>' });
  fake.activities.set(20, {
    id: 20,
    type: 'xt',
    name: 'Hero by tier',
    state: 'approved',
    priority: 5,
    options: [{ optionLocalId: 0, offerId: 10 }, { optionLocalId: 1, offerId: 11 }],
    locations: { mboxes: [{ locationLocalId: 0, name: 'hero' }] },
    experiences: [
      { experienceLocalId: 0, name: 'Gold', audienceIds: [1], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
      { experienceLocalId: 1, name: 'Everyone', audienceIds: [], optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
    ],
    metrics: [],
  });
  fake.activities.set(21, {
    id: 21,
    type: 'xt',
    name: 'Geo banner',
    state: 'saved',
    options: [{ optionLocalId: 0, offerId: 11 }],
    locations: { mboxes: [{ locationLocalId: 0, name: 'banner' }] },
    experiences: [{ experienceLocalId: 0, name: 'CA', audienceIds: [2], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] }],
  });
  return fake;
}

describe('importExisting', () => {
  const c = config({ segments: [segment('vip_high_ltv', { name: 'High LTV VIP', id: 104 })] });
  const fake = handMade();
  const result = importExisting(fake.populate(), { config: c });

  it('prints YAML for what audiences.yaml can express', () => {
    expect(parse(result.yaml)).toEqual({
      segments: { newsletter_readers: { name: 'Newsletter readers', type: 'data_driven', id: 200 } },
      audiences: {
        vip_hand_made: {
          name: 'VIP (hand made)',
          description: 'built in the UI',
          segment: 'vip_high_ltv',
          where: [{ field: 'lifetime_value', gte: 500 }, { field: 'tier', in: ['gold', 'plat'] }],
        },
      },
      offers: { default: { name: 'Default', content: '<div>Hi</div>' }, gold_hero: { name: 'Gold hero', content: '<div>Gold</div>' } },
      activities: {
        hero_by_tier: {
          name: 'Hero by tier',
          type: 'xt',
          location: 'hero',
          priority: 5,
          state: 'approved',
          experiences: [
            { audience: 'vip_hand_made', offer: 'gold_hero', name: 'Gold' },
            { offer: 'default', name: 'Everyone' },
          ],
        },
      },
    });
  });

  it('skips what it cannot adopt, saying why', () => {
    expect(result.skipped.map((s) => [s.name, s.reason.split(/[,;(]/)[0].trim()])).toEqual([
      ['Hand list', 'a manual segment cannot carry our marker'],
      ['Californians', 'the rule uses {"geo":"region"'],
      ['Staging VIP', 'owned by workspace "staging"'],
      ['Geo banner', 'experience "CA" targets audience #2'],
    ]);
  });

  it('adopts through updates that write the marker, activities after what they use', () => {
    expect(result.plan.changes.map((ch) => `${ch.action} ${ch.address} (#${String(ch.id)})`)).toEqual([
      'update adobe_target.audience.vip_hand_made (#1)',
      'update adobe_target.offer.default (#11)',
      'update adobe_target.offer.gold_hero (#10)',
      'update adobe_target.activity.hero_by_tier (#20)',
    ]);
    expect(result.plan.changes[3].dependsOn).toEqual([
      'adobe_target.audience.vip_hand_made',
      'adobe_target.offer.default',
      'adobe_target.offer.gold_hero',
    ]);
    // After adoption the objects carry our markers under the new keys.
    fake.apply(result.plan);
    const owned = fake.populate().filter((r) => r.owned).map((r) => r.address).sort();
    expect(owned).toEqual([
      'adobe_target.activity.hero_by_tier',
      'adobe_target.audience.vip_hand_made',
      'adobe_target.offer.default',
      'adobe_target.offer.gold_hero',
    ]);
    // And a plan against the imported offers alone shows no change for them.
    const imported = config({ offers: [{ key: 'gold_hero', name: 'Gold hero', content: '<div>Gold</div>', previous_keys: [] }] });
    const p = diffResources(compileDesired(imported).filter((r) => r.kind === 'offer'), fake.populate().filter((r) => r.kind === 'offer'));
    expect(p.changes.map((ch) => `${ch.action} ${ch.address}`)).toEqual(['delete adobe_target.offer.default']);
  });

  it('makes readable unique keys', () => {
    expect(slug('Welcome: 10% off order two')).toBe('welcome_10_off_order_two');
    expect(slug('Café Crème')).toBe('cafe_creme');
    expect(slug('2024 promo')).toBe('x_2024_promo');
    expect(importExisting([]).yaml).toBe('');
  });
});
