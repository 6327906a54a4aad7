// Streaming RFC 4180 CSV reader for Customer.io export files: records keyed by the header row, chunk by chunk.
import { StringDecoder } from 'node:string_decoder';

/**
 * Incremental CSV parser: quoted cells, doubled quotes, CRLF or LF (or lone CR) line ends, a header
 * row. Feed text in pieces of any size with `push` (a record, a quoted cell, a `""` or a CRLF may be
 * split between pieces); each call returns the records completed so far; `end` flushes the last one.
 * Blank lines are skipped; a short row fills missing cells with ''.
 */
export class CsvRecordParser {
  private header: string[] | undefined;
  private row: string[] = [];
  private cell = '';
  private quoted = false;
  /** Saw a `"` inside a quoted cell: the next char decides between `""` (a quote) and the cell's end. */
  private quoteInQuoted = false;
  /** Just ended a row on CR: a following LF belongs to it. */
  private afterCR = false;

  push(text: string): Array<Record<string, string>> {
    const out: Array<Record<string, string>> = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      if (this.afterCR) {
        this.afterCR = false;
        if (ch === '\n') continue;
      }
      if (this.quoteInQuoted) {
        this.quoteInQuoted = false;
        if (ch === '"') {
          this.cell += '"';
          continue;
        }
        this.quoted = false; // the quote closed the cell; this char is read unquoted below
      }
      if (this.quoted) {
        if (ch === '"') this.quoteInQuoted = true;
        else {
          // Copy the run of plain quoted text at once rather than char by char.
          const next = text.indexOf('"', i);
          const stop = next === -1 ? text.length : next;
          this.cell += text.slice(i, stop);
          i = stop - 1;
        }
      } else if (ch === '"') this.quoted = true;
      else if (ch === ',') {
        this.row.push(this.cell);
        this.cell = '';
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') this.afterCR = true;
        this.endRow(out);
      } else {
        let stop = i + 1;
        while (stop < text.length) {
          const c = text.charCodeAt(stop);
          if (c === 0x2c || c === 0x0a || c === 0x0d || c === 0x22) break;
          stop++;
        }
        this.cell += text.slice(i, stop);
        i = stop - 1;
      }
    }
    return out;
  }

  end(): Array<Record<string, string>> {
    const out: Array<Record<string, string>> = [];
    this.quoteInQuoted = false;
    this.quoted = false;
    if (this.cell !== '' || this.row.length > 0) this.endRow(out);
    return out;
  }

  private endRow(out: Array<Record<string, string>>): void {
    this.row.push(this.cell);
    const row = this.row;
    this.row = [];
    this.cell = '';
    if (row.length === 1 && row[0] === '') return; // a blank line
    if (!this.header) {
      this.header = row;
      return;
    }
    const rec: Record<string, string> = {};
    for (let i = 0; i < this.header.length; i++) rec[this.header[i] as string] = row[i] ?? '';
    out.push(rec);
  }
}

/** CSV records from a byte or text stream (UTF-8), one at a time, holding only the current chunk. */
export async function* csvRecords(source: AsyncIterable<Buffer | string>): AsyncGenerator<Record<string, string>> {
  const parser = new CsvRecordParser();
  const decoder = new StringDecoder('utf8');
  for await (const chunk of source) {
    yield* parser.push(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  }
  yield* parser.push(decoder.end());
  yield* parser.end();
}

/** A whole CSV text into records (the same rules as the streaming parser). */
export function parseCsvRecords(text: string): Array<Record<string, string>> {
  const parser = new CsvRecordParser();
  return [...parser.push(text), ...parser.end()];
}
