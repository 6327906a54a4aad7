// The plan as one sticky pull-request comment: verdict and counts first, then warnings and
// destructive changes, then a collapsible diff per platform; always under GitHub's comment limit.
import { redact, redactValue } from '../model/secrets.js';
import { PLATFORM_TITLES, type Change, type Plan } from '../plan/types.js';
import { SYMBOL, VERB, changesByPlatform, fieldLines, summaryLine } from './format.js';

/** Hidden marker a CI step finds the previous comment by, to edit it in place. */
export const COMMENT_MARKER = '<!-- audiences:plan -->';
/** GitHub allows 65,536 characters per comment; keep a margin. */
export const MAX_MARKDOWN_CHARS = 65_000;

export interface MarkdownOptions {
  /** Character budget (default 65,000). */
  maxChars?: number;
  /** Where the full plan can be found when the comment is truncated (a CI artifact URL). */
  fullPlanHint?: string;
}

export function renderPlanMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const p = redactValue(plan);
  const max = opts.maxChars ?? MAX_MARKDOWN_CHARS;
  const head: string[] = [COMMENT_MARKER, '### audiences plan', ''];
  if (p.changes.length === 0) head.push('**No changes.** Customer.io and Adobe Target match `audiences.yaml`.', '');
  else head.push(`**${summaryLine(p)}**`, '');

  const destructive = p.changes.filter((c) => c.destructive);
  const manual = p.changes.filter((c) => c.action === 'manual');
  const notes: string[] = [
    ...destructive.map((c) => `- :boom: **${VERB[c.action]}** \`${c.address}\`: ${oneLine(c.reason ?? 'destructive')}`),
    ...manual.map((c) => `- :hand: \`${c.address}\`: ${oneLine(c.reason ?? 'manual action required')}`),
    ...p.warnings.map((w) => `- :warning: ${oneLine(w.message)}`),
  ];
  if (notes.length > 0) {
    const shown = notes.slice(0, 50);
    head.push('**Warnings**', '', ...shown);
    if (notes.length > shown.length) head.push(`- … and ${notes.length - shown.length} more`);
    head.push('');
  }

  const groups = changesByPlatform(p);
  if (groups.length > 0) {
    head.push('| Platform | Create | Update | Delete | Replace | Manual |', '|---|---:|---:|---:|---:|---:|');
    for (const [platform, cs] of groups) {
      const n = (a: Change['action']) => cs.filter((c) => c.action === a).length;
      head.push(`| ${PLATFORM_TITLES[platform]} | ${n('create')} | ${n('update')} | ${n('delete')} | ${n('replace')} | ${n('manual')} |`);
    }
    head.push('');
  }
  const footer = ['', `<sub>checksum <code>${p.checksum}</code> · apply with <code>--checksum ${p.checksum}</code></sub>`, ''];

  let text = truncate(head.join('\n'), max - 2000) + '\n';
  let omitted = 0;
  const reserve = footer.join('\n').length + 600;
  for (const [platform, cs] of groups) {
    const open = `<details><summary><b>${PLATFORM_TITLES[platform]}</b>: ${cs.length} change${cs.length === 1 ? '' : 's'}</summary>\n\n`;
    const blocks = cs.map(changeBlock);
    const fence = fenceFor(blocks.join('\n'));
    let section = `${open}${fence}diff\n`;
    const close = `${fence}\n\n</details>\n\n`;
    let shown = 0;
    for (const b of blocks) {
      if (text.length + section.length + b.length + 1 + close.length + reserve > max) break;
      section += b + '\n';
      shown += 1;
    }
    omitted += cs.length - shown;
    if (shown === 0 && text.length + open.length + reserve > max) continue;
    text += section + close;
  }
  const refs = p.references ?? [];
  if (refs.length > 0) {
    const rows = refs.map(
      (r) =>
        `| ${r.status === 'ok' ? ':white_check_mark:' : ':hand:'} \`${r.key}\` | ${r.id ?? '—'} | ${cell(r.name || 'missing')} | ${r.state ?? '—'} | ${
          r.size == null ? '—' : r.size.toLocaleString('en-US')
        } |`,
    );
    const table = [
      `<details><summary><b>Read-only references</b>: ${refs.length} data-driven segment${refs.length === 1 ? '' : 's'} checked</summary>`,
      '',
      '| Segment | Id | Name in Customer.io | State | Size |',
      '|---|---:|---|---|---:|',
      ...rows,
      '',
      '</details>',
      '',
      '',
    ].join('\n');
    if (text.length + table.length + reserve <= max) text += table;
  }
  if (omitted > 0) {
    text +=
      `> [!NOTE]\n> ${omitted} change${omitted === 1 ? '' : 's'} not shown: the comment is limited to ${max.toLocaleString('en-US')} characters. ` +
      `${opts.fullPlanHint ?? 'Run `audiences plan` locally or read the JSON plan (`--format json`) for every change.'}\n`;
  }
  text += footer.join('\n');
  return redact(text);
}

function changeBlock(c: Change): string {
  const lines = [`${SYMBOL[c.action]} ${c.address}${c.action === 'update' ? '' : ` (${VERB[c.action]})`}`];
  if (c.reason) lines.push(`# ${oneLine(c.reason)}`);
  if (c.action !== 'delete') {
    for (const f of c.fields) {
      if (f.path === 'key' && c.previousKey !== undefined) continue;
      for (const [mark, line] of fieldLines(f, c.action)) lines.push(`${mark === ' ' ? ' ' : mark}   ${line}`);
    }
  }
  return lines.join('\n');
}

/** A code fence longer than any backtick run in the content (offer HTML may contain backticks). */
function fenceFor(content: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

function cell(s: string): string {
  return oneLine(s).replace(/\|/g, '\\|');
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}\n…`;
}
