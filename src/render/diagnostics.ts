// Diagnostic views: human text (file:line:col, severity, rule, path, fix), the JSON report, and
// SARIF 2.1.0 for GitHub code scanning. Pure: diagnostics in, text out.
import type { Diagnostic } from '../model/diagnostic.js';
import { findRuleInfo, formatRuleAnchor, listRuleInfo, type RuleInfo } from '../config/rules/index.js';

export type DiagnosticFormat = 'human' | 'json' | 'sarif';

const ANSI = {
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  green: '\u001b[32m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
} as const;

export interface HumanOptions {
  color: boolean;
  /** The config file, for the summary line. */
  file: string;
  /** Warnings fail the check (--strict). */
  strict?: boolean;
}

/** One block per diagnostic, then a one-line summary. */
export function renderDiagnosticsHuman(diagnostics: readonly Diagnostic[], opts: HumanOptions): string {
  const paint = (code: string, text: string) => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const lines: string[] = [];
  for (const d of diagnostics) {
    const severity = d.severity === 'error' ? paint(ANSI.red, 'error') : paint(ANSI.yellow, 'warning');
    const info = findRuleInfo(d.rule);
    const rule = info && info.name !== info.id ? `${d.rule} ${info.name}` : d.rule;
    const where = d.path ? `  ${paint(ANSI.dim, `at ${d.path}`)}` : '';
    lines.push(`${paint(ANSI.bold, `${d.file}:${d.line}:${d.column}`)}  ${severity}  ${rule}${where}`);
    lines.push(`  ${d.message}`);
    lines.push('');
  }
  lines.push(formatSummary(diagnostics, opts, paint));
  return `${lines.join('\n')}\n`;
}

function formatSummary(
  diagnostics: readonly Diagnostic[],
  opts: HumanOptions,
  paint: (code: string, text: string) => string,
): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (errors === 0 && warnings === 0) return paint(ANSI.green, `${opts.file} is valid: no problems found.`);
  if (errors === 0 && !opts.strict) return paint(ANSI.green, `${opts.file} is valid, with ${count(warnings, 'warning')}.`);
  const failing = errors === 0 ? ` (--strict: warnings fail)` : '';
  return paint(ANSI.red, `${opts.file} has ${count(errors, 'error')} and ${count(warnings, 'warning')}${failing}.`);
}

/** `{"diagnostics":[{"rule","severity","message","path","line","column","file"}]}` */
export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[]): string {
  const report = {
    diagnostics: diagnostics.map((d) => ({
      rule: d.rule,
      severity: d.severity,
      message: d.message,
      path: d.path,
      line: d.line,
      column: d.column,
      file: d.file,
    })),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

export interface SarifOptions {
  /** Absolute URL of docs/rules.md; each rule's helpUri is this plus the rule's anchor. */
  rulesUrl: string;
  /** Tool version for the SARIF driver. */
  version: string;
  /** Turns a diagnostic's file into the artifact URI (relative to the repository root for code scanning). */
  toArtifactUri?: (file: string) => string;
}

/** SARIF 2.1.0 log with one run; every known rule is described so results can reference it by index. */
export function renderDiagnosticsSarif(diagnostics: readonly Diagnostic[], opts: SarifOptions): string {
  const rules = listRuleInfo();
  for (const d of diagnostics) {
    if (!rules.some((r) => r.id === d.rule)) rules.push({ id: d.rule, name: d.rule, severity: d.severity, summary: d.rule });
  }
  const toUri = opts.toArtifactUri ?? ((f: string) => f.replace(/\\/g, '/'));
  const helpUri = (r: RuleInfo) => `${opts.rulesUrl}#${formatRuleAnchor(r)}`;
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'audiences',
            version: opts.version,
            informationUri: opts.rulesUrl,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.summary },
              fullDescription: { text: r.summary },
              helpUri: helpUri(r),
              help: { text: `${r.summary} See ${helpUri(r)}`, markdown: `${r.summary} [How to fix](${helpUri(r)})` },
              defaultConfiguration: { level: r.severity === 'error' ? 'error' : 'warning' },
            })),
          },
        },
        results: diagnostics.map((d) => ({
          ruleId: d.rule,
          ruleIndex: rules.findIndex((r) => r.id === d.rule),
          level: d.severity === 'error' ? 'error' : 'warning',
          message: { text: d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: toUri(d.file) },
                region: { startLine: Math.max(1, d.line), startColumn: Math.max(1, d.column) },
              },
              ...(d.path ? { logicalLocations: [{ fullyQualifiedName: d.path, kind: 'member' }] } : {}),
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
