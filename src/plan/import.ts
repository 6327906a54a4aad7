// `audiences import`, pure part: turns platform objects the workspace does not own yet into YAML
// for audiences.yaml, plus the adoption changes that write our marker onto them (so the next plan
// matches them by key instead of creating duplicates). What YAML cannot express is skipped, with why.
import { stringify } from 'yaml';
import type { Config } from '../config/types.js';
import { fieldAttribute, segmentAttribute } from '../model/attributes.js';
import { cmp } from './canonicalize.js';
import { planChecksum, summarize } from './diff.js';
import { EVALUATOR } from './target-rule.js';
import {
  PLAN_FORMAT_VERSION,
  addressOf,
  type Attrs,
  type Change,
  type JsonValue,
  type Plan,
  type Resource,
  type ResourceKind,
} from './types.js';

export interface ImportOptions {
  /** The current config, so new keys do not collide and references can use declared keys. */
  config?: Config;
  /** Which unowned objects to import (default: all of them). */
  select?: (r: Resource) => boolean;
}

export interface ImportSkip {
  address: string;
  name: string;
  reason: string;
}

export interface ImportResult {
  /** YAML sections to merge into audiences.yaml ('' when nothing can be imported). */
  yaml: string;
  /** The changes that adopt the imported objects (write the marker / thirdPartyId). */
  plan: Plan;
  /** Imported objects: platform address → new YAML key. */
  keys: Map<string, string>;
  skipped: ImportSkip[];
}

type Section = 'segments' | 'audiences' | 'offers' | 'activities';
const SECTION: Record<ResourceKind, Section> = { segment: 'segments', audience: 'audiences', offer: 'offers', activity: 'activities' };
const ORDER: ResourceKind[] = ['segment', 'audience', 'offer', 'activity'];

export function importExisting(existing: Resource[], opts: ImportOptions = {}): ImportResult {
  const config = opts.config;
  const candidates = existing
    .filter((r) => !r.owned && (opts.select ?? (() => true))(r))
    .sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || cmp(String(a.attrs.name), String(b.attrs.name)) || cmp(String(a.id), String(b.id)));

  // Keys already taken per section, and what existing ids are already known as (declared segments by id).
  const taken: Record<Section, Set<string>> = {
    segments: new Set(Object.keys(config?.segments ?? {})),
    audiences: new Set(Object.keys(config?.audiences ?? {})),
    offers: new Set(Object.keys(config?.offers ?? {})),
    activities: new Set(Object.keys(config?.activities ?? {})),
  };
  const segmentKeyById = new Map<string, string>();
  for (const s of Object.values(config?.segments ?? {})) if (s.id !== undefined) segmentKeyById.set(String(s.id), s.key);
  const keyOfAddress = new Map<string, string>(existing.filter((r) => r.owned).map((r) => [r.address, r.key]));

  const sections: Record<Section, Record<string, Record<string, unknown>>> = { segments: {}, audiences: {}, offers: {}, activities: {} };
  const keys = new Map<string, string>();
  const skipped: ImportSkip[] = [];
  const changes: Change[] = [];
  const skip = (r: Resource, reason: string) => skipped.push({ address: r.address, name: String(r.attrs.name), reason });

  for (const r of candidates) {
    const section = SECTION[r.kind];
    if (r.kind === 'segment' && segmentKeyById.has(String(r.id))) continue; // already declared by id
    if (r.meta.owner) {
      skip(r, `owned by workspace "${String(r.meta.owner)}"; import it from that workspace's config instead`);
      continue;
    }
    let entry: Record<string, unknown> | undefined;
    let reason: string | undefined;
    switch (r.kind) {
      case 'segment':
        if (r.attrs.type === 'manual') {
          reason = 'a manual segment cannot carry our marker (Customer.io has no segment update API); declare a new manual segment instead';
        } else {
          entry = { name: r.attrs.name, type: 'data_driven', id: numericId(r.id) };
        }
        break;
      case 'audience': {
        const parsed = audienceFromRule(r.attrs.targetRule);
        if ('reason' in parsed) reason = parsed.reason;
        else entry = { name: r.attrs.name, ...(r.attrs.description ? { description: r.attrs.description } : {}), ...parsed };
        break;
      }
      case 'offer':
        entry = { name: r.attrs.name, content: r.attrs.content };
        break;
      case 'activity': {
        const parsed = activityEntry(r.attrs, (kind, key) => {
          const address = addressOf('adobe_target', kind, key);
          return keys.get(address) ?? keyOfAddress.get(address);
        });
        if (typeof parsed.reason === 'string') reason = parsed.reason;
        else entry = parsed;
        break;
      }
    }
    if (!entry) {
      skip(r, reason ?? 'not importable');
      continue;
    }
    const key = uniqueKey(slug(String(r.attrs.name)) || `${r.kind}_${String(r.id)}`, taken[section]);
    taken[section].add(key);
    sections[section][key] = entry;
    keys.set(r.address, key);
    if (r.kind !== 'segment') changes.push(adoption(r, key, keys));
  }

  const doc: Record<string, unknown> = {};
  for (const kind of ORDER) {
    const s = SECTION[kind];
    if (Object.keys(sections[s]).length > 0) doc[s] = sections[s];
  }
  const ordered = orderAdoptions(changes);
  return {
    yaml: Object.keys(doc).length > 0 ? stringify(doc, { lineWidth: 0 }) : '',
    plan: {
      format_version: PLAN_FORMAT_VERSION,
      changes: ordered,
      warnings: [],
      summary: summarize(ordered),
      checksum: planChecksum(ordered),
    },
    keys,
    skipped,
  };
}

