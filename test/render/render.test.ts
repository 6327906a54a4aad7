// Plan renderers: goldens (human, markdown, json), colour, the 65k cap, schema validation, redaction.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, registerSecret } from '../../src/model/secrets.js';
import { diffResources } from '../../src/plan/diff.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { renderPlanHuman } from '../../src/render/plan-human.js';
import { planJson, renderPlanJson } from '../../src/render/plan-json.js';
import { MAX_MARKDOWN_CHARS, renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { samplePlan } from './sample-plan.js';

const plan = samplePlan();
const stable = (s: string) => s.replace(/[0-9a-f]{64}/g, '<checksum>');
const ANSI = /\u001b\[/;
const empty: Plan = diffResources([], []);

describe('human renderer', () => {
  it('matches the golden file (colour off)', async () => {
    const text = renderPlanHuman(plan, { color: false });
    expect(text).not.toMatch(ANSI);
    await expect(stable(text)).toMatchFileSnapshot('./__snapshots__/plan.human.txt');
  });

  it('ends with the summary line, and says so plainly when empty', () => {
    const lines = renderPlanHuman(plan, { color: false }).trimEnd().split('\n');
    expect(lines.at(-1)).toBe('Plan: 1 to create, 6 to update, 1 to delete, 1 to replace, 1 manual.');
    expect(renderPlanHuman(empty, { color: false })).toMatch(/^No changes\./);
  });

  it('lists the read-only references checked: id, name, state, size, and the ones needing a person', () => {
    const withRefs: Plan = {
      ...empty,
      references: [
        { address: 'customerio.segment.vip', key: 'vip', id: 104, name: 'High LTV VIP', state: 'finished', size: 1234, status: 'ok' },
        { address: 'customerio.segment.gone', key: 'gone', name: '', status: 'manual' },
      ],
    };
    const lines = renderPlanHuman(withRefs, { color: false }).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Read-only references \(Customer\.io data-driven segments/);
    expect(lines).toContain('  vip      104  "High LTV VIP"       finished  1234  ok');
    expect(lines).toContain('  gone       -  (not found)          -            -  manual action required');
    expect(lines.at(-1)).toBe('No changes. The platforms match audiences.yaml.');
  });

  it('colours only when asked', () => {
    const coloured = renderPlanHuman(plan, { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(renderPlanHuman(plan, { color: false }));
  });
});

describe('markdown renderer', () => {
  it('matches the golden file', async () => {
    await expect(stable(renderPlanMarkdown(plan))).toMatchFileSnapshot('./__snapshots__/plan.md');
  });

  it('puts counts and warnings before the details', () => {
    const md = renderPlanMarkdown(plan);
    expect(md.indexOf('Plan: 1 to create')).toBeLessThan(md.indexOf('<details>'));
    expect(md.indexOf('**Warnings**')).toBeLessThan(md.indexOf('<details>'));
    expect(renderPlanMarkdown(empty)).toContain('**No changes.**');
  });

  it('stays under 65,000 characters for a huge plan, with a truncation note', () => {
    const big: Change[] = Array.from({ length: 5000 }, (_, i) => ({
      ...plan.changes.find((c) => c.action === 'create')!,
      address: `adobe_target.offer.o${i}`,
      key: `o${i}`,
      after: { name: `Offer ${i}`, content: `<div>${'x'.repeat(200)}\n${i}</div>` },
      fields: [
        { path: 'content', before: undefined, after: `<div>${'x'.repeat(200)}\n${i}</div>` },
        { path: 'name', before: undefined, after: `Offer ${i}` },
      ],
    }));
    const huge: Plan = { ...plan, changes: big, summary: { ...plan.summary, create: 5000 } };
    const md = renderPlanMarkdown(huge);
    expect(md.length).toBeLessThanOrEqual(MAX_MARKDOWN_CHARS);
    expect(md).toMatch(/changes not shown: the comment is limited to 65,000 characters/);
    expect(md.match(/<details>/g)!.length).toBe(md.match(/<\/details>/g)!.length);
    expect(md.trimEnd().endsWith('</sub>')).toBe(true);
  });
});

describe('json renderer', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schema/plan.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('matches the golden file', async () => {
    await expect(stable(renderPlanJson(plan))).toMatchFileSnapshot('./__snapshots__/plan.json');
  });

  it('validates against schema/plan.schema.json', () => {
    for (const p of [plan, empty]) {
      const doc = JSON.parse(renderPlanJson(p));
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(validate({ ...planJson(plan), checksum: 'nope' })).toBe(false);
    expect(validate({ ...planJson(plan), summary: { create: 1 } })).toBe(false);
  });

  it('carries the documented top-level fields', () => {
    const doc = JSON.parse(renderPlanJson(plan));
    expect(Object.keys(doc)).toEqual(['format_version', 'checksum', 'summary', 'changes', 'warnings', 'references']);
    expect(doc.references.find((r: { key: string }) => r.key === 'lapsed_90d')).toEqual({ address: 'customerio.segment.lapsed_90d', key: 'lapsed_90d', id: 105, name: 'Lapsed 90 days', state: 'finished', size: null, status: 'manual' });
    expect(doc.checksum).toBe(plan.checksum);
    expect(Object.keys(doc.changes[0]).slice(0, 5)).toEqual(['address', 'platform', 'kind', 'key', 'action']);
  });
});

describe('secrets never reach a plan', () => {
  afterEach(() => clearSecrets());

  it('redacts registered secrets from every renderer', () => {
    const secret = 'sk_live_TOPSECRET123';
    registerSecret(secret);
    const leaky: Plan = {
      ...plan,
      warnings: [{ code: 'x', message: `token ${secret} leaked` }],
      changes: plan.changes.map((c, i) => (i === 0 ? { ...c, reason: `uses ${secret}`, after: { ...(c.after ?? {}), name: secret } } : c)),
    };
    for (const text of [renderPlanHuman(leaky, { color: true }), renderPlanMarkdown(leaky), renderPlanJson(leaky)]) {
      expect(text).not.toContain(secret);
      expect(text).toContain('[REDACTED]');
    }
  });
});
