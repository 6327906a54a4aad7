// The plan for a terminal: sections per platform, one line per change, field-level diffs, warnings,
// and the summary line last. Colour only when asked (the CLI decides from TTY / NO_COLOR).
import { redact, redactValue } from '../model/secrets.js';
import { PLATFORM_TITLES, type Change, type Plan } from '../plan/types.js';
import { SYMBOL, VERB, changesByPlatform, fieldLines, palette, summaryLine, type Palette } from './format.js';

export interface HumanOptions {
  color: boolean;
}

export function renderPlanHuman(plan: Plan, opts: HumanOptions = { color: false }): string {
  const p = redactValue(plan);
  const c = palette(opts.color);
  if (p.changes.length === 0 && p.warnings.length === 0) return 'No changes. The platforms match audiences.yaml.\n';
  const out: string[] = [];
  for (const [platform, changes] of changesByPlatform(p)) {
    out.push(c.bold(PLATFORM_TITLES[platform]), '');
    for (const ch of changes) out.push(...renderChange(ch, c), '');
  }
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
