// Bulk Profile Update v2 batch files: `batch=thirdPartyId,<attr>,...` then one URL-encoded row per
// profile; split before 500,000 rows or 50 MB; written to a local file, never sent from here.
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_MAX_BYTES, BATCH_MAX_ROWS } from '../providers/adobe-target/client.js';

/** Target's documented limits for one upload (the client owns the platform facts). */
export const MAX_BATCH_ROWS = BATCH_MAX_ROWS;
/** "file < 50 MB": we stop one megabyte short so headers and rounding never cross it. */
export const MAX_BATCH_BYTES = BATCH_MAX_BYTES - 1024 * 1024;

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxRows: MAX_BATCH_ROWS, maxBytes: MAX_BATCH_BYTES };

/** One profile's row: its id and the values of the batch's columns, in column order. */
export interface BatchRow {
  thirdPartyId: string;
  values: Record<string, string>;
}

/** The header line for a column set (attribute names are bare, as Target shows them as profile.<name>). */
export function batchHeader(columns: readonly string[]): string {
  return `batch=thirdPartyId${columns.map((c) => `,${encodeCell(c)}`).join('')}\n`;
}

/**
 * One CSV line. Every cell is URL-encoded (encodeURIComponent also encodes "," and line breaks, so
 * no quoting is ever needed). A column the row does not carry is left empty, which Target ignores:
 * empty means "unchanged", never "false".
 */
export function batchLine(row: BatchRow, columns: readonly string[]): string {
  let line = encodeCell(row.thirdPartyId);
  for (const c of columns) {
    const v = row.values[c];
    line += ',';
    if (v !== undefined) line += encodeCell(v);
  }
  return `${line}\n`;
}

export function encodeCell(value: string): string {
  return encodeURIComponent(value);
}

/** A finished batch file, written to disk (or only measured, in a dry run). */
export interface BatchFile {
  columns: string[];
  /** Where the file lies; undefined when the builder only measures (dry run). */
  path?: string;
  /** Size in bytes: every cell is URL-encoded, so the file is ASCII and its length is its size. */
  bytes: number;
  rows: number;
  /** thirdPartyIds of the first and last rows (the rows are sorted within a column set). */
  firstId: string;
  lastId: string;
}

/** Lines are written to the file in chunks of about this many characters. */
const CHUNK = 256 * 1024;

/**
 * Accumulates rows of one column set into a file under `dir` and finishes it whenever the next row
 * would break a limit. A file of up to 50 MB is never one string in memory: only the current
 * chunk is. Without `dir` it only measures (dry run).
 */
export class BatchBuilder {
  private readonly header: string;
  private chunk = '';
  private fd: number | undefined;
  private path: string | undefined;
  private bytes = 0;
  private rows = 0;
  private firstId = '';
  private lastId = '';
  private files = 0;

  constructor(
    readonly columns: string[],
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
    private readonly dir?: string,
    private readonly name = 'batch',
  ) {
    this.header = batchHeader(columns);
  }

  /** Adds a row; returns the full file first when this row does not fit in the current one. */
  add(row: BatchRow): BatchFile | undefined {
    const line = batchLine(row, this.columns);
    if (this.header.length + line.length > this.limits.maxBytes) {
      throw new Error(`one profile row is larger than the batch size limit (${line.length} bytes)`);
    }
    let done: BatchFile | undefined;
    if (this.rows > 0 && (this.rows + 1 > this.limits.maxRows || this.bytes + line.length > this.limits.maxBytes)) {
      done = this.flush();
    }
    if (this.rows === 0) this.start(row.thirdPartyId);
    this.lastId = row.thirdPartyId;
    this.write(line);
    this.rows += 1;
    return done;
  }

  /** Finishes the pending file, if it holds any row. */
  flush(): BatchFile | undefined {
    if (this.rows === 0) return undefined;
    this.drain();
    if (this.fd !== undefined) closeSync(this.fd);
    const file: BatchFile = { columns: this.columns, path: this.path, bytes: this.bytes, rows: this.rows, firstId: this.firstId, lastId: this.lastId };
    this.fd = undefined;
    this.path = undefined;
    this.rows = 0;
    this.bytes = 0;
    return file;
  }

  /** Closes (and deletes) a file left unfinished, e.g. when the run stops early. */
  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.path !== undefined) rmSync(this.path, { force: true });
    this.fd = undefined;
    this.path = undefined;
    this.chunk = '';
    this.rows = 0;
    this.bytes = 0;
  }

  private start(firstId: string): void {
    this.firstId = firstId;
    if (this.dir !== undefined) {
      this.files += 1;
      this.path = join(this.dir, `${this.name}-${this.files}.csv`);
      // Owner-only: the rows carry customer ids.
      this.fd = openSync(this.path, 'w', 0o600);
    }
    this.write(this.header);
  }

  private write(text: string): void {
    this.bytes += text.length;
    if (this.dir === undefined) return;
    this.chunk += text;
    if (this.chunk.length >= CHUNK) this.drain();
  }

  private drain(): void {
    if (this.fd !== undefined && this.chunk.length > 0) writeSync(this.fd, this.chunk, null, 'latin1');
    this.chunk = '';
  }
}

/** Parses a batch body back into rows (tests, and the sandbox-independent checks of verify). */
export function parseBatch(body: string): { columns: string[]; rows: BatchRow[] } {
  const lines = body.split('\n').filter((l) => l.length > 0);
  const head = lines.shift() ?? '';
  if (!head.startsWith('batch=')) throw new Error('a batch must start with "batch="');
  const [, ...columns] = head.slice('batch='.length).split(',').map(decodeURIComponent);
  const rows = lines.map((l) => {
    const [id, ...cells] = l.split(',');
    const values: Record<string, string> = {};
    columns.forEach((c, i) => {
      const cell = cells[i];
      if (cell !== undefined && cell !== '') values[c] = decodeURIComponent(cell);
    });
    return { thirdPartyId: decodeURIComponent(id ?? ''), values };
  });
  return { columns, rows };
}
