// The sync state contract: last values confirmed in Target per profile, the batch journal, the run
// journal, and the scratch tables of the current run. SQLite implements it (sqlite.ts); a server
// database can implement the same contract for shared CI runners.

/** Placeholder for a value that may or may not have reached Target (an unconfirmed batch): never equal to a desired value, so the next diff sends it again. */
export const UNKNOWN_VALUE = '\u0001unknown';

export type BatchState =
  /** Journaled, upload outcome not known yet (a crash here means: maybe sent). */
  | 'prepared'
  /** Accepted by Target with a batch id; waiting for completion. */
  | 'uploaded'
  /** Confirmed complete; its values are the state. */
  | 'complete'
  /** Given up (stuck, incomplete past the deadline, upload refused, or interrupted before an id): its values are unknown. */
  | 'abandoned';

export interface JournaledBatch {
  no: number;
  runId: string;
  state: BatchState;
  batchId?: string;
  statusUrl?: string;
  columns: string[];
  rows: number;
  bytes: number;
  createdAt: number;
  /** Why it was abandoned, or the last status seen. */
  detail?: string;
}

/** A profile of this run's universe with everything the diff needs. */
export interface UniverseEntry {
  targetId: string;
  /** Normalized Customer.io key (current, or the last one seen). */
  key: string | null;
  /** True when the profile is in at least one synced segment now. */
  current: boolean;
  /** Segment keys the profile is in now. */
  segments: string[];
  /** Exported field values read now (undefined when not read: not a current member). */
  traits?: Record<string, string>;
  /** Last values confirmed in Target. */
  pushed: Record<string, string>;
  /** Last values written back to Customer.io. */
  written: Record<string, string>;
}

export interface ChangeRow {
  targetId: string;
  /** Normalized Customer.io key, kept with the confirmed state (holdouts of people who left). */
  key?: string | null;
  /** Changed attributes and their new values. */
  values: Record<string, string>;
}

export interface WritebackRow {
  targetId: string;
  key: string;
  values: Record<string, string>;
}

export interface RunRecord {
  id: string;
  startedAt: number;
  finishedAt?: number;
  status: 'running' | 'ok' | 'incomplete' | 'failed' | 'dry_run';
  /** The final report, JSON. */
  report?: string;
}

export interface SyncStore {
  // ---- run journal ----------------------------------------------------------------------------
  beginRun(run: RunRecord): void;
  finishRun(id: string, status: RunRecord['status'], report: string): void;
  lastRuns(limit: number): RunRecord[];

  // ---- scratch of the current run (discarded on close) -----------------------------------------
  /** Empties every scratch table. */
  resetScratch(): void;
  addMembers(segment: string, members: Array<{ targetId: string; key: string }>): void;
  /** Adds profiles to the run even when they are in no segment (verify's test profile gets its explicit false flags). */
  addProfiles(profiles: Array<{ targetId: string; key: string }>): void;
  /** Records rejected ids (deduplicated by raw value); returns how many were new. */
  addRejected(rejected: Array<{ raw: string; reason: string }>): number;
  rejectedCounts(): Record<string, number>;
  rejectedSamples(perReason: number): Array<{ reason: string; raw: string }>;
  memberCount(segment: string): number;
  /** Current members (distinct profiles), keyset-paged by targetId. */
  currentPage(after: string, limit: number): Array<{ targetId: string; key: string }>;
  setTraits(rows: Array<{ targetId: string; traits: Record<string, string> }>): void;
  /** Map Customer.io keys to the run's target ids (for bulk trait sources keyed by person). */
  targetIdsForKeys(keys: string[]): Map<string, string>;
  /** Adds the profiles the state says were members to the universe. Call once, after the members. */
  addPreviousMembers(): void;
  universeCount(): number;
  universePage(after: string, limit: number): UniverseEntry[];
  addChanges(rows: ChangeRow[]): void;
  addWritebacks(rows: WritebackRow[]): void;
  /** Distinct changed-column sets and their row counts. */
  changeGroups(): Array<{ columns: string[]; rows: number }>;
  /** Moves rows of these column sets into group `group`. */
  assignGroup(columnSets: string[][], group: number): void;
  changePage(group: number, after: string, limit: number): ChangeRow[];
  writebackPage(after: string, limit: number): WritebackRow[];

  // ---- batch journal and confirmed state -----------------------------------------------------
  /** Journals a batch before upload: its metadata and the values of its rows (group, id range). */
  journalBatch(b: { runId: string; columns: string[]; rows: number; bytes: number; group: number; firstId: string; lastId: string }): number;
  markUploaded(no: number, batchId: string, statusUrl: string | undefined): void;
  /** Applies the batch's values to the state and marks it complete, in one transaction. */
  confirmBatch(no: number, detail?: string): void;
  /** Marks the batch's values as unknown in the state (so they are sent again) and abandons it. */
  abandonBatch(no: number, detail: string): void;
  /** Batches in state prepared or uploaded (left by an interrupted run). */
  pendingBatches(): JournaledBatch[];
  batch(no: number): JournaledBatch | undefined;
  /** Records values written back to Customer.io. */
  confirmWriteback(rows: WritebackRow[]): void;
  /** Confirmed state of one profile (tests, verify). */
  profile(targetId: string): { pushed: Record<string, string>; member: boolean; written: Record<string, string> } | undefined;
  profileCount(): number;

  close(): void;
}
