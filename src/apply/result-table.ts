// Renders the outcome of an apply as a table of succeeded, failed and skipped changes. Pure.
import type { Action } from '../plan/types.js';

export type ChangeStatus = 'succeeded' | 'failed' | 'skipped';

export interface ChangeResult {
  address: string;
  action: Action;
  status: ChangeStatus;
  /** Server id of the object after the change (created or replaced), when known. */
  id?: string | number;
  /** Why it failed (the platform error, redacted) or why it was skipped (the failed dependency). */
  message?: string;
  durationMs?: number;
}

export interface ResultCounts {
  succeeded: number;
  failed: number;
  skipped: number;
}

export function countResults(results: readonly ChangeResult[]): ResultCounts {
  const counts: ResultCounts = { succeeded: 0, failed: 0, skipped: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

const STATUS_LABEL: Record<ChangeStatus, string> = { succeeded: 'ok', failed: 'FAILED', skipped: 'skipped' };

/**
 * A fixed-width table, one row per change in execution order, then a one-line total. Messages are
 * kept on one line and cut at `maxMessage` characters so the table stays readable in CI logs.
 */
export function renderResultTable(results: readonly ChangeResult[], opts: { maxMessage?: number } = {}): string {
  if (results.length === 0) return 'Apply: nothing to do.\n';
  const maxMessage = opts.maxMessage ?? 160;
  const rows = results.map((r) => [
    STATUS_LABEL[r.status],
    r.action,
    r.address,
    oneLine(r.message ?? (r.status === 'succeeded' && r.id !== undefined ? `id ${r.id}` : ''), maxMessage),
  ]);
  const header = ['RESULT', 'ACTION', 'ADDRESS', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const c = countResults(results);
  return [
    line(header),
    ...rows.map(line),
    '',
    `Apply: ${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped.`,
    '',
  ].join('\n');
}

function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
