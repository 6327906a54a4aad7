// Pure: which segments and fields are synced, each profile's desired attributes (explicit
// "true"/"false" flags, exported fields, holdout flags) and what changed since the confirmed state.
import type { Config, FieldDef, HoldoutDef, SegmentDef } from '../config/types.js';
import { FALSE, TRUE, fieldAttribute, holdoutAttribute, segmentAttribute } from '../model/attributes.js';
import { holdoutWritebackAttribute, isHeldOut } from './holdout.js';
import type { UniverseEntry } from './state/types.js';

export interface SyncSpec {
  /** Segments whose membership is pushed: those an audience mirrors, plus cooldown segments. */
  segments: SegmentDef[];
  /** Exported fields (Customer.io attributes pushed as trait_<key>). */
  fields: FieldDef[];
  holdouts: HoldoutDef[];
}

/** The part of the contract that sync pushes, in declaration order. */
export function buildSyncSpec(config: Pick<Config, 'segments' | 'audiences' | 'cooldowns' | 'fields' | 'holdouts'>): SyncSpec {
  const used = new Set<string>();
  for (const a of Object.values(config.audiences)) used.add(a.segment);
  for (const c of Object.values(config.cooldowns)) used.add(c.segment);
  return {
    segments: Object.values(config.segments).filter((s) => used.has(s.key)),
    fields: Object.values(config.fields),
    holdouts: Object.values(config.holdouts),
  };
}

/**
 * A Customer.io attribute value (always a string there) in the form Target rules compare: numbers
 * canonical (`"420.50"` → `"420.5"`), booleans lowercase, strings trimmed. Undefined for no value.
 */
export function normalizeTrait(field: Pick<FieldDef, 'type'>, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = String(raw).trim();
  if (s === '') return undefined;
  switch (field.type) {
    case 'number':
    case 'integer': {
      const n = Number(s);
      return Number.isFinite(n) ? String(n) : s;
    }
    case 'boolean': {
      const l = s.toLowerCase();
      return l === 'true' || l === '1' ? TRUE : l === 'false' || l === '0' ? FALSE : s;
    }
    default:
      return s;
  }
}

/** Picks and normalizes the exported fields out of a person's attributes. */
export function extractTraits(spec: SyncSpec, attributes: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of spec.fields) {
    const v = normalizeTrait(f, attributes[f.key]);
    if (v !== undefined) out[f.key] = v;
  }
  return out;
}

/**
 * The attributes a profile should have in Target. Every synced segment gets an explicit flag (a
 * profile that left gets "false": Target ignores empty values). Fields are included only when read
 * this run and present (Target cannot clear a value). Holdouts need the person's key.
 */
export function desiredAttributes(spec: SyncSpec, entry: Pick<UniverseEntry, 'segments' | 'traits' | 'key'>): Record<string, string> {
  const out: Record<string, string> = {};
  const inSeg = new Set(entry.segments);
  for (const s of spec.segments) out[segmentAttribute(s.key)] = inSeg.has(s.key) ? TRUE : FALSE;
  if (entry.traits) {
    for (const f of spec.fields) {
      const v = entry.traits[f.key];
      if (v !== undefined) out[fieldAttribute(f.key)] = v;
    }
  }
  if (entry.key !== null) {
    for (const h of spec.holdouts) out[holdoutAttribute(h.key)] = isHeldOut(h, entry.key) ? TRUE : FALSE;
  }
  return out;
}

export interface ProfileDiff {
  desired: Record<string, string>;
  /** Attributes to push (all desired ones when `full`). */
  changes: Record<string, string>;
  /** Segment keys entered / left since the confirmed state. */
  entries: string[];
  exits: string[];
  /** Holdout write-back values that differ from the last written ones. */
  writeback: Record<string, string>;
}

export function diffProfile(spec: SyncSpec, entry: UniverseEntry, full: boolean): ProfileDiff {
  const desired = desiredAttributes(spec, entry);
  const changes: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired)) if (full || entry.pushed[k] !== v) changes[k] = v;
  const entries: string[] = [];
  const exits: string[] = [];
  for (const s of spec.segments) {
    const attr = segmentAttribute(s.key);
    const before = entry.pushed[attr];
    const now = desired[attr];
    if (now === TRUE && before !== TRUE) entries.push(s.key);
    // Unknown (an unconfirmed batch) or "true" before, "false" now: an exit.
    else if (now === FALSE && before !== undefined && before !== FALSE) exits.push(s.key);
  }
  const writeback: Record<string, string> = {};
  for (const h of spec.holdouts) {
    if (!h.writeback) continue;
    const v = desired[holdoutAttribute(h.key)];
    const attr = holdoutWritebackAttribute(h.key);
    if (v !== undefined && entry.written[attr] !== v) writeback[attr] = v;
  }
  return { desired, changes, entries, exits, writeback };
}
