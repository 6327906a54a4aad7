// The sync orchestrator: resume unconfirmed batches → stream membership → read traits → diff against
// the confirmed state → journal, upload and confirm batches → write holdouts back. State advances
// only when Target confirms a batch, so a run killed anywhere can simply be run again.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { TRUE, holdoutAttribute } from '../model/attributes.js';
import { redact } from '../model/secrets.js';
import { BatchBuilder, DEFAULT_BATCH_LIMITS, type BatchFile, type BatchLimits } from './batch.js';
import { buildSyncSpec, diffProfile, extractTraits, type SyncSpec } from './compute.js';
import { maskId, resolveIdentity, customerioKey } from './identity.js';
import { silentProgress, type SyncProgress } from './progress.js';
import type { SyncReport } from './report.js';
import { MissingSegmentError, type BatchStatusResult, type SyncSources } from './sources.js';
import type { JournaledBatch, SyncStore } from './state/types.js';

export type SyncStage = 'resume' | 'membership' | 'traits' | 'diff' | 'journal' | 'upload' | 'confirm' | 'writeback';

export interface PollOptions {
  /** First wait between status checks (default 250 ms); grows ×1.5 up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** How long to wait for batches before reporting them incomplete (default: sync.max_latency). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RunSyncOptions {
  config: Pick<Config, 'workspace' | 'identity' | 'sync' | 'segments' | 'audiences' | 'cooldowns' | 'fields' | 'holdouts'>;
  sources: SyncSources;
  store: SyncStore;
  /** Push every desired value, not only what changed. */
  full?: boolean;
  /** Compute and report, upload nothing, change no state. */
  dryRun?: boolean;
  progress?: SyncProgress;
  /** Limit the run to these normalized Customer.io keys (verify's test profile). */
  only?: ReadonlySet<string>;
  limits?: BatchLimits;
  poll?: PollOptions;
  /** Called after each stage (and after each batch's journal/upload/confirm): tests throw here to simulate a kill. */
  afterStage?: (stage: SyncStage) => void | Promise<void>;
  /** Column sets with fewer rows than this are merged into one batch (empty cells = unchanged). Default 1000. */
  mergeBelowRows?: number;
  /**
   * Folder for this run's batch files (a fresh subfolder, removed at the end). Given, it must be
   * used by this state's runs alone (the CLI passes the state's folder, whose lock they hold), and
   * batch folders a killed run left there are removed first. Default: the OS temp folder.
   */
  workDir?: string;
  /** Current members above which traits come from an export instead of batches of 100 (default 10,000). */
  bulkTraitsAbove?: number;
  /** Customer.io attribute reads in flight at once (default 10). */
  traitConcurrency?: number;
  now?: () => number;
}

/** Rows per store page: bounds the JS heap of each stage. */
const PAGE = 2000;

