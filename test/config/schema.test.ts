// Schema errors: one diagnostic per problem, at the offending node, with a fix and "did you mean".
import { describe, expect, it } from 'vitest';
import { readSchema } from '../../src/config/schema.js';
import { buildBase, checkObject } from './helpers.js';

const TEXT = `version: 1
workspace: test
segmnts: {}
segments:
  cart_abandoned_4h:
    name: "Cart"
    type: data_driven
    id: "101"
    windw: 4h
activities:
  hero:
    name: Hero
    type: xt
    location: homepage-hero
    priority: high
    experiences:
      - { offer: x, percent: 120 }
`;

describe('schema check', () => {
  it('reports every problem at once, each at its line and column', async () => {
    const { diagnostics } = await checkObject(TEXT);
    const byPath = Object.fromEntries(diagnostics.map((d) => [d.path, d]));
    expect(diagnostics.every((d) => d.rule === 'schema' && d.severity === 'error')).toBe(true);
    expect(byPath.segmnts).toMatchObject({ line: 3, column: 1 });
    expect(byPath.segmnts.message).toContain('Did you mean `segments`?');
    expect(byPath['segments.cart_abandoned_4h.windw']).toMatchObject({ line: 9, column: 5 });
    expect(byPath['segments.cart_abandoned_4h.windw'].message).toContain('Did you mean `window`?');
    expect(byPath['segments.cart_abandoned_4h.id']).toMatchObject({ line: 8, column: 9 });
    expect(byPath['segments.cart_abandoned_4h.id'].message).toMatch(/whole number.*without quotes/);
    expect(byPath['activities.hero.priority'].message).toMatch(/`auto` or a whole number from 0 to 999/);
    expect(byPath['activities.hero.experiences.0.percent'].message).toMatch(/between 0 and 100/);
    expect(byPath['activities.hero.experiences.0.percent']).toMatchObject({ line: 17, column: 30 });
  });

  it('lists allowed keys when no key is close', async () => {
    const base = buildBase();
    base.holdouts.control.zzzzzz = true;
    const { diagnostics } = await checkObject(base);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].message).toMatch(/Unknown key `zzzzzz`.*Allowed keys: percent, salt, writeback, description/);
  });

  it('names a missing required key and points at its parent', async () => {
    const base = buildBase();
    delete base.audiences.vip.segment;
    const { diagnostics } = await checkObject(base);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ rule: 'schema', path: 'audiences.vip' });
    expect(diagnostics[0].message).toContain('missing the required key `segment`');
  });

  it('explains enums, durations, keys and the top-level shape', async () => {
    const base = buildBase();
    base.segments.vip_high_ltv.type = 'dinamic';
    base.segments.cart_abandoned_4h.window = '4 hours';
    base.offers['Bad-Key'] = { name: 'x', content: 'y' };
    const { diagnostics } = await checkObject(base);
    const messages = diagnostics.map((d) => d.message).join('\n');
    expect(messages).toMatch(/one of: data_driven, manual/);
    expect(messages).toMatch(/30m, 4h, 21d, 1w/);
    expect(messages).toMatch(/Key `Bad-Key` in `offers` is not a valid key: use snake_case/);
    const list = await checkObject('- a\n- b\n');
    expect(list.diagnostics[0].message).toMatch(/must be a mapping of keys.*not a list/);
  });

  it('translates platform words into config words', async () => {
    const base = buildBase();
    base.segments.vip_high_ltv.type = 'dynamic';
    base.activities.hero.state = 'live';
    const { diagnostics } = await checkObject(base);
    const messages = diagnostics.map((d) => d.message).join('\n');
    expect(messages).toMatch(/calls data-driven segments `dynamic`; the config says `data_driven`/);
    expect(messages).toMatch(/A live Target activity is `approved` in the config/);
  });

  it('explains YAML merge keys instead of calling them typos', async () => {
    const text = `version: 1\nworkspace: test\nholdouts:\n  base: &b { percent: 10, salt: s }\n  other:\n    <<: *b\n    salt: t\n`;
    const { diagnostics } = await checkObject(text);
    expect(diagnostics.some((d) => /merge keys/.test(d.message))).toBe(true);
  });

  it('accepts the base program', async () => {
    expect((await checkObject(buildBase())).diagnostics).toEqual([]);
  });

  it('is an editor-usable schema: every top-level key has a title or description', () => {
    const schema = readSchema() as { properties: Record<string, { title?: string; description?: string }> };
    for (const [key, def] of Object.entries(schema.properties)) {
      expect(def.title ?? def.description, key).toBeTruthy();
    }
  });
});
