// Semantic checks: every dangling reference kind, duplicate names on one platform, segment
// identity, offer content, condition types and schedules.
import { describe, expect, it } from 'vitest';
import { buildBase, checkObject, rulesOf } from './helpers.js';

type Mutate = (c: Record<string, any>) => void;

async function problems(mutate: Mutate) {
  const base = buildBase();
  mutate(base);
  const { diagnostics } = await checkObject(base);
  return diagnostics.filter((d) => d.severity === 'error');
}

describe('dangling references', () => {
  const cases: Array<[string, Mutate, string, RegExp]> = [
    ['audience → segment', (c) => (c.audiences.vip.segment = 'vip_high_lt'), 'audiences.vip.segment', /Did you mean `vip_high_ltv`/],
    ['experience → audience', (c) => (c.activities.hero.experiences[1].audience = 'vips'), 'activities.hero.experiences.1.audience', /Audience `vips`/],
    ['experience → offer', (c) => (c.activities.hero.experiences[0].offer = 'cart'), 'activities.hero.experiences.0.offer', /Offer `cart`/],
    ['activity → holdout', (c) => (c.activities.hero.holdout = 'ctrl'), 'activities.hero.holdout', /Holdout `ctrl`/],
    ['precedence → audience', (c) => c.precedence.push('lapsed'), 'precedence.2', /Audience `lapsed`/],
    [
      'cooldown → segment',
      (c) => (c.cooldowns = { post_purchase: { segment: 'purchased_14d', suppress: ['hero'] } }),
      'cooldowns.post_purchase.segment',
      /Segment `purchased_14d`.*no|Segment `purchased_14d`/,
    ],
    [
      'cooldown → activity',
      (c) => (c.cooldowns = { post_purchase: { segment: 'vip_high_ltv', suppress: ['banner'] } }),
      'cooldowns.post_purchase.suppress.0',
      /Activity `banner`/,
    ],
    [
      'condition → field',
      (c) => (c.audiences.vip.where = [{ field: 'ltv', gt: 1 }]),
      'audiences.vip.where.0.field',
      /Field `ltv`.*exported/,
    ],
    ['moved → target', (c) => (c.moved = [{ from: 'offers.old', to: 'offers.new' }]), 'moved.0.to', /not declared/],
  ];
  for (const [name, mutate, path, message] of cases) {
    it(name, async () => {
      const found = await problems(mutate);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ rule: 'reference', path });
      expect(found[0].message).toMatch(message);
      expect(found[0].line).toBeGreaterThan(1);
    });
  }
});

describe('references to built-in object names', () => {
  it('treats `constructor` and `toString` as undeclared, not as inherited properties', async () => {
    const found = await problems((c) => {
      c.audiences.vip.segment = 'constructor';
      c.activities.hero.experiences[1].audience = 'toString';
      c.precedence = ['cart_abandoners', 'toString'];
    });
    expect(found.map((d) => [d.rule, d.path])).toEqual([
      ['reference', 'audiences.vip.segment'],
      ['reference', 'precedence.1'],
      ['reference', 'activities.hero.experiences.1.audience'],
    ]);
  });
});

describe('duplicates and consistency', () => {
  const cases: Array<[string, Mutate, string, RegExp]> = [
    ['segment names', (c) => (c.segments.vip_high_ltv.name = 'cart abandoned (4h)'), 'segments.vip_high_ltv.name', /also used by `segments.cart_abandoned_4h`/],
    ['segment ids', (c) => (c.segments.vip_high_ltv.id = 101), 'segments.vip_high_ltv.id', /Segment id 101/],
    ['audience names', (c) => (c.audiences.vip.name = 'Cart Abandoners'), 'audiences.vip.name', /Target audience name/],
    ['offer names', (c) => (c.offers.vip_access.name = 'Cart resume'), 'offers.vip_access.name', /Target offer name/],
    [
      'activity names',
      (c) => (c.activities.banner = { ...c.activities.hero, location: 'site-banner', experiences: [{ offer: 'vip_access' }] }),
      'activities.banner.name',
      /Target activity name/,
    ],
    ['precedence entries', (c) => c.precedence.push('vip'), 'precedence.2', /appears twice/],
    ['previous key still in use', (c) => (c.offers.vip_access.previous_keys = ['cart_resume']), 'offers.vip_access.previous_keys.0', /still a key/],
    [
      'data-driven segment without id or name',
      (c) => (c.segments.vip_high_ltv = { type: 'data_driven', window: '365d' }),
      'segments.vip_high_ltv',
      /neither `id` nor `name`/,
    ],
    ['manual segment without name', (c) => (c.segments.vip_high_ltv = { type: 'manual' }), 'segments.vip_high_ltv', /needs a `name`/],
    ['offer without content', (c) => (c.offers.vip_access = { name: 'VIP' }), 'offers.vip_access', /has no content/],
    [
      'offer with content and content_file',
      (c) => (c.offers.vip_access.content_file = 'x.html'),
      'offers.vip_access.content_file',
      /both `content` and `content_file`/,
    ],
    [
      'comparison on a string field',
      (c) => {
        c.fields = { tier: { type: 'string' } };
        c.audiences.vip.where = [{ field: 'tier', gt: 3 }];
      },
      'audiences.vip.where.0.gt',
      /compares numbers/,
    ],
    [
      'value of the wrong type',
      (c) => {
        c.fields = { orders: { type: 'integer' } };
        c.audiences.vip.where = [{ field: 'orders', eq: 1.5 }];
      },
      'audiences.vip.where.0.eq',
      /whole numbers/,
    ],
    [
      'end before start',
      (c) => Object.assign(c.activities.hero, { starts_at: '2026-12-01T00:00:00Z', ends_at: '2026-11-01T00:00:00Z' }),
      'activities.hero.ends_at',
      /ends .* before it starts/,
    ],
    [
      'malformed ${…}',
      (c) => (c.providers = { customerio: { app_api_key: '${CIO_KEY' } }),
      'providers.customerio.app_api_key',
      /not closed/,
    ],
  ];
  for (const [name, mutate, path, message] of cases) {
    it(name, async () => {
      const found = await problems(mutate);
      expect(found.map((d) => d.path)).toEqual([path]);
      expect(found[0].rule).toBe('semantic');
      expect(found[0].message).toMatch(message);
    });
  }

  it('a missing content_file names the folder it looked in', async () => {
    const base = buildBase();
    base.offers.vip_access = { name: 'VIP', content_file: 'offers/vip.html' };
    const { diagnostics, dir } = await checkObject(base);
    expect(rulesOf(diagnostics)).toEqual(['semantic']);
    expect(diagnostics[0].message).toContain(dir);
    expect(diagnostics[0].message).toMatch(/Create the file or fix the path/);
  });

  it('accepts a data-driven segment known by id only, or by name only', async () => {
    const base = buildBase();
    base.segments.vip_high_ltv = { type: 'data_driven', id: 104, window: '365d' };
    base.segments.cart_abandoned_4h = { type: 'data_driven', name: 'Cart Abandoned (4h)', window: '4h' };
    const { diagnostics, config } = await checkObject(base);
    expect(diagnostics).toEqual([]);
    expect(config?.segments.vip_high_ltv.name).toBe('');
  });
});
