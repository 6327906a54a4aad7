// Unit tests of the streaming CSV reader for Customer.io exports (RFC 4180, records split across chunks).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvRecordParser, csvRecords, parseCsvRecords } from '../../../src/providers/customerio/csv.js';

const TEXT = 'id,email,note\r\n1,a@x.io,"hello, ""world"""\r\n2,b@x.io,"two\r\nlines"\n\n3,,plain\n4,d@x.io';
const EXPECTED = [
  { id: '1', email: 'a@x.io', note: 'hello, "world"' },
  { id: '2', email: 'b@x.io', note: 'two\r\nlines' },
  { id: '3', email: '', note: 'plain' },
  { id: '4', email: 'd@x.io', note: '' },
];

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('CSV records', () => {
  it('reads quoted cells, doubled quotes, CRLF and LF, blank lines, a short last row without a line end', () => {
    expect(parseCsvRecords(TEXT)).toEqual(EXPECTED);
    expect(parseCsvRecords('')).toEqual([]);
    expect(parseCsvRecords('id,email\n')).toEqual([]);
  });

  it('gives the same records however the text is cut into chunks (every split point, and one char at a time)', () => {
    for (let cut = 0; cut <= TEXT.length; cut++) {
      const p = new CsvRecordParser();
      expect([...p.push(TEXT.slice(0, cut)), ...p.push(TEXT.slice(cut)), ...p.end()], `cut at ${cut}`).toEqual(EXPECTED);
    }
    const p = new CsvRecordParser();
    const out = [...TEXT].flatMap((ch) => p.push(ch));
    expect([...out, ...p.end()]).toEqual(EXPECTED);
  });

  it('keeps a "" escape, a CRLF and a record split across chunk boundaries whole', () => {
    const p = new CsvRecordParser();
    expect(p.push('id,v\r\n1,"a"')).toEqual([]);
    expect(p.push('"b"\r')).toEqual([{ id: '1', v: 'a"b' }]);
    expect(p.push('\n2,c')).toEqual([]);
    expect(p.end()).toEqual([{ id: '2', v: 'c' }]);
  });

  it('streams records from a byte stream, including a UTF-8 character split between chunks', async () => {
    const bytes = Buffer.from('id,name\n1,Zoë\n2,"Ünïcode, quoted"\n');
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(await collect(csvRecords(Readable.from(chunks)))).toEqual([
      { id: '1', name: 'Zoë' },
      { id: '2', name: 'Ünïcode, quoted' },
    ]);
  });
});
