// The default sandbox seed, built from a config: each data_driven segment becomes a dynamic
// Customer.io segment with a deterministic, realistic set of members and attribute values for the
// config's fields (values chosen so the audiences' `where` conditions match most members).
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { createRandom } from './faults.js';
import type { CustomerioSeed, SandboxSeed } from './types.js';

/** The parts of a config the seed needs (both the raw YAML and the normalized config fit). */
export interface SeedSource {
  workspace: string;
  fields: Record<string, { type: 'string' | 'number' | 'integer' | 'boolean' }>;
  segments: Record<string, { name: string; type: 'data_driven' | 'manual'; id?: number; description?: string }>;
  /** Audience conditions, each with the segment whose members should mostly satisfy it. */
  conditions: Array<{ segment: string; field: string; op: string; value: unknown }>;
}

const FIRST_NAMES = ['ava', 'liam', 'mia', 'noah', 'zoe', 'omar', 'lena', 'ravi', 'sofia', 'kai', 'nina', 'theo', 'iris', 'felix', 'yara', 'jonas'];
const LAST_NAMES = ['smith', 'garcia', 'chen', 'muller', 'rossi', 'okafor', 'tanaka', 'silva', 'novak', 'haddad', 'berg', 'kowalski'];
const CATEGORY_WORDS = ['apparel', 'home', 'skincare', 'coffee', 'accessories', 'footwear'];
/** 2025-01-01T00:00:00Z: seeded people signed up during the year after. */
const EPOCH = 1735689600;

/** A small built-in program, used when no config is given. */
export const FIXTURE_SEED_SOURCE: SeedSource = {
  workspace: 'sandbox-fixture',
  fields: { lifetime_value: { type: 'number' }, orders_count: { type: 'integer' }, last_category: { type: 'string' } },
  segments: {
    cart_abandoned_4h: { name: 'Cart Abandoned (last 4h)', type: 'data_driven', id: 101 },
    vip_high_ltv: { name: 'High LTV VIP', type: 'data_driven', id: 104 },
    lapsed_90d: { name: 'Lapsed (no purchase 90d)', type: 'data_driven', id: 105 },
  },
  conditions: [{ segment: 'vip_high_ltv', field: 'lifetime_value', op: 'gte', value: 500 }],
};

/** Reads the seed source from a config file (plain YAML parsing; the file is trusted to be a config). */
export async function readSeedSource(file: string): Promise<SeedSource> {
  const data = parse(await readFile(file, 'utf8')) as Record<string, unknown> | null;
  return seedSourceFromConfig(data ?? {});
}

/** Extracts the seed source from a raw or normalized config object, ignoring anything it does not know. */
export function seedSourceFromConfig(config: Record<string, unknown>): SeedSource {
  const fields: SeedSource['fields'] = {};
  for (const [key, f] of Object.entries(asRecord(config.fields))) {
    const type = asRecord(f).type;
    if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') fields[key] = { type };
  }
  const segments: SeedSource['segments'] = {};
  for (const [key, s] of Object.entries(asRecord(config.segments))) {
    const seg = asRecord(s);
    if (typeof seg.name !== 'string' || (seg.type !== 'data_driven' && seg.type !== 'manual')) continue;
    segments[key] = {
      name: seg.name,
      type: seg.type,
      id: typeof seg.id === 'number' ? seg.id : undefined,
      description: typeof seg.description === 'string' ? seg.description : undefined,
    };
  }
  const conditions: SeedSource['conditions'] = [];
  for (const a of Object.values(asRecord(config.audiences))) {
    const audience = asRecord(a);
    if (typeof audience.segment !== 'string' || !Array.isArray(audience.where)) continue;
    for (const c of audience.where) {
      const cond = asRecord(c);
      if (typeof cond.field !== 'string') continue;
      // Normalized conditions carry {op, value}; raw ones carry {<op>: value}.
      if (typeof cond.op === 'string') conditions.push({ segment: audience.segment, field: cond.field, op: cond.op, value: cond.value });
      else {
        for (const [op, value] of Object.entries(cond)) {
          if (op !== 'field') conditions.push({ segment: audience.segment, field: cond.field, op, value });
        }
      }
    }
  }
  return { workspace: typeof config.workspace === 'string' ? config.workspace : 'sandbox', fields, segments, conditions };
}

