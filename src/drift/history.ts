// The drift history file: the last N drift runs (status, finding fingerprint, segment sizes), small enough for a CI cache.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../model/errors.js';
import { redact, redactValue } from '../model/secrets.js';
import { PLATFORMS, type PlatformName } from '../plan/types.js';

export const HISTORY_FORMAT_VERSION = 1;
export const HISTORY_FILE_NAME = 'drift-history.json';

/**
 * Where the history lives unless `--history` says otherwise: `.audiences/drift-history.json` beside
 * the config, or `.audiences/sandbox/drift-history.json` against the sandbox, so sandbox runs never
 * mix their sizes, counts and notification status into the real history (as with sync's state).
 */
export function defaultHistoryFile(configDir: string, sandbox: boolean): string {
  return path.join(configDir, '.audiences', ...(sandbox ? ['sandbox'] : []), HISTORY_FILE_NAME);
}
/** Runs kept in the file; older ones are dropped so the file stays a few kilobytes. */
export const DEFAULT_HISTORY_RUNS = 30;

export type DriftStatus = 'clean' | 'drift' | 'error';

export interface DriftRun {
  /** ISO time the run finished. */
  at: string;
  status: DriftStatus;
  /** sha256 of the sorted finding lines: the same drift twice has the same fingerprint. */
  fingerprint: string;
  /** Number of findings (changes, manual actions, size swings). */
  findings: number;
  /** Customer.io customer_count per declared segment key (segments whose size was read). */
  sizes: Record<string, number>;
  /**
   * Objects of this workspace the tool manages, per platform read: evidence for apply's empty-read
   * guard. Absent on error runs and in histories written before it was recorded.
   */
  managed?: Partial<Record<PlatformName, number>>;
}

export interface DriftHistory {
  format_version: number;
  runs: DriftRun[];
  /** What the webhook last heard; a notification goes out only when this changes. */
  last_notified?: { status: DriftStatus; fingerprint: string; at: string };
}

export function emptyHistory(): DriftHistory {
  return { format_version: HISTORY_FORMAT_VERSION, runs: [] };
}

/** Reads the history; a missing file is an empty history (the first run, or a cold CI cache). */
export async function readHistory(file: string): Promise<DriftHistory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyHistory();
    throw new StateError(`cannot read the drift history ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: 'Check the file permissions, or pass another file to --history.',
    });
  }
  return parseHistory(text, file);
}

export function parseHistory(text: string, file = 'drift history'): DriftHistory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new StateError(`the drift history ${file} is not valid JSON`, {
      hint: 'Delete the file (the next run starts a new history) or pass another file to --history.',
    });
  }
  const d = data as Partial<DriftHistory> | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.runs)) {
    throw new StateError(`the drift history ${file} is not a history file of audiences (no "runs" list)`, {
      hint: 'Delete the file (the next run starts a new history) or pass another file to --history.',
    });
  }
  if (d.format_version !== HISTORY_FORMAT_VERSION) {
    throw new StateError(`the drift history ${file} has format ${String(d.format_version)}; this audiences reads ${HISTORY_FORMAT_VERSION}`, {
      hint: 'Delete the file (the next run starts a new history).',
    });
  }
  const runs = d.runs.filter(
    (r): r is DriftRun =>
      !!r && typeof r === 'object' && typeof r.at === 'string' && isStatus(r.status) && typeof r.sizes === 'object' && r.sizes !== null,
  );
  return {
    format_version: HISTORY_FORMAT_VERSION,
    runs: runs.map((r) => ({ ...r, fingerprint: String(r.fingerprint ?? ''), findings: Number(r.findings ?? 0) })),
    ...(d.last_notified && isStatus(d.last_notified.status) ? { last_notified: d.last_notified } : {}),
  };
}

function isStatus(s: unknown): s is DriftStatus {
  return s === 'clean' || s === 'drift' || s === 'error';
}

/** Appends a run and keeps only the newest `keep` runs. Pure. */
export function appendRun(history: DriftHistory, run: DriftRun, keep = DEFAULT_HISTORY_RUNS): DriftHistory {
  const runs = [...history.runs, run];
  return { ...history, runs: runs.slice(Math.max(0, runs.length - Math.max(1, keep))) };
}

/** Writes the history atomically (temp file + rename), creating its folder. */
export async function writeHistory(file: string, history: DriftHistory): Promise<void> {
  const text = redact(`${JSON.stringify(redactValue(history), null, 1)}\n`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new StateError(`cannot write the drift history ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: 'Check that the folder is writable, or pass another file to --history.',
    });
  }
}

/** Whether the webhook should hear about this run: the status or the set of findings changed since it last heard. */
export function shouldNotify(history: DriftHistory, current: { status: DriftStatus; fingerprint: string }): boolean {
  // Nothing heard yet counts as "clean": the first run notifies only when something is wrong.
  const last = history.last_notified ?? { status: 'clean' as const, fingerprint: CLEAN_FINGERPRINT };
  if (last.status !== current.status) return true;
  return current.status !== 'clean' && last.fingerprint !== current.fingerprint;
}

/**
 * The managed-object counts of the newest run that recorded them (error runs read nothing), with
 * its time: what apply's empty-read guard compares a fresh read with.
 */
export function latestManagedCounts(history: DriftHistory): { at: string; counts: Partial<Record<PlatformName, number>> } | undefined {
  for (let i = history.runs.length - 1; i >= 0; i--) {
    const run = history.runs[i]!;
    if (run.status === 'error' || !run.managed || typeof run.managed !== 'object') continue;
    const counts: Partial<Record<PlatformName, number>> = {};
    for (const p of PLATFORMS) {
      const n = run.managed[p];
      if (Number.isInteger(n) && n! >= 0) counts[p] = n;
    }
    return { at: run.at, counts };
  }
  return undefined;
}

/** Fingerprint of a run with no findings. */
export const CLEAN_FINGERPRINT = '';
