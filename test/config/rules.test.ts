// Lint rules AUD001–AUD014: each has a failing and a passing config, run through the whole
// pipeline so positions and messages are checked too.
import { describe, expect, it } from 'vitest';
import { LINT_RULES } from '../../src/config/rules/index.js';
import { buildBase, checkObject } from './helpers.js';

type Mutate = (c: Record<string, any>) => void;

interface RuleCase {
  fail: Mutate;
  pass: Mutate;
  /** Path of the first finding in the failing config, and words its message must hold. */
  path: string;
  message: RegExp;
  count?: number;
}

const addSegment = (c: Record<string, any>, key: string, extra: Record<string, unknown> = {}) => {
  c.segments[key] = { name: key.replace(/_/g, ' '), type: 'data_driven', id: 200 + Object.keys(c.segments).length, window: '7d', ...extra };
};

const CASES: Record<string, RuleCase> = {
  AUD001: {
    fail: (c) => {
      for (let i = 1; i <= 5; i++) {
        addSegment(c, `seg_${i}`);
        c.audiences[`aud_${i}`] = { name: `Audience ${i}`, segment: `seg_${i}` };
        c.precedence.push(`aud_${i}`);
        c.activities.hero.experiences.push({ audience: `aud_${i}`, offer: 'vip_access' });
      }
    },
    pass: (c) => {
      for (let i = 1; i <= 4; i++) {
        addSegment(c, `seg_${i}`);
        c.audiences[`aud_${i}`] = { name: `Audience ${i}`, segment: `seg_${i}` };
        c.precedence.push(`aud_${i}`);
        c.activities.hero.experiences.push({ audience: `aud_${i}`, offer: 'vip_access' });
      }
    },
    path: 'activities.hero.experiences.6.audience',
    message: /7 audiences are used by activities.*aud_5/,
  },
  AUD002: {
    fail: (c) => (c.identity = { customerio: 'email' }),
    pass: (c) => (c.identity = { customerio: 'email', hash: 'sha256' }),
    path: 'identity.customerio',
    message: /hash: sha256/,
  },
  AUD003: {
    fail: (c) => (c.precedence = ['vip']),
    pass: (c) => {
      // Different locations do not compete.
      c.precedence = [];
      c.activities.banner = { ...c.activities.hero, name: 'Banner', location: 'site-banner', experiences: [c.activities.hero.experiences.pop()] };
    },
    path: 'activities.hero.experiences.0.audience',
    message: /`cart_abandoners` shares location `homepage-hero` with `vip`.*Add `cart_abandoners` to `precedence`/,
  },
  AUD004: {
    fail: (c) => {
      c.activities.hero.experiences[0].lasts = '1d';
      c.sync = { max_latency: '2h' };
    },
    pass: (c) => {
      c.activities.hero.experiences[0].lasts = '4h';
      c.sync = { max_latency: '1h' };
    },
    path: 'activities.hero.experiences.0.lasts',
    message: /lasts 1d .* window is 4h.*4h or less/,
    count: 2,
  },
  AUD005: {
    fail: (c) => delete c.activities.hero.holdout,
    pass: (c) => {
      delete c.activities.hero.holdout;
      c.activities.hero.state = 'saved';
    },
    path: 'activities.hero',
    message: /no holdout.*holdout: control/,
  },
  AUD006: {
    fail: (c) => {
      c.segments.cart_abandoned_4h.incentive = { discount_pct: 10, channel: 'email' };
      c.activities.hero.incentive = { owner: 'target', discount_pct: 15 };
    },
    pass: (c) => {
      c.segments.cart_abandoned_4h.incentive = { discount_pct: 10, channel: 'email' };
      c.segments.vip_high_ltv.incentive = { discount_pct: 10 };
      c.activities.hero.incentive = { owner: 'customerio', discount_pct: 10 };
    },
    path: 'activities.hero.experiences.0.audience',
    message: /15% off onsite from Target .* 10% from Customer.io.*stack/,
  },
  AUD007: {
    fail: (c) => (c.fields = { lifetime_value: { type: 'number' } }),
    pass: (c) => {
      c.fields = { lifetime_value: { type: 'number' } };
      c.audiences.vip.where = [{ field: 'lifetime_value', gte: 500 }];
    },
    path: 'fields.lifetime_value',
    message: /no audience's `where` uses it/,
  },
  AUD008: {
    fail: (c) => addSegment(c, 'purchased_14d'),
    pass: (c) => {
      addSegment(c, 'purchased_14d');
      c.cooldowns = { post_purchase: { segment: 'purchased_14d', suppress: [] } };
    },
    path: 'segments.purchased_14d',
    message: /not mirrored by any audience/,
  },
  AUD009: {
    fail: (c) => {
      addSegment(c, 'purchased_14d');
      c.cooldowns = { post_purchase: { segment: 'purchased_14d', suppress: [] } };
      c.activities.hero.incentive = { owner: 'target', discount_pct: 15 };
    },
    pass: (c) => {
      addSegment(c, 'purchased_14d');
      c.cooldowns = { post_purchase: { segment: 'purchased_14d', suppress: ['hero'] } };
      c.activities.hero.incentive = { owner: 'target', discount_pct: 15 };
    },
    path: 'activities.hero.incentive.discount_pct',
    message: /Add `hero` to `cooldowns.post_purchase.suppress`/,
  },
  AUD010: {
    fail: (c) => (c.providers = { customerio: { app_api_key: 'literal-key-123456' } }),
    pass: (c) => (c.providers = { customerio: { app_api_key: '${CUSTOMERIO_APP_API_KEY}' } }),
    path: 'providers.customerio.app_api_key',
    message: /literal value.*\$\{CUSTOMERIO_APP_API_KEY\}.*rotate/,
  },
  AUD011: {
    fail: (c) => c.activities.hero.experiences.splice(1, 0, { offer: 'cart_resume', name: 'Everyone else' }),
    pass: (c) => c.activities.hero.experiences.push({ offer: 'cart_resume', name: 'Everyone else' }),
    path: 'activities.hero.experiences.2',
    message: /after the fallback.*Move the fallback last/,
  },
  AUD012: {
    fail: (c) => c.activities.hero.experiences.reverse(),
    pass: (c) => (c.precedence = ['vip', 'cart_abandoners']).length && c.activities.hero.experiences.reverse(),
    path: 'activities.hero.experiences.1.audience',
    message: /precedence ranks it higher/,
  },
  AUD013: {
    fail: (c) =>
      (c.activities.test = {
        name: 'A/B',
        type: 'ab',
        location: 'site-banner',
        experiences: [
          { offer: 'cart_resume', percent: 50 },
          { offer: 'vip_access', percent: 40 },
        ],
      }),
    pass: (c) =>
      (c.activities.test = {
        name: 'A/B',
        type: 'ab',
        location: 'site-banner',
        experiences: [
          { offer: 'cart_resume', percent: 50 },
          { offer: 'vip_access', percent: 50 },
        ],
      }),
    path: 'activities.test.experiences',
    message: /add up to 90%/,
  },
  AUD014: {
    fail: (c) => {
      c.activities.hero.priority = 100;
      c.activities.other = { ...c.activities.hero, name: 'Other', experiences: [{ audience: 'vip', offer: 'vip_access' }] };
    },
    pass: (c) => {
      c.activities.hero.priority = 100;
      c.activities.other = { ...c.activities.hero, name: 'Other', priority: 200, experiences: [{ audience: 'vip', offer: 'vip_access' }] };
    },
    path: 'activities.other.priority',
    message: /both run on `homepage-hero` with priority 100/,
  },
};

