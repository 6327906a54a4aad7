// Saved plan files (`plan --out`, `apply PLANFILE`): the format, the config hash, and the stale-plan check.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { GuardError, StateError } from '../model/errors.js';
import { redact, redactValue } from '../model/secrets.js';
import { planChecksum } from '../plan/diff.js';
import { PLATFORMS, type Change, type PlatformName } from '../plan/types.js';

/** Version of the plan file; a reader refuses files of another major. 1.1 added `managed_objects`. */
export const PLAN_FILE_FORMAT_VERSION = '1.1';

export interface PlanFile {
  format_version: string;
  /** Identifies the file as a plan of this tool (a stray JSON file is refused with a clear message). */
  tool: 'audiences';
  created_at: string;
  workspace: string;
  /** sha256 of the normalized config (credentials left out): the config the plan was made from. */
  config_hash: string;
  /** sha256 of the canonical changes, the same value the JSON renderer prints and `--checksum` takes. */
  checksum: string;
  summary: Record<string, number>;
  /**
   * Objects of this workspace the tool manages that each platform held when the plan was made:
   * evidence for apply's empty-read guard (a platform that now reads none of them is refused).
   */
  managed_objects?: Partial<Record<PlatformName, number>>;
  /** The planned changes, as plain JSON (what `plan --format json` prints under `changes`). */
  changes: unknown[];
}

/** Provider settings that may carry credentials: never part of the hash input (nor of any file). */
const CREDENTIAL_KEYS = new Set(['app_api_key', 'site_id', 'track_api_key', 'client_id', 'client_secret', 'profile_token']);

/**
 * sha256 of the normalized config as the plan sees it: every declared object, content read from
 * content files, provider settings without credentials; the file's own location is left out so a
 * plan made in one checkout applies in another.
 */
export function hashConfig(config: Config): string {
  const { source: _source, providers, ...rest } = config;
  const safeProviders: Record<string, unknown> = {};
  for (const [name, settings] of Object.entries(providers ?? {})) {
    if (!settings) continue;
    safeProviders[name] = Object.fromEntries(Object.entries(settings).filter(([k]) => !CREDENTIAL_KEYS.has(k)));
  }
  return sha256(stableStringify({ ...rest, providers: safeProviders }));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level (undefined members dropped), for hashing. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

export function buildPlanFile(input: {
  workspace: string;
  configHash: string;
  checksum: string;
  summary: Record<string, number>;
  managedObjects?: Partial<Record<PlatformName, number>>;
  changes: unknown[];
  now?: Date;
}): PlanFile {
  return {
    format_version: PLAN_FILE_FORMAT_VERSION,
    tool: 'audiences',
    created_at: (input.now ?? new Date()).toISOString(),
    workspace: input.workspace,
    config_hash: input.configHash,
    checksum: input.checksum,
    summary: input.summary,
    ...(input.managedObjects ? { managed_objects: input.managedObjects } : {}),
    changes: input.changes,
  };
}

/** The managed-object counts a plan file recorded, per platform (files before 1.1 have none). */
export function managedObjectsOf(plan: PlanFile): Partial<Record<PlatformName, number>> {
  const out: Partial<Record<PlatformName, number>> = {};
  const m = plan.managed_objects;
  if (!m || typeof m !== 'object') return out;
  for (const p of PLATFORMS) if (Number.isInteger(m[p]) && m[p]! >= 0) out[p] = m[p];
  return out;
}

/**
 * Refuses a plan file whose changes no longer hash to its checksum: it was edited after `plan`
 * wrote it, so what a reviewer may read in it is not what the checksum promises.
 */
export function assertPlanIntact(plan: PlanFile, source: string): void {
  if (planChecksum(plan.changes as Change[]) === plan.checksum.trim().toLowerCase()) return;
  throw new GuardError(`${source} was edited after it was saved: its changes do not match its checksum`, {
    hint: 'Nothing was applied. Make a new plan with `audiences plan --out FILE` and apply that file unedited.',
  });
}

/** Writes the plan atomically (temp file + rename), every string passed through redact(). */
export async function writePlanFile(file: string, plan: PlanFile): Promise<void> {
  const text = redact(`${JSON.stringify(redactValue(plan), null, 2)}\n`);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new StateError(`cannot write the plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: 'Check that the folder exists and is writable, or pass another path to --out.',
    });
  }
}

export async function readPlanFile(file: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StateError(`cannot read the plan file ${file}${code === 'ENOENT' ? ': it does not exist' : `: ${code ?? 'error'}`}`, {
      hint: 'Save a plan with `audiences plan --out FILE`, then pass that FILE to apply.',
    });
  }
  return parsePlanFile(text, file);
}

export function parsePlanFile(text: string, file = 'plan file'): PlanFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new StateError(`${file} is not a plan file: it is not valid JSON`, {
      hint: 'Save a plan with `audiences plan --out FILE`; the file must not be edited.',
    });
  }
  const d = data as Partial<PlanFile> | null;
  if (!d || typeof d !== 'object' || d.tool !== 'audiences' || typeof d.format_version !== 'string') {
    throw new StateError(`${file} is not a plan file of audiences`, {
      hint: 'Save a plan with `audiences plan --out FILE` (not `--format json` output).',
    });
  }
  const major = d.format_version.split('.')[0];
  if (major !== PLAN_FILE_FORMAT_VERSION.split('.')[0]) {
    throw new StateError(`${file} has plan format ${d.format_version}; this audiences reads ${PLAN_FILE_FORMAT_VERSION.split('.')[0]}.x`, {
      hint: 'Make a new plan with this version of audiences.',
    });
  }
  if (typeof d.checksum !== 'string' || typeof d.config_hash !== 'string' || !Array.isArray(d.changes)) {
    throw new StateError(`${file} is damaged: checksum, config_hash or changes is missing`, {
      hint: 'Make a new plan with `audiences plan --out FILE`.',
    });
  }
  return d as PlanFile;
}

/**
 * Refuses a saved plan (or a `--checksum`) that no longer matches what a fresh plan would do: the
 * config changed since the plan was made, or the platforms did (someone applied or edited in between).
 */
export function assertPlanFresh(
  expected: { checksum: string; configHash?: string; source: string },
  fresh: { checksum: string; configHash: string },
): void {
  if (expected.configHash !== undefined && expected.configHash !== fresh.configHash) {
    throw new GuardError(`stale plan: ${expected.source} was made from a different audiences.yaml than the one loaded now`, {
      hint: 'Run `audiences plan --out FILE` again on this config, review it, and apply that file.',
    });
  }
  const want = expected.checksum.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(want)) {
    throw new GuardError(`${expected.source} is not a sha256 checksum (64 hex digits): ${redact(expected.checksum.slice(0, 80))}`, {
      hint: 'Copy the checksum printed by `audiences plan` (or the "checksum" of `plan --format json`).',
    });
  }
  if (want !== fresh.checksum) {
    throw new GuardError(
      `stale plan: the platforms changed since ${expected.source} was made (checksum ${want.slice(0, 12)}… planned, ${fresh.checksum.slice(0, 12)}… now)`,
      { hint: 'Nothing was applied. Run `audiences plan` again, review the new changes, and apply those.' },
    );
  }
}
