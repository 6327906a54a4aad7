// Visitor profiles of the emulated edge, packed for a million profiles in memory, persisted as NDJSON.
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';

/** One attribute as the Profile API returns it. */
export interface ProfileAttribute {
  value: string;
  /** ms since epoch. */
  modifiedAt: number;
}

/** One decoded attribute of a packed profile. */
interface Entry {
  name: number;
  time: number;
  value: string;
}

/**
 * One flat string per profile: `<modifiedTimeIdx>;` then, per attribute, `<nameIdx>,<timeIdx>,<len>:<value>`.
 * Attribute names and timestamps (seconds) are indexes into shared tables (a batch writes one
 * timestamp for all its rows), so a million profiles with ten attributes each cost about one short
 * string, one id and one Map entry per profile. Length prefixes keep any value byte-safe.
 */
function encode(modified: number, entries: Entry[]): string {
  const parts: string[] = [String(modified), ';'];
  for (const e of entries) parts.push(String(e.name), ',', String(e.time), ',', String(e.value.length), ':', e.value);
  // join() yields a flat string (concatenation would keep a rope of every piece alive).
  return parts.join('');
}

function decode(packed: string): { modified: number; entries: Entry[] } {
  let pos = packed.indexOf(';');
  const modified = Number(packed.slice(0, pos));
  pos++;
  const entries: Entry[] = [];
  while (pos < packed.length) {
    const c1 = packed.indexOf(',', pos);
    const c2 = packed.indexOf(',', c1 + 1);
    const colon = packed.indexOf(':', c2 + 1);
    const len = Number(packed.slice(c2 + 1, colon));
    entries.push({ name: Number(packed.slice(pos, c1)), time: Number(packed.slice(c1 + 1, c2)), value: packed.substr(colon + 1, len) });
    pos = colon + 1 + len;
  }
  return { modified, entries };
}

/**
 * A copy of `s` that does not point into a larger string: ids and names cut from a 50 MB batch body
 * would otherwise keep the whole body alive as long as the profile exists.
 */
function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

export class ProfileStore {
  private readonly profiles = new Map<string, string>();
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly times: number[] = [];
  private readonly timeIndex = new Map<number, number>();

  get size(): number {
    return this.profiles.size;
  }

  has(id: string): boolean {
    return this.profiles.has(id);
  }

  /** Every attribute name ever written (Target's profileattributes list). */
  attributeNames(): string[] {
    return [...this.names];
  }

  /** Attributes of a profile, or undefined when it does not exist. */
  get(id: string): { modifiedAt: number; attributes: Map<string, ProfileAttribute> } | undefined {
    const p = this.profiles.get(id);
    if (p === undefined) return undefined;
    const { modified, entries } = decode(p);
    const attributes = new Map<string, ProfileAttribute>();
    for (const e of entries) attributes.set(this.names[e.name], { value: e.value, modifiedAt: this.times[e.time] * 1000 });
    return { modifiedAt: this.times[modified] * 1000, attributes };
  }

  /** One attribute value (the hot path of rule evaluation). */
  getValue(id: string, name: string): string | undefined {
    const p = this.profiles.get(id);
    const idx = this.nameIndex.get(name);
    if (p === undefined || idx === undefined) return undefined;
    return decode(p).entries.find((e) => e.name === idx)?.value;
  }

  /**
   * Writes attributes. Empty values are ignored (Target cannot clear an attribute). Creates the profile
   * only when `create` is set; returns whether the profile exists afterwards.
   */
  update(id: string, attrs: Iterable<[string, string]>, nowMs: number, create: boolean): boolean {
    const existing = this.profiles.get(id);
    if (existing === undefined && !create) return false;
    const { entries } = existing === undefined ? { entries: [] as Entry[] } : decode(existing);
    const time = this.internTime(Math.floor(nowMs / 1000));
    for (const [name, value] of attrs) {
      if (value === '') continue;
      const idx = this.internName(name);
      const e = entries.find((x) => x.name === idx);
      if (!e) entries.push({ name: idx, time, value: detach(value) });
      else if (e.value !== value) {
        e.value = detach(value);
        e.time = time;
      }
    }
    this.profiles.set(existing === undefined ? detach(id) : id, encode(time, entries));
    return true;
  }

  delete(id: string): void {
    this.profiles.delete(id);
  }

  clear(): void {
    this.profiles.clear();
  }

  private internName(name: string): number {
    let idx = this.nameIndex.get(name);
    if (idx === undefined) {
      idx = this.names.length;
      const own = detach(name);
      this.names.push(own);
      this.nameIndex.set(own, idx);
    }
    return idx;
  }

  private internTime(sec: number): number {
    let idx = this.timeIndex.get(sec);
    if (idx === undefined) {
      idx = this.times.length;
      this.times.push(sec);
      this.timeIndex.set(sec, idx);
    }
    return idx;
  }

  /** Streams every profile as one JSON line to `file` (written to a temp file, then renamed). */
  async save(file: string): Promise<void> {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const out = createWriteStream(tmp, { encoding: 'utf8' });
    let chunk = '';
    for (const [id, p] of this.profiles) {
      const { modified, entries } = decode(p);
      const attrs: Record<string, [string, number]> = {};
      for (const e of entries) attrs[this.names[e.name]] = [e.value, this.times[e.time]];
      chunk += `${JSON.stringify({ id, m: this.times[modified], a: attrs })}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await once(out, 'finish');
    renameSync(tmp, file);
  }

  /** Loads profiles saved by save(), reading the file in chunks (synchronously, at construction). */
  load(file: string): void {
    if (!existsSync(file)) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      // The decoder keeps a multi-byte character split across two chunks whole.
      const decoder = new StringDecoder('utf8');
      let rest = '';
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const text = rest + decoder.write(buf.subarray(0, n));
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) this.loadLine(line);
      }
      this.loadLine(rest + decoder.end());
    } finally {
      closeSync(fd);
    }
  }

  private loadLine(line: string): void {
    if (!line.trim()) return;
    const rec = JSON.parse(line) as { id: string; m: number; a: Record<string, [string, number]> };
    const entries: Entry[] = [];
    for (const [name, [value, sec]] of Object.entries(rec.a)) entries.push({ name: this.internName(name), time: this.internTime(sec), value });
    this.profiles.set(rec.id, encode(this.internTime(rec.m), entries));
  }
}
