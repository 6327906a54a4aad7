// The pure diff: desired and existing Resources in, a Plan out. Policy first (objects the tool does
// not own are dropped before comparing, name collisions with them become warnings), then matching
// by declared key (and previous keys for renames), then field-level comparison and ordering.
import { createHash } from 'node:crypto';
import { canonicalJson, canonicalize, cmp, jsonEqual } from './canonicalize.js';
import { orderChanges } from './order.js';
import {
  PLAN_FORMAT_VERSION,
  addressOf,
  type Attrs,
  type Change,
  type FieldChange,
  type JsonValue,
  type Plan,
  type PlanSummary,
  type PlanReference,
  type PlanWarning,
  type PlatformName,
  type Resource,
} from './types.js';

export interface DiffOptions {
  /** Platforms whose existing state was read; resources of other platforms are left out. Default: all. */
  platforms?: PlatformName[];
  /**
   * Adopt (`audiences import --adopt`): a declared object with no owned match takes over the one
   * unowned object of its kind carrying exactly its name (not another workspace's, not a manual
   * segment, whose marker cannot be written), as an update that writes our marker.
   */
  adopt?: boolean;
}

export function diffResources(desired: Resource[], existing: Resource[], opts: DiffOptions = {}): Plan {
  const inScope = (r: Resource) => !opts.platforms || opts.platforms.includes(r.platform);
  const want = desired.filter(inScope).map(canonicalize).sort(byAddress);
  const have = existing.filter(inScope).map(canonicalize).sort(byAddress);
  const changes: Change[] = [];
  const warnings: PlanWarning[] = [];

  // Read-only references (data-driven segments): checked, never changed.
  const references: PlanReference[] = [];
  for (const ref of want.filter((r) => !r.managed)) {
    const c = checkReference(ref, have);
    if (c) changes.push(c);
    references.push(referenceOf(ref, have, c === undefined));
  }

  // Policy before the diff: only objects carrying our marker take part.
  const owned = new Map<string, Resource>();
  const duplicates: Resource[] = [];
  const unowned: Resource[] = [];
  for (const r of have) {
    if (!r.owned) unowned.push(r);
    else if (owned.has(r.address)) duplicates.push(r);
    else owned.set(r.address, r);
  }
  const claimed = new Set<Resource>();

  const managedAddresses = new Set(want.filter((w) => w.managed).map((w) => w.address));
  const unownedByName = new Map<string, Resource[]>();
  for (const u of unowned) {
    const k = `${u.platform}.${u.kind}\0${String(u.attrs.name)}`;
    unownedByName.set(k, [...(unownedByName.get(k) ?? []), u]);
  }

  // Match each managed desired object to an owned existing one: by key, else by a previous key.
  const matches: Array<{ r: Resource; match?: Resource; renamedFrom?: string }> = [];
  for (const r of want.filter((x) => x.managed)) {
    let match = owned.get(r.address);
    if (match && claimed.has(match)) match = undefined;
    let renamedFrom: string | undefined;
    if (!match) {
      for (const pk of r.previousKeys ?? []) {
        const old = owned.get(addressOf(r.platform, r.kind, pk));
        if (old && !claimed.has(old) && !managedAddresses.has(old.address)) {
          match = old;
          renamedFrom = pk;
          break;
        }
      }
    }
    if (!match && opts.adopt && r.attrs.name) {
      const named = (unownedByName.get(`${r.platform}.${r.kind}\0${String(r.attrs.name)}`) ?? []).filter(
        (u) => !u.meta.owner && !(u.kind === 'segment') && !claimed.has(u),
      );
      if (named.length === 1) {
        match = named[0];
        renamedFrom = match.key;
      }
    }
    if (match) claimed.add(match);
    matches.push({ r, match, renamedFrom });
  }

  // Renamed audiences and offers keep their id, so activities that use them compare by the new key.
  const renamed = new Map<string, string>();
  for (const m of matches) if (m.match && m.renamedFrom !== undefined) renamed.set(m.match.address, m.r.key);

  for (const { r, match, renamedFrom } of matches) {
    if (!match) {
      changes.push(createChange(r));
      for (const u of unownedByName.get(`${r.platform}.${r.kind}\0${String(r.attrs.name)}`) ?? []) {
        if (!r.attrs.name) continue;
        warnings.push({
          code: 'name_collision',
          address: r.address,
          message:
            `${describe(u)} is named "${String(r.attrs.name)}" like ${r.address} but is not managed by this ` +
            `workspace${u.meta.owner ? ` (owned by workspace "${String(u.meta.owner)}")` : ''}; it is left alone. ` +
            `Rename one of them, or adopt it with \`audiences import\`.`,
        });
      }
      continue;
    }
    const c = updateChange(renamed.size > 0 ? followRenames(match, renamed) : match, r, renamedFrom);
    if (c) changes.push(c);
  }

  for (const r of [...owned.values(), ...duplicates]) {
    if (!claimed.has(r)) changes.push(deleteChange(r, duplicates.includes(r)));
  }

  const ordered = orderChanges(changes, want, have);
  return {
    format_version: PLAN_FORMAT_VERSION,
    changes: ordered,
    warnings: warnings.sort((a, b) => cmp(a.address ?? '', b.address ?? '') || cmp(a.message, b.message)),
    summary: summarize(ordered),
    checksum: planChecksum(ordered),
    references,
  };
}

