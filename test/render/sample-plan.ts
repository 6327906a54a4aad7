// A plan with every action, a rename, a warning and multi-line fields, for the renderer goldens.
import { compileDesired } from '../../src/plan/compile.js';
import { diffResources } from '../../src/plan/diff.js';
import type { Plan } from '../../src/plan/types.js';
import { FakePlatforms } from '../plan/fake-platform.js';
import { manualSegment, offer, rootConfig, where } from '../plan/builders.js';

export function samplePlan(): Plan {
  const before = rootConfig();
  before.segments.vip_list = manualSegment('vip_list', { name: 'VIP list' });
  before.offers.old_promo = offer('old_promo', { name: 'Old promo' });
  const fake = new FakePlatforms(before.workspace);
  for (const s of Object.values(before.segments)) if (s.id !== undefined) fake.addDynamicSegment(s.id, s.name);
  fake.apply(diffResources(compileDesired(before), fake.populate()));
  // Out of band: someone renamed a data-driven segment and hand-built an audience named like ours.
  fake.segments.get(105)!.name = 'Lapsed 90 days';
  fake.audiences.set(9999, { id: 9999, name: 'Spring sale', description: 'hand made', targetRule: { and: [] } });

  const after = rootConfig();
  after.segments.vip_list = manualSegment('vip_list', { name: 'VIP list (hand-picked)' });
  after.audiences.vip.where = [where('lifetime_value', 'gte', 750)];
  after.audiences.spring = { key: 'spring', name: 'Spring sale', segment: 'vip_high_ltv', where: [], previous_keys: [] };
  after.offers.cart_resume.content = '<section class="cart-resume">\n  <h2>Your cart is waiting</h2>\n  <a href="/cart">Resume</a>\n</section>';
  after.offers.default_hero.name = 'Default hero (winter)';
  after.offers.default_hero_v2 = { ...after.offers.default_hero, key: 'default_hero_v2', previous_keys: ['default_hero'] };
  delete after.offers.default_hero;
  after.activities.homepage_hero.experiences[3].offer = 'default_hero_v2';
  after.activities.winback_banner.state = 'saved';
  return diffResources(compileDesired(after), fake.populate());
}
