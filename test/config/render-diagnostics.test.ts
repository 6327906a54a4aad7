// Diagnostic views: human text with and without colour, the exact JSON shape, and SARIF 2.1.0
// whose rule metadata links to real anchors in docs/rules.md.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listRuleInfo, formatRuleAnchor, LINT_RULES } from '../../src/config/rules/index.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import { renderDiagnosticsHuman, renderDiagnosticsJson, renderDiagnosticsSarif } from '../../src/render/diagnostics.js';

const DIAGS: Diagnostic[] = [
  { rule: 'AUD003', severity: 'error', message: 'Add `vip` to precedence.', path: 'activities.hero', file: 'audiences.yaml', line: 41, column: 5 },
  { rule: 'AUD005', severity: 'warning', message: 'Add a holdout.', path: 'activities.banner', file: 'audiences.yaml', line: 50, column: 3 },
];

describe('human', () => {
  it('prints file:line:col, severity, rule id and name, path, message and a summary', () => {
    const text = renderDiagnosticsHuman(DIAGS, { color: false, file: 'audiences.yaml' });
    expect(text).toBe(
      [
        'audiences.yaml:41:5  error  AUD003 missing-precedence  at activities.hero',
        '  Add `vip` to precedence.',
        '',
        'audiences.yaml:50:3  warning  AUD005 no-holdout  at activities.banner',
        '  Add a holdout.',
        '',
        'audiences.yaml has 1 error and 1 warning.',
        '',
      ].join('\n'),
    );
  });

  it('uses colour only when allowed', () => {
    expect(renderDiagnosticsHuman(DIAGS, { color: false, file: 'a.yaml' })).not.toMatch(/\u001b\[/);
    expect(renderDiagnosticsHuman(DIAGS, { color: true, file: 'a.yaml' })).toMatch(/\u001b\[31merror/);
  });

  it('says plainly when there is nothing to report, and when warnings fail under --strict', () => {
    expect(renderDiagnosticsHuman([], { color: false, file: 'a.yaml' })).toBe('a.yaml is valid: no problems found.\n');
    expect(renderDiagnosticsHuman([DIAGS[1]], { color: false, file: 'a.yaml' })).toMatch(/a\.yaml is valid, with 1 warning\.\n$/);
    expect(renderDiagnosticsHuman([DIAGS[1]], { color: false, file: 'a.yaml', strict: true })).toMatch(/--strict: warnings fail/);
  });
});

describe('json', () => {
  it('has exactly the documented shape', () => {
    const parsed = JSON.parse(renderDiagnosticsJson(DIAGS));
    expect(Object.keys(parsed)).toEqual(['diagnostics']);
    expect(parsed.diagnostics[0]).toEqual({
      rule: 'AUD003',
      severity: 'error',
      message: 'Add `vip` to precedence.',
      path: 'activities.hero',
      line: 41,
      column: 5,
      file: 'audiences.yaml',
    });
    expect(JSON.parse(renderDiagnosticsJson([]))).toEqual({ diagnostics: [] });
  });
});

describe('sarif', () => {
  const log = JSON.parse(renderDiagnosticsSarif(DIAGS, { rulesUrl: 'https://example.test/docs/rules.md', version: '0.1.0' }));

  it('is a SARIF 2.1.0 log with results pointing at rules by id and index', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('audiences');
    const result = run.results[0];
    expect(result).toMatchObject({ ruleId: 'AUD003', level: 'error', message: { text: 'Add `vip` to precedence.' } });
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe('AUD003');
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'audiences.yaml' },
      region: { startLine: 41, startColumn: 5 },
    });
    expect(result.locations[0].logicalLocations[0].fullyQualifiedName).toBe('activities.hero');
    expect(run.results[1].level).toBe('warning');
  });

  it('describes every rule with a helpUri anchor that exists in docs/rules.md', () => {
    const docs = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
    const anchors = new Set(
      [...docs.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-'),
      ),
    );
    const rules = log.runs[0].tool.driver.rules as Array<{ id: string; helpUri: string; defaultConfiguration: { level: string } }>;
    expect(rules.map((r) => r.id)).toEqual(listRuleInfo().map((r) => r.id));
    for (const info of listRuleInfo()) {
      const rule = rules.find((r) => r.id === info.id)!;
      expect(rule.helpUri).toBe(`https://example.test/docs/rules.md#${formatRuleAnchor(info)}`);
      expect(anchors.has(formatRuleAnchor(info)), `docs/rules.md lacks a heading for ${info.id}`).toBe(true);
    }
    expect(LINT_RULES.length).toBeGreaterThanOrEqual(9);
  });
});