export async function runSync(opts: RunSyncOptions): Promise<SyncReport> {
  const runId = `${new Date((opts.now ?? Date.now)()).toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  try {
    return await runSyncOnce(opts, runId);
  } catch (err) {
    // Best effort: the run journal says how it ended (a killed process leaves it "running").
    if (!opts.dryRun) {
      try {
        opts.store.finishRun(runId, 'failed', JSON.stringify({ error: errorText(err) }));
      } catch {
        // The store itself may be what failed; the error below is the one to report.
      }
    }
    throw err;
  }
}

async function runSyncOnce(opts: RunSyncOptions, runId: string): Promise<SyncReport> {
  const { config, sources, store } = opts;
  const now = opts.now ?? Date.now;
  const progress = opts.progress ?? silentProgress;
  const hook = async (s: SyncStage) => {
    if (opts.afterStage) await opts.afterStage(s);
  };
  const declared = buildSyncSpec(config);
  /** What this run pushes: the declared spec minus segments the platform does not have. */
  let spec = declared;
  const full = opts.full ?? false;
  const dryRun = opts.dryRun ?? false;
  const started = now();
  const poll = {
    intervalMs: opts.poll?.intervalMs ?? 250,
    maxIntervalMs: opts.poll?.maxIntervalMs ?? 15_000,
    timeoutMs: opts.poll?.timeoutMs ?? config.sync.max_latency.ms,
    sleep: opts.poll?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
  };

  const report: SyncReport = {
    format_version: 1,
    workspace: config.workspace,
    runId,
    dryRun,
    full,
    status: dryRun ? 'dry_run' : 'ok',
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    segments: spec.segments.map((s) => ({ key: s.key, members: 0, entries: 0, exits: 0 })),
    attributes: [],
    holdouts: spec.holdouts.map((h) => ({ key: h.key, percent: h.percent, heldOut: 0, of: 0 })),
    profiles: { universe: 0, current: 0, changed: 0, uploaded: 0 },
    rejected: { total: 0, byReason: {}, samples: [] },
    batches: [],
    writeback: { updated: 0, failed: 0 },
    problems: [],
  };

  if (!dryRun) store.beginRun({ id: runId, startedAt: started, status: 'running' });
  store.resetScratch();
  if (opts.workDir && !dryRun) removeStaleBatchFolders(opts.workDir);
  let lastConfirmed: number | undefined;

  // 1. Resume: batches an interrupted run uploaded are polled to the end; batches it journaled but
  //    may or may not have sent are abandoned (their values become "unknown" and are sent again).
  if (!dryRun) {
    const pending = store.pendingBatches();
    if (pending.length > 0) {
      progress.stage('resume', pending.length);
      const uploaded: JournaledBatch[] = [];
      for (const b of pending) {
        if (b.state === 'uploaded' && b.batchId) uploaded.push(b);
        else {
          store.abandonBatch(b.no, 'interrupted before Target accepted it; its values are sent again');
          report.batches.push({ no: b.no, rows: b.rows, bytes: b.bytes, columns: b.columns, status: 'abandoned', resumed: true, detail: 'interrupted before upload was confirmed; values sent again' });
          progress.tick(1);
        }
      }
      const results = await waitForBatches(uploaded, true);
      for (const r of results) if (r.status === 'complete') lastConfirmed = now();
      progress.done();
    }
    await hook('resume');
  }

  // 2. Membership, streamed page by page into the store's scratch tables.
  const only = opts.only;
  const missing = new Set<string>();
  for (const [i, seg] of declared.segments.entries()) {
    progress.stage(`membership ${seg.key}`);
    try {
      for await (const page of sources.membership.members(seg)) {
        const members: Array<{ targetId: string; key: string }> = [];
        const rejected: Array<{ raw: string; reason: string }> = [];
        for (const person of page) {
          if (only) {
            const k = customerioKey(person, config.identity);
            if (k === undefined || !only.has(k)) continue;
          }
          const id = resolveIdentity(person, config.identity);
          if (id.ok) members.push({ targetId: id.targetId, key: id.key });
          else rejected.push({ raw: id.raw, reason: id.reason });
        }
        store.addMembers(seg.key, members);
        if (rejected.length > 0) store.addRejected(rejected);
        progress.tick(page.length);
      }
    } catch (err) {
      if (!(err instanceof MissingSegmentError)) throw err;
      // Its flags are left as they are (not all set to false): a missing segment is a setup
      // problem, not everybody leaving it.
      missing.add(seg.key);
      report.problems.push(`${err.message}: its flags were not pushed. ${err.hint}`);
      progress.note(`${err.message}; skipped`);
    }
    (report.segments[i] as SyncReport['segments'][number]).members = store.memberCount(seg.key);
    progress.done();
  }
  if (missing.size > 0) {
    spec = { ...declared, segments: declared.segments.filter((s) => !missing.has(s.key)) };
    report.segments = report.segments.filter((s) => !missing.has(s.key));
  }
  if (only) {
    // Named profiles take part even when in no segment: they get their explicit "false" flags.
    const named = [...only].map((k) => resolveIdentity({ [config.identity.customerio]: k }, config.identity));
    store.addProfiles(named.flatMap((n) => (n.ok ? [{ targetId: n.targetId, key: n.key }] : [])));
  }
  report.rejected.byReason = store.rejectedCounts();
  report.rejected.total = Object.values(report.rejected.byReason).reduce((a, b) => a + b, 0);
  report.rejected.samples = store.rejectedSamples(3).map((s) => ({ reason: s.reason, id: maskId(s.raw) }));
  if (report.rejected.total > 0) {
    progress.note(`${report.rejected.total} id(s) cannot be sent to Target and are left out (see the report)`);
  }
  await hook('membership');

  // 3. Traits of current members.
  if (spec.fields.length > 0) await readTraits(spec);
  await hook('traits');

  // 4. Diff: the universe is current members plus profiles the state says were members (exits).
  store.addPreviousMembers();
  const universe = store.universeCount();
  progress.stage('diff', universe);
  const attrRows = new Map<string, number>();
  let after = '';
  for (;;) {
    const page = store.universePage(after, PAGE);
    if (page.length === 0) break;
    after = (page[page.length - 1] as (typeof page)[number]).targetId;
    const changes = [];
    const writebacks = [];
    for (const entry of page) {
      if (only && (entry.key === null || !only.has(entry.key))) continue;
      report.profiles.universe += 1;
      if (entry.current) report.profiles.current += 1;
      const d = diffProfile(spec, entry, full);
      for (const s of d.entries) bump(report.segments, s, 'entries');
      for (const s of d.exits) bump(report.segments, s, 'exits');
      if (entry.current) {
        for (const h of report.holdouts) {
          h.of += 1;
          if (d.desired[holdoutAttribute(h.key)] === TRUE) h.heldOut += 1;
        }
      }
      const names = Object.keys(d.changes);
      if (names.length > 0) {
        changes.push({ targetId: entry.targetId, key: entry.key, values: d.changes });
        for (const n of names) attrRows.set(n, (attrRows.get(n) ?? 0) + 1);
      }
      if (entry.key !== null && Object.keys(d.writeback).length > 0) {
        writebacks.push({ targetId: entry.targetId, key: entry.key, values: d.writeback });
      }
    }
    store.addChanges(changes);
    if (writebacks.length > 0) store.addWritebacks(writebacks);
    report.profiles.changed += changes.length;
    progress.tick(page.length);
  }
  progress.done();
  report.attributes = [...attrRows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, rows]) => ({ name, rows }));
  await hook('diff');

  // 5. Batches: one column set per group; small sets merged so a few changes never make many uploads.
  const limits = opts.limits ?? DEFAULT_BATCH_LIMITS;
  const groups = store.changeGroups();
  const mergeBelow = opts.mergeBelowRows ?? 1000;
  const big = groups.filter((g) => g.rows >= mergeBelow);
  const small = groups.filter((g) => g.rows < mergeBelow);
  const plan: Array<{ group: number; columns: string[] }> = [];
  big.forEach((g, i) => {
    store.assignGroup([g.columns], i + 1);
    plan.push({ group: i + 1, columns: g.columns });
  });
  if (small.length > 0) {
    const group = big.length + 1;
    store.assignGroup(
      small.map((g) => g.columns),
      group,
    );
    plan.push({ group, columns: [...new Set(small.flatMap((g) => g.columns))].sort() });
  }
  const uploaded: JournaledBatch[] = [];
  let stopUploads = false;
  if (report.profiles.changed > 0) progress.stage(dryRun ? 'batches (dry run)' : 'upload', report.profiles.changed);
  // Batch files are written to disk and streamed from there: a 50 MB file is never one string.
  const workDir = plan.length > 0 && !dryRun ? mkdtempSync(join(opts.workDir ?? tmpdir(), BATCH_FOLDER)) : undefined;
  try {
    for (const g of plan) {
      if (stopUploads) break;
      const builder = new BatchBuilder(g.columns, limits, workDir, `group-${g.group}`);
      try {
        let afterId = '';
        for (;;) {
          const rows = store.changePage(g.group, afterId, PAGE);
          if (rows.length === 0) break;
          afterId = (rows[rows.length - 1] as (typeof rows)[number]).targetId;
          for (const row of rows) {
            const file = builder.add({ thirdPartyId: row.targetId, values: row.values });
            if (file) await ship(file, g.group);
            if (stopUploads) break;
          }
          if (stopUploads) break;
        }
        const last = builder.flush();
        if (last && !stopUploads) await ship(last, g.group);
      } finally {
        builder.discard();
      }
    }
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
  if (report.profiles.changed > 0) progress.done();

  // 6. Confirm.
  if (uploaded.length > 0) {
    progress.stage('confirm', uploaded.length);
    const results = await waitForBatches(uploaded, false);
    if (results.some((r) => r.status === 'complete')) lastConfirmed = now();
    progress.done();
  }
  if (!dryRun && report.batches.every((b) => b.status === 'complete' || b.status === 'abandoned') && lastConfirmed !== undefined) {
    report.confirmedMs = lastConfirmed - started;
  }

  // 7. Holdout write-back to Customer.io (idempotent; recorded so it is sent only when it changed).
  if (!dryRun && sources.writeback) await writeBack(sources.writeback);

  report.durationMs = now() - started;
  if (!dryRun) {
    const unconfirmed = report.batches.some((b) => !b.resumed && b.status !== 'complete') || stopUploads || missing.size > 0;
    report.status = unconfirmed ? 'incomplete' : 'ok';
    store.finishRun(runId, report.status, JSON.stringify(report));
  }
  return report;

  // ---- helpers (closures over the run) -------------------------------------------------------

  async function readTraits(s: SyncSpec): Promise<void> {
    const fieldKeys = s.fields.map((f) => f.key);
    // Before addPreviousMembers, the run's universe is exactly the current members.
    const current = store.universeCount();
    if (sources.traits.bulk && !only && current > (opts.bulkTraitsAbove ?? 10_000)) {
      progress.stage('traits (export)');
      for await (const page of sources.traits.bulk(s.segments, fieldKeys)) {
        const keyed = new Map<string, Record<string, unknown>>();
        for (const p of page) {
          const k = customerioKey(p.person, config.identity);
          if (k !== undefined) keyed.set(k, p.attributes);
        }
        const ids = store.targetIdsForKeys([...keyed.keys()]);
        const rows: Array<{ targetId: string; traits: Record<string, string> }> = [];
        for (const [k, attrs] of keyed) {
          const tid = ids.get(k);
          if (tid !== undefined) rows.push({ targetId: tid, traits: extractTraits(s, attrs) });
        }
        store.setTraits(rows);
        progress.tick(page.length);
      }
      progress.done();
      return;
    }
    progress.stage('traits');
    const concurrency = opts.traitConcurrency ?? 10;
    let afterId = '';
    for (;;) {
      const page = store.currentPage(afterId, 100 * concurrency);
      if (page.length === 0) break;
      afterId = (page[page.length - 1] as (typeof page)[number]).targetId;
      const chunks: Array<typeof page> = [];
      for (let i = 0; i < page.length; i += 100) chunks.push(page.slice(i, i + 100));
      const results = await Promise.all(chunks.map((c) => sources.traits.read(c.map((m) => m.key))));
      const rows: Array<{ targetId: string; traits: Record<string, string> }> = [];
      chunks.forEach((c, i) => {
        const got = results[i] as Map<string, Record<string, unknown>>;
        for (const m of c) {
          const attrs = got.get(m.key);
          if (attrs) rows.push({ targetId: m.targetId, traits: extractTraits(s, attrs) });
        }
      });
      store.setTraits(rows);
      progress.tick(page.length);
    }
    progress.done();
  }

  async function ship(file: BatchFile, group: number): Promise<void> {
    const entry = { rows: file.rows, bytes: file.bytes, columns: file.columns };
    if (dryRun || file.path === undefined) {
      report.batches.push({ no: report.batches.length + 1, ...entry, status: 'dry_run' });
      progress.tick(file.rows);
      return;
    }
    const no = store.journalBatch({ runId, columns: file.columns, rows: file.rows, bytes: file.bytes, group, firstId: file.firstId, lastId: file.lastId });
    await hook('journal');
    let accepted: { batchId: string; statusUrl?: string };
    try {
      accepted = await sources.profiles.upload({ path: file.path, bytes: file.bytes, rows: file.rows });
    } catch (err) {
      const msg = errorText(err);
      // Unknown whether Target took it: its values become unknown and are sent again next run.
      store.abandonBatch(no, `upload failed: ${msg}`);
      report.batches.push({ no, ...entry, status: 'failed', detail: `upload failed: ${msg}` });
      report.problems.push(`Uploading batch #${no} failed: ${msg}. The remaining rows were not sent; run sync again.`);
      stopUploads = true;
      return;
    } finally {
      rmSync(file.path, { force: true });
    }
    store.markUploaded(no, accepted.batchId, accepted.statusUrl);
    report.profiles.uploaded += file.rows;
    uploaded.push(store.batch(no) as JournaledBatch);
    report.batches.push({ no, batchId: accepted.batchId, ...entry, status: 'incomplete' });
    progress.tick(file.rows);
    await hook('upload');
  }

  /** Polls batches until each is complete, stuck or past the deadline; records the outcome. */
  async function waitForBatches(batches: JournaledBatch[], resumed: boolean): Promise<Array<{ no: number; status: string }>> {
    const open = new Map(batches.map((b) => [b.no, b]));
    const outcomes: Array<{ no: number; status: string }> = [];
    const deadline = now() + poll.timeoutMs;
    let wait = poll.intervalMs;
    const entryFor = (b: JournaledBatch) => {
      let e = report.batches.find((x) => x.no === b.no);
      if (!e) {
        e = { no: b.no, batchId: b.batchId, rows: b.rows, bytes: b.bytes, columns: b.columns, status: 'incomplete', resumed };
        report.batches.push(e);
      }
      return e;
    };
    for (;;) {
      for (const b of [...open.values()]) {
        let st: BatchStatusResult;
        try {
          st = await sources.profiles.status({ batchId: b.batchId as string, statusUrl: b.statusUrl });
        } catch (err) {
          entryFor(b).detail = `status check failed: ${errorText(err)}`;
          continue;
        }
        const e = entryFor(b);
        if (st.failed) e.failedRows = st.failed;
        if (st.notFound) e.profilesNotFound = st.notFound;
        if (st.status === 'complete') {
          store.confirmBatch(b.no, st.failed ? `${st.failed} failed rows` : undefined);
          e.status = 'complete';
          e.detail = undefined;
          if (st.failed) report.problems.push(`Batch #${b.no} (${b.batchId}): Target reports ${st.failed} failed row(s); \`audiences sync --full\` sends every value again.`);
          open.delete(b.no);
          outcomes.push({ no: b.no, status: 'complete' });
          progress.tick(1);
          await hook('confirm');
        } else if (st.status === 'stuck') {
          store.abandonBatch(b.no, 'Target reports the batch stuck');
          e.status = 'stuck';
          report.problems.push(`Batch #${b.no} (${b.batchId}) is stuck at Target; its ${b.rows} row(s) are sent again by the next sync.`);
          open.delete(b.no);
          outcomes.push({ no: b.no, status: 'stuck' });
          progress.tick(1);
        }
      }
      if (open.size === 0) break;
      if (now() >= deadline) {
        for (const b of open.values()) {
          const e = entryFor(b);
          e.status = 'incomplete';
          if (resumed) {
            // Waited a whole run for it already: send its values again rather than wait forever.
            store.abandonBatch(b.no, 'still incomplete after resuming; values sent again');
            e.detail = 'still incomplete after two runs; values sent again';
          } else {
            e.detail = 'not complete yet; the next sync resumes polling it';
            report.problems.push(`Batch #${b.no} (${b.batchId}) is not complete after ${Math.round(poll.timeoutMs / 1000)}s; run sync again to resume.`);
          }
          outcomes.push({ no: b.no, status: 'incomplete' });
        }
        break;
      }
      await poll.sleep(Math.min(wait, Math.max(0, deadline - now())));
      wait = Math.min(poll.maxIntervalMs, Math.round(wait * 1.5));
    }
    return outcomes;
  }

  async function writeBack(sink: NonNullable<SyncSources['writeback']>): Promise<void> {
    let afterId = '';
    let started = false;
    for (;;) {
      const page = store.writebackPage(afterId, 200);
      if (page.length === 0) break;
      if (!started) {
        progress.stage('holdout write-back');
        started = true;
      }
      afterId = (page[page.length - 1] as (typeof page)[number]).targetId;
      const done: typeof page = [];
      for (let i = 0; i < page.length; i += 20) {
        const chunk = page.slice(i, i + 20);
        const res = await Promise.allSettled(chunk.map((w) => sink.identify(w.key, w.values)));
        res.forEach((r, j) => {
          if (r.status === 'fulfilled') done.push(chunk[j] as (typeof chunk)[number]);
          else {
            report.writeback.failed += 1;
            if (report.writeback.failed === 1) report.problems.push(`Holdout write-back to Customer.io failed: ${errorText(r.reason)}`);
          }
        });
      }
      store.confirmWriteback(done);
      report.writeback.updated += done.length;
      progress.tick(page.length);
    }
    if (started) progress.done();
    await hook('writeback');
  }
}

/** Prefix of a run's batch folder. */
const BATCH_FOLDER = 'audiences-sync-';

/** Batch folders (customer ids inside) a killed or interrupted run left behind. */
function removeStaleBatchFolders(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(BATCH_FOLDER)) rmSync(join(dir, n), { recursive: true, force: true });
}

/** An error's message as reports and the state may keep it: secret-free (the state file is not output, so nothing redacts it later). */
function errorText(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

function bump(segments: SyncReport['segments'], key: string, field: 'entries' | 'exits'): void {
  const s = segments.find((x) => x.key === key);
  if (s) s[field] += 1;
}
