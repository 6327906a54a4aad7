// The drift report: a fresh plan's changes and warnings plus audience size swings, as findings with a verdict; its renderers. Pure.
import { createHash } from 'node:crypto';
import type { Change, Plan, PlanWarning } from '../plan/types.js';
import { CLEAN_FINGERPRINT, type DriftRun, type DriftStatus } from './history.js';
import { checkSizeSwings, type SizeSwing } from './size-swing.js';

export type FindingCategory = 'changed' | 'missing' | 'undeclared' | 'manual' | 'collision' | 'warning' | 'size_swing';

export interface DriftFinding {
  category: FindingCategory;
  /** Resource address, or `customerio.segment.<key>` for a size swing. */
  address: string;
  message: string;
  /** Changed field paths (changed/manual), for the report and the fingerprint. */
  fields?: string[];
  /** Size swings only: which way the size moved. */
  direction?: 'up' | 'down';
}

export interface DriftReport {
  format_version: string;
  workspace: string;
  checked_at: string;
  status: Exclude<DriftStatus, 'error'>;
  fingerprint: string;
  findings: DriftFinding[];
  sizes: Record<string, number>;
  size_swing_pct: number;
  swings: SizeSwing[];
  /** Segments whose size has no earlier value in the history to compare with. */
  new_segments: string[];
}

export const DRIFT_FORMAT_VERSION = '1.0';

const CATEGORY_TITLE: Record<FindingCategory, string> = {
  changed: 'Changed outside audiences',
  missing: 'Missing on the platform',
  undeclared: 'Owned but no longer declared',
  manual: 'Manual action required',
  collision: 'Unowned objects colliding with declared names',
  warning: 'Warnings',
  size_swing: 'Audience size swings',
};

const CATEGORY_ORDER: FindingCategory[] = ['missing', 'changed', 'undeclared', 'collision', 'manual', 'size_swing', 'warning'];

export function buildDriftReport(input: {
  workspace: string;
  plan: Pick<Plan, 'changes' | 'warnings'>;
  sizes: Record<string, number>;
  runs: readonly DriftRun[];
  sizeSwingPct: number;
  now?: Date;
}): DriftReport {
  const findings: DriftFinding[] = [
    ...input.plan.changes.map(findingOfChange),
    ...input.plan.warnings.map(findingOfWarning),
  ];
  const sizeCheck = checkSizeSwings(input.sizes, input.runs, input.sizeSwingPct);
  for (const s of sizeCheck.swings) {
    findings.push({
      category: 'size_swing',
      address: `customerio.segment.${s.segment}`,
      direction: s.change_pct > 0 ? 'up' : 'down',
      message: `${s.current} people, ${s.change_pct > 0 ? '+' : ''}${s.change_pct}% against ${s.baseline} (median of recent runs); threshold ±${input.sizeSwingPct}%`,
    });
  }
  findings.sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) || cmp(a.address, b.address));
  return {
    format_version: DRIFT_FORMAT_VERSION,
    workspace: input.workspace,
    checked_at: (input.now ?? new Date()).toISOString(),
    status: findings.length > 0 ? 'drift' : 'clean',
    fingerprint: fingerprintFindings(findings),
    findings,
    sizes: input.sizes,
    size_swing_pct: input.sizeSwingPct,
    swings: sizeCheck.swings,
    new_segments: sizeCheck.new_segments,
  };
}

function findingOfChange(c: Change): DriftFinding {
  const fields = c.fields.map((f) => f.path);
  switch (c.action) {
    case 'create':
      return { category: 'missing', address: c.address, message: 'declared in the config but not found on the platform' };
    case 'delete':
      return { category: 'undeclared', address: c.address, message: 'carries this workspace\'s marker but is no longer declared' };
    case 'manual':
      return { category: 'manual', address: c.address, message: c.reason ?? 'differs from the config and cannot be changed by audiences', fields };
    case 'update':
    case 'replace':
      return {
        category: 'changed',
        address: c.address,
        message: `${fields.length > 0 ? `differs in ${fields.join(', ')}` : 'differs from the config'}${c.action === 'replace' ? ` (needs a replace${c.reason ? `: ${c.reason}` : ''})` : ''}`,
        fields,
      };
  }
}

function findingOfWarning(w: PlanWarning): DriftFinding {
  const category: FindingCategory = /collision|unowned|foreign/.test(w.code) ? 'collision' : 'warning';
  return { category, address: w.address ?? '', message: `${w.message} [${w.code}]` };
}

/**
 * Identifies "the same drift": category, address and field paths, and the direction of each size
 * swing (not its exact numbers, which move every run).
 */
export function fingerprintFindings(findings: readonly DriftFinding[]): string {
  if (findings.length === 0) return CLEAN_FINGERPRINT;
  const lines = findings
    .map((f) => {
      if (f.category === 'size_swing') return `${f.category} ${f.address} ${f.direction ?? ''}`;
      return `${f.category} ${f.address} ${(f.fields ?? []).join(',')}`;
    })
    .sort(cmp);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export function renderDriftHuman(report: DriftReport): string {
  const out: string[] = [];
  if (report.status === 'clean') {
    out.push(`No drift: both platforms match the config of workspace ${report.workspace}.`);
  } else {
    out.push(`Drift detected in workspace ${report.workspace}: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}.`);
    for (const category of CATEGORY_ORDER) {
      const items = report.findings.filter((f) => f.category === category);
      if (items.length === 0) continue;
      out.push('', `${CATEGORY_TITLE[category]}:`);
      for (const f of items) out.push(`  ${f.address ? `${f.address}: ` : ''}${f.message}`);
    }
  }
  out.push('', ...renderSizeLines(report).map((l) => l));
  return `${out.join('\n')}\n`;
}

function renderSizeLines(report: DriftReport): string[] {
  const keys = Object.keys(report.sizes).sort(cmp);
  if (keys.length === 0) return ['Segment sizes: none read.'];
  const swung = new Set(report.swings.map((s) => s.segment));
  const fresh = new Set(report.new_segments);
  const width = Math.max(...keys.map((k) => k.length));
  return [
    `Segment sizes (Customer.io customer_count; flagged beyond ±${report.size_swing_pct}%):`,
    ...keys.map((k) => {
      const note = swung.has(k) ? '  SWING' : fresh.has(k) ? '  (first recorded)' : '';
      return `  ${k.padEnd(width)}  ${String(report.sizes[k]).padStart(9)}${note}`;
    }),
  ];
}

/** The summary posted to the webhook and printed with --format markdown. */
export function renderDriftMarkdown(report: DriftReport): string {
  const out: string[] = [];
  if (report.status === 'clean') {
    out.push(`**audiences drift: none** in \`${report.workspace}\`. Both platforms match the config.`);
  } else {
    out.push(`**audiences drift detected** in \`${report.workspace}\`: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}.`);
    for (const category of CATEGORY_ORDER) {
      const items = report.findings.filter((f) => f.category === category);
      if (items.length === 0) continue;
      out.push('', `*${CATEGORY_TITLE[category]}*`);
      for (const f of items) out.push(`- ${f.address ? `\`${f.address}\`: ` : ''}${f.message}`);
    }
  }
  out.push('', `_Checked ${report.checked_at}. Run \`audiences plan\` for details, \`audiences apply\` to restore the config._`);
  return `${out.join('\n')}\n`;
}

export function renderDriftJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