describe('lint rules', () => {
  it('every rule has a case here, a unique id and a kebab-case name', () => {
    expect(Object.keys(CASES).sort()).toEqual(LINT_RULES.map((r) => r.id));
    expect(new Set(LINT_RULES.map((r) => r.id)).size).toBe(LINT_RULES.length);
    for (const r of LINT_RULES) expect(r.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  for (const rule of LINT_RULES) {
    const c = CASES[rule.id];
    describe(`${rule.id} ${rule.name}`, () => {
      it('flags the failing config, at the offending node, with a fix', async () => {
        const base = buildBase();
        c.fail(base);
        const { diagnostics } = await checkObject(base);
        const found = diagnostics.filter((d) => d.rule === rule.id);
        expect(found.length).toBe(c.count ?? 1);
        expect(diagnostics.filter((d) => d.rule !== rule.id)).toEqual([]);
        expect(found[0].severity).toBe(rule.severity);
        expect(found.map((d) => d.path)).toContain(c.path);
        const at = found.find((d) => d.path === c.path)!;
        expect(at.message).toMatch(c.message);
        expect(at.line).toBeGreaterThan(1);
      });

      it('accepts the passing config', async () => {
        const base = buildBase();
        c.pass(base);
        const { diagnostics } = await checkObject(base);
        expect(diagnostics).toEqual([]);
      });
    });
  }

  it('AUD006: onsite may not promise more than the messages', async () => {
    const base = buildBase();
    base.segments.cart_abandoned_4h.incentive = { discount_pct: 10 };
    base.segments.vip_high_ltv.incentive = { discount_pct: 20 };
    base.activities.hero.incentive = { owner: 'customerio', discount_pct: 15 };
    const { diagnostics } = await checkObject(base);
    expect(diagnostics.map((d) => [d.rule, d.path])).toEqual([['AUD006', 'activities.hero.experiences.0.audience']]);
    expect(diagnostics[0].message).toMatch(/shows 15% .* promise 10%/);
  });

  it('AUD006: a discount needs an owner', async () => {
    const base = buildBase();
    base.activities.hero.incentive = { owner: 'none', discount_pct: 5 };
    const { diagnostics } = await checkObject(base);
    expect(diagnostics.map((d) => [d.rule, d.path])).toEqual([['AUD006', 'activities.hero.incentive.owner']]);
  });

  it('AUD004: sync latency is checked against the shortest window an activity uses', async () => {
    const base = buildBase();
    base.sync = { max_latency: '2h' };
    const { diagnostics } = await checkObject(base);
    expect(diagnostics.map((d) => d.path)).toEqual(['sync.max_latency']);
    expect(diagnostics[0].message).toMatch(/quarter of the 4h window.*1h or less/);
    // The cart segment's 4h window no longer matters once no activity uses it.
    base.activities.hero.experiences.shift();
    base.precedence = ['vip'];
    base.audiences = { vip: base.audiences.vip };
    base.segments = { vip_high_ltv: base.segments.vip_high_ltv };
    expect((await checkObject(base)).diagnostics).toEqual([]);
  });

  it('AUD011: a repeated audience in one xt activity is unreachable', async () => {
    const base = buildBase();
    base.activities.hero.experiences.push({ audience: 'vip', offer: 'cart_resume' });
    const { diagnostics } = await checkObject(base);
    expect(diagnostics.map((d) => [d.rule, d.path])).toEqual([['AUD011', 'activities.hero.experiences.2.audience']]);
  });

  it('AUD013: percent has no meaning in an xt activity', async () => {
    const base = buildBase();
    base.activities.hero.experiences[1].percent = 50;
    const { diagnostics } = await checkObject(base);
    expect(diagnostics.map((d) => [d.rule, d.path])).toEqual([['AUD013', 'activities.hero.experiences.1.percent']]);
  });

  it('rules never print a literal credential', async () => {
    const base = buildBase();
    base.providers = { customerio: { app_api_key: 'sk-live-abcdef-123456' }, adobe_target: { tenant: 't', client_code: 'c', client_secret: 'another-secret-99' } };
    const { diagnostics } = await checkObject(base);
    expect(diagnostics.map((d) => d.rule)).toEqual(['AUD010', 'AUD010']);
    expect(JSON.stringify(diagnostics)).not.toMatch(/sk-live|another-secret/);
  });
});
