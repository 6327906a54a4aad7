// The plan for a terminal: sections per platform, one line per change, field-level diffs, the
// read-only references checked, warnings, and the summary line last. Colour only when asked (the
// CLI decides from TTY / NO_COLOR).
import { redact, redactValue } from '../model/secrets.js';
import { PLATFORM_TITLES, type Change, type Plan, type PlanReference } from '../plan/types.js';
import { SYMBOL, VERB, changesByPlatform, fieldLines, palette, summaryLine, type Palette } from './format.js';

export interface HumanOptions {
  color: boolean;
}

export function renderPlanHuman(plan: Plan, opts: HumanOptions = { color: false }): string {
  const p = redactValue(plan);
  const c = palette(opts.color);
  const out: string[] = [];
  for (const [platform, changes] of changesByPlatform(p)) {
    out.push(c.bold(PLATFORM_TITLES[platform]), '');
    for (const ch of changes) out.push(...renderChange(ch, c), '');
  }
  if ((p.references ?? []).length > 0) out.push(...renderReferences(p.references!, c), '');
  if (p.warnings.length > 0) {
    out.push(c.bold('Warnings:'));
    for (const w of p.warnings) out.push(`  ${c.manual('!')} ${w.message}`);
    out.push('');
  }
  out.push(p.changes.length === 0 ? 'No changes. The platforms match audiences.yaml.' : c.bold(summaryLine(p)));
  return redact(out.join('\n')) + '\n';
}

function renderChange(ch: Change, c: Palette): string[] {
  const paint = c[ch.action];
  const head = `  ${paint(SYMBOL[ch.action])} ${ch.address}${ch.action === 'update' ? '' : c.dim(` (${VERB[ch.action]})`)}`;
  const out = [head];
  if (ch.previousKey !== undefined && !ch.previousKey.startsWith('#')) out.push(`      ${c.dim(`# moved from key "${ch.previousKey}"`)}`);
  if (ch.reason && !(ch.previousKey !== undefined && ch.reason.startsWith('moved from'))) {
    out.push(`      ${c.dim(`# ${ch.reason}`)}`);
  }
  if (ch.action === 'delete') {
    if (ch.before && typeof ch.before.name === 'string') out.push(`      ${c.removed(`- name = ${JSON.stringify(ch.before.name)}`)}`);
    return out;
  }
  for (const f of ch.fields) {
    if (ch.action === 'update' && f.path === 'key') continue; // shown as "moved from"
    for (const [mark, line] of fieldLines(f, ch.action)) {
      const text = `      ${mark === ' ' ? ' ' : mark} ${line}`;
      out.push(mark === '+' ? c.added(text) : mark === '-' ? c.removed(text) : text);
    }
  }
  return out;
}

/**
 * The data-driven Customer.io segments the plan checked: one row each with id, name, state and
 * size, so a reviewer sees that the segments the audiences mirror exist and are not empty.
 */
function renderReferences(refs: readonly PlanReference[], c: Palette): string[] {
  const header = ['SEGMENT', 'ID', 'NAME IN CUSTOMER.IO', 'STATE', 'SIZE', 'STATUS'];
  const rows = refs.map((r) => [
    r.key,
    r.id === undefined ? '-' : String(r.id),
    r.name ? JSON.stringify(r.name) : '(not found)',
    r.state ?? '-',
    r.size == null ? '-' : String(r.size),
    r.status === 'ok' ? 'ok' : 'manual action required',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells
      .map((cell, i) => (i === 1 || i === 4 ? cell.padStart(widths[i]!) : i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')}`.trimEnd();
  return [
    c.bold('Read-only references (Customer.io data-driven segments; apply never changes them)'),
    '',
    c.dim(line(header)),
    ...rows.map((row, i) => (refs[i]!.status === 'ok' ? line(row) : c.manual(line(row)))),
  ];
}