/** Builds the deterministic seed: the same source always gives the same people and members. */
export function buildDefaultSeed(source: SeedSource, opts: { people?: number } = {}): SandboxSeed {
  const random = createRandom(hashString(source.workspace));
  const count = opts.people ?? 600;
  const people: CustomerioSeed['people'] = [];
  for (let n = 1; n <= count; n++) {
    const first = FIRST_NAMES[Math.floor(random() * FIRST_NAMES.length)];
    const last = LAST_NAMES[Math.floor(random() * LAST_NAMES.length)];
    const attributes: Record<string, string | number | boolean> = { first_name: capitalize(first) };
    for (const [key, f] of Object.entries(source.fields)) attributes[key] = baseValue(key, f.type, source, random);
    people.push({
      id: `cust_${String(n).padStart(6, '0')}`,
      email: `${first}.${last}${n}@example.com`,
      created_at: EPOCH + Math.floor(random() * 365 * 86400),
      attributes,
    });
  }
  const segments: CustomerioSeed['segments'] = [];
  for (const [key, s] of Object.entries(source.segments)) {
    if (s.type !== 'data_driven') continue;
    // Between 3% and 25% of people, fixed per segment key.
    const share = 0.03 + (hashString(key) % 1000) / 1000 * 0.22;
    const members = people.filter(() => random() < share);
    for (const c of source.conditions.filter((x) => x.segment === key && source.fields[x.field])) {
      for (const p of members) {
        // Most, not all, members satisfy the audience's condition: real data is never that clean.
        if (random() < 0.85) p.attributes![c.field] = satisfyingValue(c, source.fields[c.field].type, random, p.attributes![c.field]);
      }
    }
    segments.push({
      id: s.id ?? 1000 + (hashString(key) % 9000),
      name: s.name,
      description: s.description,
      type: 'dynamic',
      tags: null,
      members: members.map((p) => p.id as string),
      used_by: { campaigns: [100 + (hashString(key) % 900)], sent_newsletters: [], draft_newsletters: [] },
    });
  }
  return { customerio: { people, segments } };
}

function baseValue(key: string, type: string, source: SeedSource, random: () => number): string | number | boolean {
  const r = random();
  switch (type) {
    case 'boolean':
      return r < 0.3;
    case 'integer':
      return Math.floor(r * r * 12);
    case 'number':
      return Math.round((15 + r * r * 1200) * 100) / 100;
    default: {
      const mentioned = source.conditions.filter((c) => c.field === key).flatMap((c) => (Array.isArray(c.value) ? c.value : [c.value])).map(String);
      const pool = [...new Set([...mentioned, ...(/categor/i.test(key) ? CATEGORY_WORDS : [`${key}_a`, `${key}_b`, `${key}_c`])])];
      return pool[Math.floor(r * pool.length)];
    }
  }
}

function satisfyingValue(c: { op: string; value: unknown }, type: string, random: () => number, current: unknown): string | number | boolean {
  const num = Number(c.value);
  const bump = type === 'integer' ? 1 + Math.floor(random() * 5) : Math.round(random() * 40000) / 100;
  switch (c.op) {
    case 'eq':
      return c.value as string | number | boolean;
    case 'in':
      return Array.isArray(c.value) && c.value.length > 0 ? (c.value[Math.floor(random() * c.value.length)] as string | number) : (current as string);
    case 'gte':
      return num + bump - (type === 'integer' ? 1 : 0);
    case 'gt':
      return num + bump;
    case 'lte':
      return Math.max(0, num - bump + (type === 'integer' ? 1 : 0));
    case 'lt':
      return Math.max(0, num - bump);
    case 'contains':
      return `${String(c.value)}`;
    default:
      return current as string | number | boolean;
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** FNV-1a, for stable per-key numbers. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
