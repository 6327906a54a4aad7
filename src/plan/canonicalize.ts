// Canonical form of a Resource's attrs, applied to both sides before comparing, so that platform
// echoes (ids, timestamps, numbers as strings, reordered sets, HTML whitespace) never show as diffs.
import type { Attrs, JsonValue, Resource } from './types.js';

/**
 * Canonical attrs per kind (every other field is dropped):
 * - segment  manual:  { name, description, type: "manual" }
 *            dynamic: { name, type: "dynamic" }   (a read-only reference; description is not ours)
 * - audience { name, description, targetRule }
 * - offer    { name, content }
 * - activity { name, type, state, priority, startsAt, endsAt, location, experiences[], metrics[] }
 *            experiences[] = { name, audience (key|null), offer (key), visitorPercentage (ab only) }
 *            metrics[]     = { name, conversion, action, mboxes[{ name, successEvent }] }
 */
export function canonicalize(resource: Resource): Resource {
  return { ...resource, attrs: canonicalAttrs(resource.kind, resource.attrs) };
}

export function canonicalAttrs(kind: Resource['kind'], attrs: Attrs): Attrs {
  switch (kind) {
    case 'segment':
      return canonicalSegment(attrs);
    case 'audience':
      return {
        description: text(attrs.description),
        name: text(attrs.name),
        targetRule: attrs.targetRule == null ? null : canonicalRule(attrs.targetRule),
      };
    case 'offer':
      return { content: normalizeHtml(text(attrs.content)), name: text(attrs.name) };
    case 'activity':
      return canonicalActivity(attrs);
  }
}

function canonicalSegment(attrs: Attrs): Attrs {
  const type = attrs.type === 'manual' ? 'manual' : 'dynamic';
  if (type === 'dynamic') return { name: text(attrs.name), type };
  return { description: text(attrs.description), name: text(attrs.name), type };
}

function canonicalActivity(attrs: Attrs): Attrs {
  const type = attrs.type === 'ab' ? 'ab' : 'xt';
  const experiences = asArray(attrs.experiences).map((e) => {
    const x = asObject(e);
    const out: Attrs = {
      audience: x.audience == null || x.audience === '' ? null : String(x.audience),
      name: text(x.name),
      offer: x.offer == null ? null : String(x.offer),
    };
    if (type === 'ab') out.visitorPercentage = num(x.visitorPercentage);
    return out;
  });
  const metrics = asArray(attrs.metrics).map((m) => {
    const x = asObject(m);
    const mboxes = asArray(x.mboxes)
      .map((b) => {
        const y = asObject(b);
        return { name: text(y.name), successEvent: text(y.successEvent) };
      })
      .sort((a, b) => cmp(a.name + '\0' + a.successEvent, b.name + '\0' + b.successEvent));
    return sortKeys({
      action: x.action == null ? null : sortKeys(x.action),
      conversion: x.conversion === true || x.conversion === 'true',
      mboxes,
      name: text(x.name),
    });
  });
  return sortKeys({
    endsAt: normalizeInstant(attrs.endsAt),
    experiences,
    location: text(attrs.location),
    metrics,
    name: text(attrs.name),
    priority: num(attrs.priority) ?? 5,
    startsAt: normalizeInstant(attrs.startsAt),
    state: text(attrs.state) || 'saved',
    type,
  }) as Attrs;
}

/**
 * A targetRule in canonical form: leaf values as strings, sorted and de-duplicated (several values
 * are an OR, so their order carries no meaning); the dimension key first. Boolean nodes keep their
 * children's order (compiled rules are deterministic; a reordered rule is a real edit).
 */
export function canonicalRule(node: JsonValue): JsonValue {
  if (Array.isArray(node)) return node.map(canonicalRule);
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: JsonValue } = {};
  // The dimension (profile, geo, …) first, then the evaluator: reads as `profile X equals […]`.
  const keys = Object.keys(node).sort((a, b) => Number(!DIMENSIONS.has(a)) - Number(!DIMENSIONS.has(b)) || cmp(a, b));
  for (const k of keys) {
    const v = node[k];
    if (k === 'and' || k === 'or') out[k] = asArray(v).map(canonicalRule);
    // `not` holds one rule, as an object or a one-element list: both read the same.
    else if (k === 'not') out[k] = canonicalRule(Array.isArray(v) && v.length === 1 ? v[0] : v);
    else if (Array.isArray(v)) out[k] = [...new Set(v.map((x) => (x === null ? '' : String(x))))].sort(cmp);
    else out[k] = v === null ? null : typeof v === 'object' ? canonicalRule(v) : String(v);
  }
  return out;
}

const DIMENSIONS = new Set(['profile', 'geo', 'page', 'mbox', 'browser', 'custom', 'user', 'mobile', 'operatingSystem']);

/** HTML as compared: LF line ends, no trailing spaces per line, no leading/trailing blank space. */
export function normalizeHtml(html: string): string {
  return html
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .trim();
}

/**
 * An instant as `YYYY-MM-DDTHH:mm:ssZ` (UTC, no millis), or null. Forms without an offset are read as
 * UTC (Target's date-only and `…'T'HH` forms included), so the result never depends on the host's zone.
 */
export function normalizeInstant(value: JsonValue | undefined): string | null {
  if (value == null || value === '') return null;
  let s = String(value).trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(s)) s += ':00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += 'Z';
  const t = Date.parse(s);
  if (Number.isNaN(t)) return String(value);
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Deep copy with object keys sorted (arrays keep their order). */
export function sortKeys<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: { [k: string]: JsonValue } = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as { [k: string]: JsonValue })[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out as T;
}

/** JSON with sorted keys and no undefined: the byte form checksums are computed over. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null)) as JsonValue));
}

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!jsonEqual(a[k], b[k])) return false;
  return true;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function text(v: JsonValue | undefined): string {
  return v == null ? '' : String(v).trim();
}

function num(v: JsonValue | undefined): number | null {
  if (v == null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function asArray(v: JsonValue | undefined): JsonValue[] {
  return Array.isArray(v) ? v : [];
}

function asObject(v: JsonValue | undefined): { [k: string]: JsonValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}
