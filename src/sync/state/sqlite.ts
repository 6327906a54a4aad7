// SyncStore on SQLite (better-sqlite3, WAL): the confirmed state and journals in the file, the
// current run's scratch in TEMP tables (spilled to disk by SQLite, so memory stays bounded).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StateError } from '../../model/errors.js';
import { FALSE, segmentAttribute } from '../../model/attributes.js';
import {
  UNKNOWN_VALUE,
  type ChangeRow,
  type JournaledBatch,
  type RunRecord,
  type SyncStore,
  type UniverseEntry,
  type WritebackRow,
} from './types.js';

const SCHEMA_VERSION = 1;
/** Separator of segment keys and column names inside one SQL text value (keys never contain it). */
const SEP = '\u001f';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS profiles (
  tid TEXT PRIMARY KEY,
  key TEXT,
  attrs TEXT NOT NULL DEFAULT '{}',
  member INTEGER NOT NULL DEFAULT 0,
  written TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS profiles_member ON profiles(tid) WHERE member = 1;
CREATE TABLE IF NOT EXISTS batches (
  no INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  state TEXT NOT NULL,
  batch_id TEXT,
  status_url TEXT,
  columns TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  detail TEXT
);
CREATE TABLE IF NOT EXISTS batch_rows (
  batch_no INTEGER NOT NULL,
  tid TEXT NOT NULL,
  key TEXT,
  vals TEXT NOT NULL,
  PRIMARY KEY (batch_no, tid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL,
  report TEXT
);
`;

const SCRATCH = `
CREATE TEMP TABLE IF NOT EXISTS run_members (tid TEXT NOT NULL, seg TEXT NOT NULL, PRIMARY KEY (tid, seg)) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS run_profiles (tid TEXT PRIMARY KEY, key TEXT, cur INTEGER NOT NULL, traits TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS temp.run_profiles_key ON run_profiles(key);
CREATE TEMP TABLE IF NOT EXISTS run_rejected (raw TEXT PRIMARY KEY, reason TEXT NOT NULL) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS run_changes (tid TEXT PRIMARY KEY, key TEXT, colset TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0, vals TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS temp.run_changes_grp ON run_changes(grp, tid);
CREATE INDEX IF NOT EXISTS temp.run_changes_colset ON run_changes(colset);
CREATE TEMP TABLE IF NOT EXISTS run_writeback (tid TEXT PRIMARY KEY, key TEXT NOT NULL, vals TEXT NOT NULL) WITHOUT ROWID;
`;

export interface SqliteStoreOptions {
  /** Page cache per schema, in MB (memory bound of SQLite itself; default 8). */
  cacheMb?: number;
}

export class SqliteSyncStore implements SyncStore {
  readonly db: Database.Database;
  private readonly st: ReturnType<SqliteSyncStore['prepare']>;

  /** Opens (creating) the store at `file`; ':memory:' for tests. */
  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
      // One sync at a time per state file: the first write below takes an exclusive lock that is
      // held until close, so a second process fails fast instead of interleaving journals.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('busy_timeout = 2000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      // Per schema (the state and the TEMP scratch): 8 MB each cost no measurable time at 1,000,000
      // profiles against 16 MB, and keep ~16 MB off the peak RSS (bench/sync.ts --mem).
      const cache = -1024 * (options.cacheMb ?? 8);
      this.db.pragma(`cache_size = ${cache}`);
      this.db.pragma(`temp.cache_size = ${cache}`);
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== 0 && version !== SCHEMA_VERSION) {
        throw new StateError(`The sync state ${file} has schema version ${version}; this audiences knows ${SCHEMA_VERSION}.`, {
          hint: 'Upgrade audiences, or move the file away and run `audiences sync --full` to rebuild it.',
        });
      }
      // A damaged page deep in the file would otherwise surface mid-run, after uploads began.
      const check = this.db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new Error(`database disk image is malformed (${String(check).replace(/\s+/g, ' ').trim()})`);
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      this.db.exec(SCRATCH);
      this.st = this.prepare();
    } catch (err) {
      if (err instanceof StateError) throw err;
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new StateError(`The sync state ${file} is in use by another audiences process.`, {
          hint: 'Wait for the other sync (or verify) to finish; only one may run per state file.',
        });
      }
      throw new StateError(`Cannot open the sync state ${file}: ${(err as Error).message}`, {
        hint: 'Check that the folder is writable and the file is not corrupt. A corrupt state can be moved away: the next sync rebuilds it, sending every current value again.',
      });
    }
  }

  private prepare() {
    const d = this.db;
    return {
      insertMember: d.prepare('INSERT OR IGNORE INTO run_members (tid, seg) VALUES (?, ?)'),
      insertProfile: d.prepare('INSERT INTO run_profiles (tid, key, cur) VALUES (?, ?, 1) ON CONFLICT(tid) DO NOTHING'),
      insertRejected: d.prepare('INSERT OR IGNORE INTO run_rejected (raw, reason) VALUES (?, ?)'),
      memberCount: d.prepare('SELECT count(*) AS n FROM run_members WHERE seg = ?'),
      currentPage: d.prepare('SELECT tid, key FROM run_profiles WHERE cur = 1 AND tid > ? ORDER BY tid LIMIT ?'),
      setTraits: d.prepare('UPDATE run_profiles SET traits = ? WHERE tid = ?'),
      tidForKey: d.prepare('SELECT tid FROM run_profiles WHERE key = ? AND cur = 1'),
      universePage: d.prepare(`
        SELECT r.tid, r.key AS rkey, r.cur, r.traits, p.key AS pkey, p.attrs, p.written,
          (SELECT group_concat(m.seg, char(31)) FROM run_members m WHERE m.tid = r.tid) AS segs
        FROM run_profiles r LEFT JOIN profiles p ON p.tid = r.tid
        WHERE r.tid > ? ORDER BY r.tid LIMIT ?`),
      insertChange: d.prepare('INSERT OR REPLACE INTO run_changes (tid, key, colset, vals) VALUES (?, ?, ?, ?)'),
      insertWriteback: d.prepare('INSERT OR REPLACE INTO run_writeback (tid, key, vals) VALUES (?, ?, ?)'),
      changePage: d.prepare('SELECT tid, vals FROM run_changes WHERE grp = ? AND tid > ? ORDER BY tid LIMIT ?'),
      writebackPage: d.prepare('SELECT tid, key, vals FROM run_writeback WHERE tid > ? ORDER BY tid LIMIT ?'),
      insertBatch: d.prepare(
        `INSERT INTO batches (run_id, state, columns, rows, bytes, created_at) VALUES (?, 'prepared', ?, ?, ?, ?)`,
      ),
      journalRows: d.prepare(
        'INSERT INTO batch_rows (batch_no, tid, key, vals) SELECT ?, tid, key, vals FROM run_changes WHERE grp = ? AND tid >= ? AND tid <= ?',
      ),
      markUploaded: d.prepare(`UPDATE batches SET state = 'uploaded', batch_id = ?, status_url = ? WHERE no = ?`),
      applyRows: d.prepare(`
        INSERT INTO profiles (tid, key, attrs) SELECT tid, key, vals FROM batch_rows WHERE batch_no = ? AND true
        ON CONFLICT(tid) DO UPDATE SET attrs = json_patch(profiles.attrs, excluded.attrs), key = coalesce(excluded.key, profiles.key)`),
      unknownRows: d.prepare(`
        INSERT INTO profiles (tid, key, attrs)
          SELECT b.tid, b.key, (SELECT json_group_object(j.key, ?) FROM json_each(b.vals) j) FROM batch_rows b WHERE b.batch_no = ? AND true
        ON CONFLICT(tid) DO UPDATE SET attrs = json_patch(profiles.attrs, excluded.attrs), key = coalesce(excluded.key, profiles.key)`),
      refreshMember: d.prepare(`
        UPDATE profiles SET member = EXISTS (
            SELECT 1 FROM json_each(profiles.attrs) j WHERE substr(j.key, 1, ?) = ? AND j.value != ?)
        WHERE tid IN (SELECT tid FROM batch_rows WHERE batch_no = ?)`),
      deleteRows: d.prepare('DELETE FROM batch_rows WHERE batch_no = ?'),
      setBatchState: d.prepare('UPDATE batches SET state = ?, detail = ? WHERE no = ?'),
      pending: d.prepare(`SELECT * FROM batches WHERE state IN ('prepared', 'uploaded') ORDER BY no`),
      batch: d.prepare('SELECT * FROM batches WHERE no = ?'),
      confirmWriteback: d.prepare(`
        INSERT INTO profiles (tid, key, written) VALUES (?, ?, ?)
        ON CONFLICT(tid) DO UPDATE SET written = json_patch(profiles.written, excluded.written)`),
      profile: d.prepare('SELECT attrs, member, written FROM profiles WHERE tid = ?'),
    };
  }

  // ---- run journal ----------------------------------------------------------------------------

  beginRun(run: RunRecord): void {
    this.db.prepare('INSERT INTO runs (id, started_at, status) VALUES (?, ?, ?)').run(run.id, run.startedAt, run.status);
  }

  finishRun(id: string, status: RunRecord['status'], report: string): void {
    this.db.prepare('UPDATE runs SET finished_at = ?, status = ?, report = ? WHERE id = ?').run(Date.now(), status, report, id);
  }

  lastRuns(limit: number): RunRecord[] {
    const rows = this.db.prepare('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit) as Array<{
      id: string;
      started_at: number;
      finished_at: number | null;
      status: RunRecord['status'];
      report: string | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      finishedAt: r.finished_at ?? undefined,
      status: r.status,
      report: r.report ?? undefined,
    }));
  }

  // ---- scratch ----------------------------------------------------------------------------------

  resetScratch(): void {
    this.db.exec(
      'DELETE FROM run_members; DELETE FROM run_profiles; DELETE FROM run_rejected; DELETE FROM run_changes; DELETE FROM run_writeback;',
    );
  }

  addMembers(segment: string, members: Array<{ targetId: string; key: string }>): void {
    this.tx(() => {
      for (const m of members) {
        this.st.insertMember.run(m.targetId, segment);
        this.st.insertProfile.run(m.targetId, m.key);
      }
    });
  }

  addProfiles(profiles: Array<{ targetId: string; key: string }>): void {
    this.tx(() => {
      for (const m of profiles) this.st.insertProfile.run(m.targetId, m.key);
    });
  }

  addRejected(rejected: Array<{ raw: string; reason: string }>): number {
    let added = 0;
    this.tx(() => {
      for (const r of rejected) added += this.st.insertRejected.run(r.raw, r.reason).changes;
    });
    return added;
  }

  rejectedCounts(): Record<string, number> {
    const rows = this.db.prepare('SELECT reason, count(*) AS n FROM run_rejected GROUP BY reason ORDER BY reason').all() as Array<{
      reason: string;
      n: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }

  rejectedSamples(perReason: number): Array<{ reason: string; raw: string }> {
    return this.db
      .prepare(
        `SELECT reason, raw FROM (SELECT reason, raw, row_number() OVER (PARTITION BY reason ORDER BY raw) AS k FROM run_rejected)
         WHERE k <= ? ORDER BY reason, raw`,
      )
      .all(perReason) as Array<{ reason: string; raw: string }>;
  }

  memberCount(segment: string): number {
    return (this.st.memberCount.get(segment) as { n: number }).n;
  }

  currentPage(after: string, limit: number): Array<{ targetId: string; key: string }> {
    return (this.st.currentPage.all(after, limit) as Array<{ tid: string; key: string }>).map((r) => ({ targetId: r.tid, key: r.key }));
  }

  setTraits(rows: Array<{ targetId: string; traits: Record<string, string> }>): void {
    this.tx(() => {
      for (const r of rows) this.st.setTraits.run(JSON.stringify(r.traits), r.targetId);
    });
  }

  targetIdsForKeys(keys: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const k of keys) {
      const row = this.st.tidForKey.get(k) as { tid: string } | undefined;
      if (row) out.set(k, row.tid);
    }
    return out;
  }

  addPreviousMembers(): void {
    this.db.exec(
      'INSERT INTO run_profiles (tid, key, cur) SELECT tid, key, 0 FROM profiles WHERE member = 1 AND true ON CONFLICT(tid) DO NOTHING',
    );
  }

  universeCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM run_profiles').get() as { n: number }).n;
  }

  universePage(after: string, limit: number): UniverseEntry[] {
    const rows = this.st.universePage.all(after, limit) as Array<{
      tid: string;
      rkey: string | null;
      cur: number;
      traits: string | null;
      pkey: string | null;
      attrs: string | null;
      written: string | null;
      segs: string | null;
    }>;
    return rows.map((r) => ({
      targetId: r.tid,
      key: r.rkey ?? r.pkey,
      current: r.cur === 1,
      segments: r.segs ? r.segs.split(SEP) : [],
      traits: r.traits ? (JSON.parse(r.traits) as Record<string, string>) : undefined,
      pushed: r.attrs ? (JSON.parse(r.attrs) as Record<string, string>) : {},
      written: r.written ? (JSON.parse(r.written) as Record<string, string>) : {},
    }));
  }

  addChanges(rows: ChangeRow[]): void {
    this.tx(() => {
      for (const r of rows) {
        const cols = Object.keys(r.values).sort();
        const sorted: Record<string, string> = {};
        for (const c of cols) sorted[c] = r.values[c] as string;
        this.st.insertChange.run(r.targetId, r.key ?? null, cols.join(SEP), JSON.stringify(sorted));
      }
    });
  }

  addWritebacks(rows: WritebackRow[]): void {
    this.tx(() => {
      for (const r of rows) this.st.insertWriteback.run(r.targetId, r.key, JSON.stringify(r.values));
    });
  }

  changeGroups(): Array<{ columns: string[]; rows: number }> {
    const rows = this.db.prepare('SELECT colset, count(*) AS n FROM run_changes GROUP BY colset ORDER BY colset').all() as Array<{
      colset: string;
      n: number;
    }>;
    return rows.map((r) => ({ columns: r.colset.split(SEP), rows: r.n }));
  }

  assignGroup(columnSets: string[][], group: number): void {
    const stmt = this.db.prepare('UPDATE run_changes SET grp = ? WHERE colset = ?');
    this.tx(() => {
      for (const cols of columnSets) stmt.run(group, [...cols].sort().join(SEP));
    });
  }

  changePage(group: number, after: string, limit: number): ChangeRow[] {
    return (this.st.changePage.all(group, after, limit) as Array<{ tid: string; vals: string }>).map((r) => ({
      targetId: r.tid,
      values: JSON.parse(r.vals) as Record<string, string>,
    }));
  }

  writebackPage(after: string, limit: number): WritebackRow[] {
    return (this.st.writebackPage.all(after, limit) as Array<{ tid: string; key: string; vals: string }>).map((r) => ({
      targetId: r.tid,
      key: r.key,
      values: JSON.parse(r.vals) as Record<string, string>,
    }));
  }

  // ---- batches and state ----------------------------------------------------------------------

  journalBatch(b: {
    runId: string;
    columns: string[];
    rows: number;
    bytes: number;
    group: number;
    firstId: string;
    lastId: string;
  }): number {
    return this.tx(() => {
      const no = Number(this.st.insertBatch.run(b.runId, JSON.stringify(b.columns), b.rows, b.bytes, Date.now()).lastInsertRowid);
      const copied = this.st.journalRows.run(no, b.group, b.firstId, b.lastId).changes;
      if (copied !== b.rows) throw new StateError(`batch journal mismatch: ${copied} rows journaled for a batch of ${b.rows}`);
      return no;
    });
  }

  markUploaded(no: number, batchId: string, statusUrl: string | undefined): void {
    this.st.markUploaded.run(batchId, statusUrl ?? null, no);
  }

  confirmBatch(no: number, detail?: string): void {
    this.tx(() => {
      this.st.applyRows.run(no);
      this.refreshMembers(no);
      this.st.deleteRows.run(no);
      this.st.setBatchState.run('complete', detail ?? null, no);
    });
  }

  abandonBatch(no: number, detail: string): void {
    this.tx(() => {
      this.st.unknownRows.run(UNKNOWN_VALUE, no);
      this.refreshMembers(no);
      this.st.deleteRows.run(no);
      this.st.setBatchState.run('abandoned', detail, no);
    });
  }

  private refreshMembers(no: number): void {
    const prefix = segmentAttribute('');
    this.st.refreshMember.run(prefix.length, prefix, FALSE, no);
  }

  pendingBatches(): JournaledBatch[] {
    return (this.st.pending.all() as BatchRowDb[]).map(toBatch);
  }

  batch(no: number): JournaledBatch | undefined {
    const row = this.st.batch.get(no) as BatchRowDb | undefined;
    return row ? toBatch(row) : undefined;
  }

  confirmWriteback(rows: WritebackRow[]): void {
    this.tx(() => {
      for (const r of rows) this.st.confirmWriteback.run(r.targetId, r.key, JSON.stringify(r.values));
    });
  }

  profile(targetId: string): { pushed: Record<string, string>; member: boolean; written: Record<string, string> } | undefined {
    const row = this.st.profile.get(targetId) as { attrs: string; member: number; written: string } | undefined;
    if (!row) return undefined;
    return { pushed: JSON.parse(row.attrs), member: row.member === 1, written: JSON.parse(row.written) };
  }

  profileCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM profiles').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

interface BatchRowDb {
  no: number;
  run_id: string;
  state: JournaledBatch['state'];
  batch_id: string | null;
  status_url: string | null;
  columns: string;
  rows: number;
  bytes: number;
  created_at: number;
  detail: string | null;
}

function toBatch(r: BatchRowDb): JournaledBatch {
  return {
    no: r.no,
    runId: r.run_id,
    state: r.state,
    batchId: r.batch_id ?? undefined,
    statusUrl: r.status_url ?? undefined,
    columns: JSON.parse(r.columns) as string[],
    rows: r.rows,
    bytes: r.bytes,
    createdAt: r.created_at,
    detail: r.detail ?? undefined,
  };
}

/** Opens the SQLite store at `file`. */
export function openSqliteStore(file: string, options?: SqliteStoreOptions): SqliteSyncStore {
  return new SqliteSyncStore(file, options);
}
