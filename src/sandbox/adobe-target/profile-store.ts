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

/**
 * Packed record per profile: [modifiedAtSec, nameIdx, value, modifiedAtSec, nameIdx, value, ...].
 * Attribute names are indexes into one shared table and short values are interned, so a million
 * profiles with ten attributes each cost roughly one array and one id string per profile.
 */
type Packed = Array<number | string>;

const INTERN_MAX_LENGTH = 24;
const INTERN_MAX_ENTRIES = 50_000;

export class ProfileStore {
  private readonly profiles = new Map<string, Packed>();
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly values = new Map<string, string>();

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
    if (!p) return undefined;
    const attributes = new Map<string, ProfileAttribute>();
    for (let i = 1; i < p.length; i += 3) {
      attributes.set(this.names[p[i] as number], { value: p[i + 1] as string, modifiedAt: (p[i + 2] as number) * 1000 });
    }
    return { modifiedAt: (p[0] as number) * 1000, attributes };
  }

  /** One attribute value (the hot path of rule evaluation). */
  getValue(id: string, name: string): string | undefined {
    const p = this.profiles.get(id);
    const idx = this.nameIndex.get(name);
    if (!p || idx === undefined) return undefined;
    for (let i = 1; i < p.length; i += 3) if (p[i] === idx) return p[i + 1] as string;
    return undefined;
  }

  /**
   * Writes attributes. Empty values are ignored (Target cannot clear an attribute). Creates the profile
   * only when `create` is set; returns whether the profile exists afterwards.
   */
  update(id: string, attrs: Iterable<[string, string]>, nowMs: number, create: boolean): boolean {
    let p = this.profiles.get(id);
    if (!p) {
      if (!create) return false;
      p = [0];
      this.profiles.set(id, p);
    }
    const sec = Math.floor(nowMs / 1000);
    p[0] = sec;
    for (const [name, raw] of attrs) {
      if (raw === '') continue;
      const idx = this.internName(name);
      const value = this.internValue(raw);
      let found = false;
      for (let i = 1; i < p.length; i += 3) {
        if (p[i] === idx) {
          if (p[i + 1] !== value) {
            p[i + 1] = value;
            p[i + 2] = sec;
          }
          found = true;
          break;
        }
      }
      if (!found) p.push(idx, value, sec);
    }
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
      this.names.push(name);
      this.nameIndex.set(name, idx);
    }
    return idx;
  }

  private internValue(v: string): string {
    if (v.length > INTERN_MAX_LENGTH) return v;
    const hit = this.values.get(v);
    if (hit !== undefined) return hit;
    if (this.values.size < INTERN_MAX_ENTRIES) this.values.set(v, v);
    return v;
  }

  /** Streams every profile as one JSON line to `file` (written to a temp file, then renamed). */
  async save(file: string): Promise<void> {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const out = createWriteStream(tmp, { encoding: 'utf8' });
    let chunk = '';
    for (const [id, p] of this.profiles) {
      const attrs: Record<string, [string, number]> = {};
      for (let i = 1; i < p.length; i += 3) attrs[this.names[p[i] as number]] = [p[i + 1] as string, p[i + 2] as number];
      chunk += `${JSON.stringify({ id, m: p[0], a: attrs })}\n`;
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
    const p: Packed = [rec.m];
    for (const [name, [value, sec]] of Object.entries(rec.a)) p.push(this.internName(name), this.internValue(value), sec);
    this.profiles.set(rec.id, p);
  }
}