function referenceOf(ref: Resource, have: Resource[], ok: boolean): PlanReference {
  const match = findReferenced(ref, have);
  const out: PlanReference = { address: ref.address, key: ref.key, name: match ? String(match.attrs.name) : '', status: ok ? 'ok' : 'manual' };
  if (match?.id !== undefined) out.id = match.id;
  if (match && match.meta.state !== undefined) out.state = match.meta.state as string | null;
  if (match && match.meta.size !== undefined) out.size = match.meta.size as number | null;
  return out;
}

function findReferenced(ref: Resource, have: Resource[]): Resource | undefined {
  const same = have.filter((x) => x.platform === ref.platform && x.kind === ref.kind);
  return ref.id != null ? same.find((x) => String(x.id) === String(ref.id)) : same.find((x) => x.attrs.name === ref.attrs.name);
}

/** sha256 over the canonical JSON (sorted keys) of the changes. */
export function planChecksum(changes: Change[]): string {
  return createHash('sha256').update(canonicalJson(changes)).digest('hex');
}

export function summarize(changes: Change[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, delete: 0, replace: 0, manual: 0 };
  for (const c of changes) s[c.action] += 1;
  return s;
}

/** Field-level differences between two attrs objects, recursing into objects and equal-length lists. */
export function diffAttrs(before: Attrs | null, after: Attrs | null): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before ?? {}, after ?? {}, '', out);
  return out;
}

function walk(a: JsonValue | undefined, b: JsonValue | undefined, path: string, out: FieldChange[]): void {
  if (jsonEqual(a, b)) return;
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(cmp)) {
      walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.some((x) => isObject(x) || Array.isArray(x))) {
    a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`, out));
    return;
  }
  out.push({ path, before: a, after: b });
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkReference(ref: Resource, have: Resource[]): Change | undefined {
  const same = have.filter((x) => x.platform === ref.platform && x.kind === ref.kind);
  const match = findReferenced(ref, have);
  const label = `data-driven segment${ref.id != null ? ` ${ref.id}` : ''}${ref.attrs.name ? ` "${String(ref.attrs.name)}"` : ''}`;
  const base = {
    address: ref.address,
    platform: ref.platform,
    kind: ref.kind,
    key: ref.key,
    action: 'manual' as const,
    dependsOn: [],
  };
  if (!match) {
    const byName = same.find((x) => x.attrs.name === ref.attrs.name);
    return {
      ...base,
      before: null,
      after: ref.attrs,
      fields: diffAttrs(null, ref.attrs),
      reason:
        `Manual action required: ${label} was not found in Customer.io. Data-driven segments cannot be ` +
        `created by API: build it in the Customer.io UI` +
        (byName?.id != null ? ` (a segment with that name exists with id ${byName.id}: set \`id: ${byName.id}\`)` : '') +
        `, then set its id in audiences.yaml.`,
    };
  }
  const problems: string[] = [];
  if (match.attrs.type !== ref.attrs.type) {
    problems.push(`it is a ${String(match.attrs.type)} segment, not data-driven (recreate it as data-driven in the UI)`);
  }
  // A segment declared by id alone (name '') accepts any name.
  if (ref.attrs.name !== '' && match.attrs.name !== ref.attrs.name) {
    problems.push(
      `it is named "${String(match.attrs.name)}" in Customer.io (rename it in the UI, or set that name in audiences.yaml)`,
    );
  }
  if (problems.length === 0) return undefined;
  const before = { name: match.attrs.name, type: match.attrs.type } as Attrs;
  const after = ref.attrs.name === '' ? { ...ref.attrs, name: match.attrs.name } : ref.attrs;
  return {
    ...base,
    id: match.id,
    before,
    after,
    fields: diffAttrs(before, after),
    reason: `Manual action required: ${label}: ${problems.join('; ')}.`,
  };
}

