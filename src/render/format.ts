// Shared pieces of the plan renderers: symbols, value formatting, field-level diff lines, ANSI paint.
// Pure: colour is a parameter (no chalk import, whose module reads the terminal on load).
import { diffLines } from 'diff';
import type { Action, Change, FieldChange, JsonValue, Plan, PlatformName } from '../plan/types.js';
import { PLATFORMS } from '../plan/types.js';

export const SYMBOL: Record<Action, string> = {
  create: '+',
  update: '~',
  delete: '-',
  replace: '-/+',
  manual: '!',
};

export const VERB: Record<Action, string> = {
  create: 'create',
  update: 'update',
  delete: 'delete',
  replace: 'replace',
  manual: 'manual action required',
};

export type Paint = (s: string) => string;
export interface Palette {
  create: Paint;
  update: Paint;
  delete: Paint;
  replace: Paint;
  manual: Paint;
  bold: Paint;
  dim: Paint;
  added: Paint;
  removed: Paint;
}

const ansi = (open: number, close: number): Paint => (s) => (s ? `\u001b[${open}m${s}\u001b[${close}m` : s);
const plain: Paint = (s) => s;

export function palette(color: boolean): Palette {
  if (!color) {
    return { create: plain, update: plain, delete: plain, replace: plain, manual: plain, bold: plain, dim: plain, added: plain, removed: plain };
  }
  return {
    create: ansi(32, 39),
    update: ansi(33, 39),
    delete: ansi(31, 39),
    replace: ansi(35, 39),
    manual: ansi(36, 39),
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    added: ansi(32, 39),
    removed: ansi(31, 39),
  };
}

/** `Plan: N to create, N to update, N to delete, N to replace, N manual.` */
export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.replace} to replace, ${s.manual} manual.`;
}

export function changesByPlatform(plan: Plan): Array<[PlatformName, Change[]]> {
  return PLATFORMS.map((p) => [p, plan.changes.filter((c) => c.platform === p)] as [PlatformName, Change[]]).filter(
    ([, cs]) => cs.length > 0,
  );
}

/** A value on one line when it is short and single-line, else undefined. */
export function inline(v: JsonValue | undefined): string | undefined {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  if (typeof v === 'string' && v.includes('\n')) return undefined;
  return s.length <= 72 ? s : undefined;
}

/**
 * A value as lines: strings as-is (multi-line HTML); lists whose items fit on a line one item per
 * line (experiences, metrics, rule nodes read best that way); everything else as indented JSON.
 */
export function block(v: JsonValue | undefined): string[] {
  if (v === undefined || v === null) return [String(v ?? '(none)')];
  if (typeof v === 'string') return v.split('\n');
  if (Array.isArray(v) && v.every((x) => JSON.stringify(x).length <= 160)) {
    return ['[', ...v.map((x, i) => `  ${JSON.stringify(x)}${i < v.length - 1 ? ',' : ''}`), ']'];
  }
  if (!Array.isArray(v) && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 1 && Array.isArray(entries[0][1])) {
      // {"and": [...]}: the rule's children one per line.
      const [k, list] = entries[0] as [string, JsonValue[]];
      const inner = block(list);
      return [`{${JSON.stringify(k)}: ${inner[0]}`, ...inner.slice(1, -1), `${inner.at(-1)}}`];
    }
  }
  return JSON.stringify(v, null, 2).split('\n');
}

/**
 * Lines describing one field change, each with a marker char in front: ' ' context/headline,
 * '+' added, '-' removed. Short values: `path: before → after`; long ones: a line diff.
 */
export function fieldLines(f: FieldChange, action: Action): Array<[' ' | '+' | '-', string]> {
  if (action === 'create' || (f.before === undefined && action !== 'manual')) {
    // Unset optional fields (no schedule, no description) are noise on a create.
    if ((f.after === null || f.after === '') && action === 'create') return [];
    const one = inline(f.after);
    if (one !== undefined) return [['+', `${f.path} = ${one}`]];
    return [['+', `${f.path} =`], ...block(f.after).map((l) => ['+', `    ${l}`] as ['+', string])];
  }
  if (action === 'delete') {
    const one = inline(f.before);
    return one !== undefined ? [['-', `${f.path} = ${one}`]] : [['-', `${f.path} = (${typeof f.before})`]];
  }
  const a = inline(f.before);
  const b = inline(f.after);
  if (a !== undefined && b !== undefined) return [[' ', `${f.path}: ${a} → ${b}`]];
  const out: Array<[' ' | '+' | '-', string]> = [[' ', `${f.path}:`]];
  const before = block(f.before).join('\n') + '\n';
  const after = block(f.after).join('\n') + '\n';
  for (const part of diffLines(before, after)) {
    const mark: ' ' | '+' | '-' = part.added ? '+' : part.removed ? '-' : ' ';
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const l of lines) out.push([mark, `    ${l}`]);
  }
  return out;
}