/** An update that rewrites the object under its new key: the provider writes the marker with it. */
function adoption(r: Resource, key: string, keys: Map<string, string>): Change {
  const address = addressOf(r.platform, r.kind, key);
  let after: Attrs = r.attrs;
  const dependsOn: string[] = [];
  if (r.kind === 'activity') {
    const experiences = ((r.attrs.experiences as Attrs[]) ?? []).map((e) => {
      const out = { ...e };
      for (const kind of ['audience', 'offer'] as const) {
        const v = e[kind];
        if (v == null) continue;
        const k = keys.get(addressOf('adobe_target', kind, String(v)));
        if (k !== undefined) {
          out[kind] = k;
          dependsOn.push(addressOf('adobe_target', kind, k));
        }
      }
      return out;
    });
    after = { ...r.attrs, experiences };
  }
  return {
    address,
    platform: r.platform,
    kind: r.kind,
    key,
    action: 'update',
    id: r.id,
    previousKey: r.key,
    before: r.attrs,
    after,
    fields: [{ path: 'key', before: r.key, after: key }],
    reason: `adopt ${r.platform === 'adobe_target' ? 'Target' : 'Customer.io'} ${r.kind} ${String(r.id)} as ${key}`,
    dependsOn: [...new Set(dependsOn)].sort(cmp),
  };
}

function orderAdoptions(changes: Change[]): Change[] {
  const rank = (c: Change) => (c.kind === 'activity' ? 1 : 0);
  return [...changes].sort((a, b) => rank(a) - rank(b) || cmp(a.address, b.address));
}

