// Bulk Profile Update v2 batch files: `batch=thirdPartyId,<attr>,...` then one URL-encoded row per
// profile; split before 500,000 rows or 50 MB. Pure: builds bytes, never sends them.

/** Target's documented limits for one upload. */
export const MAX_BATCH_ROWS = 500_000;
/** "file < 50 MB": we stop one megabyte short so headers and rounding never cross it. */
export const MAX_BATCH_BYTES = 49 * 1024 * 1024;

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

/** A finished batch file. */
export interface BatchFile {
  columns: string[];
  /** The file: ASCII text (every cell URL-encoded), so its length is its size in bytes. */
  body: string;
  rows: number;
  /** thirdPartyIds of the first and last rows (the rows are sorted within a column set). */
  firstId: string;
  lastId: string;
}

/**
 * Accumulates rows of one column set and emits a file whenever the next row would break a limit.
 * Memory is bounded by one file.
 */
export class BatchBuilder {
  private readonly header: string;
  /**
   * Finished ~1 MB parts (flat strings) plus the lines of the part being filled: joining lines per
   * part keeps few live objects and never builds a rope of half a million concatenations.
   */
  private parts: string[] = [];
  private lines: string[] = [];
  private partBytes = 0;
  private bytes = 0;
  private rows = 0;
  private firstId = '';
  private lastId = '';

  constructor(
    readonly columns: string[],
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  ) {
    this.header = batchHeader(columns);
    this.reset();
  }

  /** Adds a row; returns the full file first when this row does not fit in the current one. */
  add(row: BatchRow): BatchFile | undefined {
    // Every cell is URL-encoded, so lines are ASCII: string length is the byte length.
    const line = batchLine(row, this.columns);
    if (this.header.length + line.length > this.limits.maxBytes) {
      throw new Error(`one profile row is larger than the batch size limit (${line.length} bytes)`);
    }
    let done: BatchFile | undefined;
    if (this.rows > 0 && (this.rows + 1 > this.limits.maxRows || this.bytes + line.length > this.limits.maxBytes)) {
      done = this.flush();
    }
    if (this.rows === 0) this.firstId = row.thirdPartyId;
    this.lastId = row.thirdPartyId;
    this.lines.push(line);
    this.partBytes += line.length;
    if (this.partBytes >= PART_SIZE) this.closePart();
    this.bytes += line.length;
    this.rows += 1;
    return done;
  }

  /** The pending file, if it holds any row. */
  flush(): BatchFile | undefined {
    if (this.rows === 0) return undefined;
    this.closePart();
    // One flat string: the client sends strings, and a string (unlike a Buffer) costs no copy here.
    const file: BatchFile = {
      columns: this.columns,
      body: this.parts.join(''),
      rows: this.rows,
      firstId: this.firstId,
      lastId: this.lastId,
    };
    this.reset();
    return file;
  }

  get pendingRows(): number {
    return this.rows;
  }

  private closePart(): void {
    if (this.lines.length === 0) return;
    this.parts.push(this.lines.join(''));
    this.lines = [];
    this.partBytes = 0;
  }

  private reset(): void {
    this.parts = [this.header];
    this.lines = [];
    this.partBytes = 0;
    this.bytes = this.header.length;
    this.rows = 0;
  }
}

const PART_SIZE = 1024 * 1024;

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
