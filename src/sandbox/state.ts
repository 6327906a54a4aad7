// Persistence of emulator state: one JSON file per emulator, loaded on start, written atomically
// (temp file + rename) shortly after each change and on close.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StateError } from '../model/errors.js';

export interface PersistentState<T> {
  /** The live state; mutate it in place, then call markDirty(). */
  data: T;
  /** Whether the state came from a file (false: fresh). */
  readonly loaded: boolean;
  /** Schedules a debounced save. */
  markDirty(): void;
  /** Writes now if anything changed (no-op without a folder). */
  flush(): Promise<void>;
}

export interface PersistentStateOptions<T> {
  /** Folder of the file; undefined keeps the state in memory only. */
  dir?: string;
  file: string;
  initial: () => T;
  /** Delay between a change and its save (default 50 ms). */
  debounceMs?: number;
}

/** Loads (synchronously, at start) or creates a state file and returns a handle that saves it. */
export function openPersistentState<T>(opts: PersistentStateOptions<T>): PersistentState<T> {
  const path = opts.dir ? join(opts.dir, opts.file) : undefined;
  let loaded = false;
  let data: T = opts.initial();
  if (path && existsSync(path)) {
    try {
      data = JSON.parse(readFileSync(path, 'utf8')) as T;
      loaded = true;
    } catch (err) {
      throw new StateError(`Sandbox state file ${path} is unreadable (${(err as Error).message}).`, {
        hint: 'Run `audiences sandbox reset` to start from a fresh seed.',
      });
    }
  }
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const write = async (): Promise<void> => {
    if (!path || !opts.dir || !dirty) return;
    dirty = false;
    const text = JSON.stringify(handle.data);
    await mkdir(opts.dir, { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, path);
    } catch (err) {
      dirty = true;
      await rm(tmp, { force: true });
      throw err;
    }
  };

  const handle: PersistentState<T> = {
    data,
    loaded,
    markDirty() {
      if (!path) return;
      dirty = true;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        // Writes are chained so two saves never race on the temp file or the rename.
        writing = writing.then(write).catch(() => undefined);
      }, opts.debounceMs ?? 50);
      timer.unref();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      writing = writing.then(write);
      await writing;
    },
  };
  return handle;
}

/** Reads a small JSON file, or undefined when it does not exist. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a JSON file atomically (temp + rename). */
export async function writeJsonFile(path: string, dir: string, value: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}