/** A targetRule back to `segment` + `where`, when it is one this tool could have written. */
function audienceFromRule(rule: JsonValue | undefined): { segment: string; where?: Array<Record<string, unknown>> } | { reason: string } {
  if (rule == null || typeof rule !== 'object' || Array.isArray(rule)) return { reason: 'no targetRule (audienceRule or AEP audiences cannot be expressed)' };
  const nodes = Array.isArray(rule.and) ? rule.and : [rule];
  const segPrefix = segmentAttribute('');
  const fieldPrefix = fieldAttribute('');
  let segment: string | undefined;
  const where: Array<Record<string, unknown>> = [];
  const reverse = new Map<string, string>(Object.entries(EVALUATOR).filter(([op]) => op !== 'in').map(([op, ev]) => [ev, op]));
  for (const n of nodes) {
    if (n === null || typeof n !== 'object' || Array.isArray(n)) return { reason: 'unexpected rule node' };
    const negated = n.not !== undefined && typeof n.not === 'object' && n.not !== null && !Array.isArray(n.not);
    const leaf = (negated ? n.not : n) as { [k: string]: JsonValue };
    const attr = leaf.profile;
    const evaluator = Object.keys(leaf).find((k) => k !== 'profile');
    const values = evaluator ? leaf[evaluator] : undefined;
    if (typeof attr !== 'string' || !evaluator || !Array.isArray(values) || Object.keys(leaf).length !== 2) {
      return { reason: `the rule uses ${JSON.stringify(n)}, which audiences.yaml cannot express (only profile attributes sync writes)` };
    }
    const strings = values.map(String);
    if (!negated && attr.startsWith(segPrefix) && evaluator === 'equals' && strings.length === 1 && strings[0] === 'true' && !segment) {
      segment = attr.slice(segPrefix.length);
      continue;
    }
    if (!attr.startsWith(fieldPrefix)) {
      return { reason: `the rule tests profile attribute "${attr}", which is neither a segment flag nor an exported field` };
    }
    const field = attr.slice(fieldPrefix.length);
    const parse = (v: string): string | number => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
    if (negated) {
      if (evaluator !== 'equals' || strings.length !== 1) return { reason: 'a negated condition other than "not equals one value"' };
      where.push({ field, ne: parse(strings[0]) });
    } else if (evaluator === 'equals') {
      where.push(strings.length === 1 ? { field, eq: parse(strings[0]) } : { field, in: strings.map(parse) });
    } else {
      const op = reverse.get(evaluator);
      if (!op || strings.length !== 1) return { reason: `evaluator "${evaluator}" has no audiences.yaml operator` };
      where.push({ field, [op]: op === 'contains' ? strings[0] : parse(strings[0]) });
    }
  }
  if (!segment) return { reason: `the rule has no "${segPrefix}<segment> equals true" condition, so it mirrors no segment` };
  return where.length > 0 ? { segment, where } : { segment };
}

function activityEntry(
  attrs: Attrs,
  keyOf: (kind: 'audience' | 'offer', key: string) => string | undefined,
): Record<string, unknown> | { reason: string } {
  const experiences: Array<Record<string, unknown>> = [];
  for (const e of (attrs.experiences as Attrs[]) ?? []) {
    const audience = e.audience == null ? undefined : keyOf('audience', String(e.audience));
    const offer = e.offer == null ? undefined : keyOf('offer', String(e.offer));
    if (e.audience != null && audience === undefined) {
      return { reason: `experience "${String(e.name)}" targets audience ${String(e.audience)}, which is neither declared nor imported` };
    }
    if (offer === undefined) {
      return { reason: `experience "${String(e.name)}" serves ${e.offer == null ? 'no offer' : `offer ${String(e.offer)}, which is neither declared nor imported`}` };
    }
    const x: Record<string, unknown> = { ...(audience ? { audience } : {}), offer, name: e.name };
    if (attrs.type === 'ab' && e.visitorPercentage != null) x.percent = e.visitorPercentage;
    experiences.push(x);
  }
  return {
    name: attrs.name,
    type: attrs.type,
    location: attrs.location,
    // Pinned: `auto` would recompute it from precedence and change a running activity.
    priority: attrs.priority,
    state: attrs.state === 'approved' ? 'approved' : 'saved',
    ...(attrs.startsAt ? { starts_at: attrs.startsAt } : {}),
    ...(attrs.endsAt ? { ends_at: attrs.endsAt } : {}),
    experiences,
  };
}

/** A YAML key from a display name: lower snake case, starting with a letter. */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60)
    .replace(/_+$/, '');
  return /^[a-z]/.test(s) ? s : s ? `x_${s}` : '';
}

function uniqueKey(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

function numericId(id: string | number | undefined): number | string | undefined {
  return typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
}