/** An existing activity with audience/offer keys renamed in this plan replaced by their new keys. */
function followRenames(r: Resource, renamed: Map<string, string>): Resource {
  if (r.kind !== 'activity' || !Array.isArray(r.attrs.experiences)) return r;
  const rename = (kind: 'audience' | 'offer', key: JsonValue) =>
    key == null ? key : String(key).split(',').map((k) => renamed.get(addressOf(r.platform, kind, k)) ?? k).join(',');
  const experiences = (r.attrs.experiences as Attrs[]).map((e) => ({
    ...e,
    audience: rename('audience', e.audience),
    offer: rename('offer', e.offer),
  }));
  return { ...r, attrs: { ...r.attrs, experiences } };
}

function createChange(r: Resource): Change {
  return {
    address: r.address,
    platform: r.platform,
    kind: r.kind,
    key: r.key,
    action: 'create',
    before: null,
    after: r.attrs,
    fields: diffAttrs(null, r.attrs),
    dependsOn: [],
  };
}

function updateChange(existing: Resource, r: Resource, renamedFrom: string | undefined): Change | undefined {
  const fields = diffAttrs(existing.attrs, r.attrs);
  const manualSegment = r.kind === 'segment' && r.attrs.type === 'manual';
  // A manual segment's key lives in its description, which Customer.io cannot update: a rename keeps
  // the old marker (matched through previous_keys) rather than replacing the segment.
  if (renamedFrom !== undefined && !manualSegment) fields.unshift({ path: 'key', before: renamedFrom, after: r.key });
  if (fields.length === 0) return undefined;
  const change: Change = {
    address: r.address,
    platform: r.platform,
    kind: r.kind,
    key: r.key,
    action: 'update',
    before: existing.attrs,
    after: r.attrs,
    fields,
    dependsOn: [],
  };
  if (existing.id !== undefined) change.id = existing.id;
  if (renamedFrom !== undefined) {
    change.previousKey = renamedFrom;
    change.reason = renamedFrom.startsWith('#')
      ? `adopt existing ${r.kind} ${renamedFrom.slice(1)} (same name, not managed yet)`
      : `moved from ${addressOf(r.platform, r.kind, renamedFrom)}`;
  }
  if (manualSegment) {
    change.action = 'replace';
    change.destructive = true;
    change.reason =
      `Customer.io has no segment update API: ${fields.map((f) => f.path).join(', ')} can only change by deleting ` +
      `and recreating the manual segment, which loses its membership until sync refills it.`;
  } else if (r.kind === 'activity' && existing.attrs.type !== r.attrs.type) {
    change.action = 'replace';
    change.reason = `activity type changes from ${String(existing.attrs.type)} to ${String(r.attrs.type)} (a different endpoint)`;
  }
  return change;
}

function deleteChange(r: Resource, duplicate: boolean): Change {
  const change: Change = {
    address: r.address,
    platform: r.platform,
    kind: r.kind,
    key: r.key,
    action: 'delete',
    before: r.attrs,
    after: null,
    fields: diffAttrs(r.attrs, null),
    dependsOn: [],
  };
  if (r.id !== undefined) change.id = r.id;
  if (duplicate) {
    // Keep addresses unique within a plan: the kept object owns the plain address.
    change.address = `${r.address}#${String(r.id ?? '')}`;
    change.reason = `duplicate of ${r.address} (another object carries the same marker)`;
  }
  if (r.kind === 'segment' && r.attrs.type === 'manual') {
    change.destructive = true;
    change.reason = `${change.reason ? `${change.reason}; ` : ''}deleting a manual segment loses its membership`;
  }
  return change;
}

function describe(r: Resource): string {
  return `${r.platform === 'customerio' ? 'Customer.io' : 'Adobe Target'} ${r.kind}${r.id != null ? ` ${r.id}` : ''}`;
}

function byAddress(a: Resource, b: Resource): number {
  return cmp(a.address, b.address) || cmp(String(a.id ?? ''), String(b.id ?? ''));
}
