// The sync report (plain, JSON-serializable data) and its human rendering.
import { REJECT_REASON_TEXT, type RejectReason } from './identity.js';

export interface SyncReport {
  format_version: 1;
  workspace: string;
  runId: string;
  dryRun: boolean;
  full: boolean;
  /** ok: every batch confirmed; incomplete: some batch not confirmed (run again to resume); dry_run. */
  status: 'ok' | 'incomplete' | 'dry_run';
  startedAt: string;
  durationMs: number;
  /** From start until the last batch was confirmed complete (undefined when none was, or nothing to send). */
  confirmedMs?: number;
  segments: Array<{ key: string; members: number; entries: number; exits: number }>;
  /** Rows pushed per attribute (rows that carry a value for it). */
  attributes: Array<{ name: string; rows: number }>;
  holdouts: Array<{ key: string; percent: number; heldOut: number; of: number }>;
  profiles: { universe: number; current: number; changed: number; uploaded: number };
  rejected: {
    total: number;
    byReason: Record<string, number>;
    /** Masked samples (first characters, length, short hash): never a whole id or email. */
    samples: Array<{ reason: string; id: string }>;
  };
  batches: Array<{
    no: number;
    batchId?: string;
    rows: number;
    bytes: number;
    columns: string[];
    status: 'complete' | 'incomplete' | 'stuck' | 'failed' | 'dry_run' | 'abandoned';
    /** Left by an interrupted run and resumed by this one. */
    resumed?: boolean;
    failedRows?: number;
    profilesNotFound?: number;
    detail?: string;
  }>;
  writeback: { updated: number; failed: number };
  problems: string[];
}

export function renderSyncHuman(r: SyncReport): string {
  const lines: string[] = [];
  const mode = r.dryRun ? ' (dry run: nothing uploaded)' : r.full ? ' (full)' : '';
  lines.push(`Sync of ${r.workspace}${mode}`);
  lines.push('');
  if (r.segments.length > 0) {
    lines.push('Segments:');
    const w = Math.max(...r.segments.map((s) => s.key.length));
    for (const s of r.segments) {
      lines.push(`  ${s.key.padEnd(w)}  ${fmt(s.members)} members, +${fmt(s.entries)} entered, -${fmt(s.exits)} left`);
    }
  }
  if (r.holdouts.length > 0) {
    lines.push('Holdouts:');
    for (const h of r.holdouts) {
      const pct = h.of > 0 ? ((100 * h.heldOut) / h.of).toFixed(1) : '0.0';
      lines.push(`  ${h.key}  ${fmt(h.heldOut)} of ${fmt(h.of)} held out (${pct}%, declared ${h.percent}%)`);
    }
  }
  if (r.attributes.length > 0) {
    lines.push(r.dryRun ? 'Rows that would be pushed, per attribute:' : 'Rows pushed per attribute:');
    const w = Math.max(...r.attributes.map((a) => a.name.length));
    for (const a of r.attributes) lines.push(`  ${a.name.padEnd(w)}  ${fmt(a.rows)}`);
  }
  if (r.rejected.total > 0) {
    lines.push(`Rejected ids (not sent to Target): ${fmt(r.rejected.total)}`);
    for (const [reason, n] of Object.entries(r.rejected.byReason)) {
      const why = REJECT_REASON_TEXT[reason as RejectReason];
      lines.push(`  ${reason}: ${fmt(n)}${why ? ` (${why})` : ''}`);
    }
    for (const s of r.rejected.samples) lines.push(`    e.g. ${s.id} (${s.reason})`);
  }
  if (r.batches.length > 0) {
    lines.push('Batches:');
    for (const b of r.batches) {
      const extra = [
        b.resumed ? 'resumed' : '',
        b.failedRows ? `${fmt(b.failedRows)} failed rows` : '',
        b.profilesNotFound ? `${fmt(b.profilesNotFound)} profiles not found` : '',
        b.detail ?? '',
      ]
        .filter(Boolean)
        .join('; ');
      lines.push(`  #${b.no} ${b.batchId ?? '(not sent)'}  ${fmt(b.rows)} rows, ${fmtBytes(b.bytes)}  ${b.status}${extra ? `  (${extra})` : ''}`);
    }
  }
  if (r.writeback.updated + r.writeback.failed > 0) {
    lines.push(`Holdout write-back to Customer.io: ${fmt(r.writeback.updated)} updated, ${fmt(r.writeback.failed)} failed`);
  }
  for (const p of r.problems) lines.push(`Problem: ${p}`);
  lines.push('');
  const confirmed = r.confirmedMs !== undefined ? `, confirmed after ${secs(r.confirmedMs)}` : '';
  if (r.dryRun) {
    lines.push(`Dry run: ${fmt(r.profiles.changed)} of ${fmt(r.profiles.universe)} profiles would be updated in ${r.batches.length} batch(es).`);
  } else if (r.profiles.changed === 0 && r.batches.length === 0) {
    lines.push(`No changes: ${fmt(r.profiles.universe)} profiles already up to date (${secs(r.durationMs)}).`);
  } else {
    lines.push(
      `Sync ${r.status === 'ok' ? 'complete' : 'INCOMPLETE'}: ${fmt(r.profiles.uploaded)} profiles uploaded in ${r.batches.length} batch(es) in ${secs(r.durationMs)}${confirmed}.`,
    );
    if (r.status !== 'ok') lines.push('Run `audiences sync` again to resume: unconfirmed values are sent again, confirmed ones are kept.');
  }
  return `${lines.join('\n')}\n`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
