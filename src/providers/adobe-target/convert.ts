// Pure conversion between Adobe Target Admin API JSON (audiences v3, content offers v2, ab/xt
// activities v3) and canonical Resources. No I/O: the client fetches, this file only translates.
import { canonicalize } from '../../plan/canonicalize.js';
import {
  formatThirdPartyId,
  parseMarker,
  parseThirdPartyId,
  stripHtmlMarker,
  stripMarker,
  withHtmlMarker,
  withMarker,
} from '../../plan/marker.js';
import { PRIMARY_METRIC_ID } from '../../plan/compile.js';
import { addressOf, type Attrs, type JsonValue, type Resource } from '../../plan/types.js';

// ---- Platform shapes (the fields we read or write; unknown fields are ignored) -------------------

export interface TargetAudience {
  id?: number;
  name?: string;
  description?: string;
  origin?: string;
  targetRule?: JsonValue;
  audienceRule?: JsonValue;
  status?: string;
  type?: string;
  modifiedAt?: string;
  createdAt?: string;
  workspace?: string;
}

export interface TargetContentOffer {
  id?: number;
  name?: string;
  content?: string;
  /** In list items: content | json | recs. */
  type?: string;
  workspace?: string;
  modifiedAt?: string;
}

export interface TargetOption {
  optionLocalId: number;
  name?: string;
  offerId?: number;
  offerTemplates?: unknown;
}

export interface TargetExperience {
  experienceLocalId: number;
  name?: string;
  audienceIds?: number[];
  visitorPercentage?: number | string;
  optionLocations?: Array<{ locationLocalId: number; optionLocalId: number }>;
}

export interface TargetMetric {
  metricLocalId: number;
  name?: string;
  conversion?: boolean;
  engagement?: string;
  action?: { type: string; [k: string]: JsonValue };
  mboxes?: Array<{ name: string; successEvent: string; audienceIds?: number[] }>;
}

export interface TargetActivity {
  id?: number;
  thirdPartyId?: string;
  name?: string;
  type?: string;
  state?: string;
  priority?: number | string;
  startsAt?: string;
  endsAt?: string;
  options?: TargetOption[];
  locations?: { mboxes?: Array<{ locationLocalId: number; name: string; audienceIds?: number[] }>; selectors?: unknown[] };
  experiences?: TargetExperience[];
  metrics?: TargetMetric[];
  workspace?: string;
  propertyIds?: number[];
  modifiedAt?: string;
  createdAt?: string;
}

/** Server ids → YAML keys of the existing audiences and offers, so activities compare by key. */
export interface KeyIndex {
  audienceKeyById: Map<string, string>;
  offerKeyById: Map<string, string>;
}

/** YAML keys → server ids, to write activity bodies (ids of objects created earlier in the apply). */
export interface IdIndex {
  audienceId(key: string): number | undefined;
  offerId(key: string): number | undefined;
}

export class UnresolvedReferenceError extends Error {}

// ---- Platform → Resource ---------------------------------------------------------------------------

/** An audience as a Resource; undefined for deleted audiences. */
export function fromTargetAudience(json: TargetAudience, workspace: string): Resource | undefined {
  if (json.status === 'deleted') return undefined;
  const marker = parseMarker(json.description);
  const owned = marker?.workspace === workspace;
  const key = owned ? marker!.key : `#${json.id ?? ''}`;
  return canonicalize({
    platform: 'adobe_target',
    kind: 'audience',
    key,
    address: addressOf('adobe_target', 'audience', key),
    id: json.id,
    attrs: {
      name: json.name ?? '',
      description: stripMarker(json.description),
      targetRule: json.targetRule ?? null,
    },
    managed: owned,
    owned,
    meta: clean({
      owner: marker?.workspace,
      origin: json.origin,
      modifiedAt: json.modifiedAt,
      audienceRule: json.audienceRule,
      // A list item carries no targetRule: the provider must read the audience itself to compare.
      partial: json.targetRule === undefined && json.audienceRule === undefined ? true : undefined,
    }),
  });
}

/** A content offer as a Resource; undefined for json/recs offers (not managed by this tool). */
export function fromTargetOffer(json: TargetContentOffer, workspace: string): Resource | undefined {
  if (json.type !== undefined && json.type !== 'content') return undefined;
  const marker = parseMarker(json.content);
  const owned = marker?.workspace === workspace;
  const key = owned ? marker!.key : `#${json.id ?? ''}`;
  return canonicalize({
    platform: 'adobe_target',
    kind: 'offer',
    key,
    address: addressOf('adobe_target', 'offer', key),
    id: json.id,
    attrs: { name: json.name ?? '', content: stripHtmlMarker(json.content) },
    managed: owned,
    owned,
    meta: clean({
      owner: marker?.workspace,
      modifiedAt: json.modifiedAt,
      partial: json.content === undefined ? true : undefined,
    }),
  });
}

/**
 * An ab/xt activity as a Resource, with audience and offer ids resolved to keys (`#<id>` when the
 * object is not ours). `type` is needed when the body does not carry it (GET /activities/xt/{id}).
 * Deleted activities and other types (abt, mvt, recs…) yield undefined.
 */
export function fromTargetActivity(
  json: TargetActivity,
  workspace: string,
  index: KeyIndex,
  type?: 'ab' | 'xt',
): Resource | undefined {
  const t = (json.type ?? type) as string | undefined;
  if (json.state === 'deleted' || (t !== 'ab' && t !== 'xt')) return undefined;
  const marker = parseThirdPartyId(json.thirdPartyId);
  const owned = marker?.workspace === workspace;
  const key = owned ? marker!.key : `#${json.id ?? ''}`;
  const audienceKey = (id: number) => index.audienceKeyById.get(String(id)) ?? `#${id}`;
  const offerKey = (id: number | undefined) => (id === undefined ? null : (index.offerKeyById.get(String(id)) ?? `#${id}`));

  const mboxes = [...(json.locations?.mboxes ?? [])].sort((a, b) => a.locationLocalId - b.locationLocalId);
  const offerByOption = new Map((json.options ?? []).map((o) => [o.optionLocalId, o.offerId]));
  // An A/B activity has one entry audience, on its location; every experience serves it.
  const entryIds = t === 'ab' ? (mboxes[0]?.audienceIds ?? []) : [];
  const experiences = [...(json.experiences ?? [])]
    .sort((a, b) => a.experienceLocalId - b.experienceLocalId)
    .map((e) => {
      const ids = e.audienceIds?.length ? e.audienceIds : entryIds;
      const option = (e.optionLocations ?? [])[0]?.optionLocalId;
      const x: Attrs = {
        name: e.name ?? '',
        audience: ids.length === 0 ? null : ids.map(audienceKey).sort().join(','),
        offer: offerKey(option === undefined ? undefined : offerByOption.get(option)),
      };
      if (t === 'ab') x.visitorPercentage = e.visitorPercentage === undefined ? null : Number(e.visitorPercentage);
      return x;
    });
  const metrics = (json.metrics ?? [])
    .slice()
    .sort((a, b) => b.metricLocalId - a.metricLocalId)
    .map((m) => ({
      name: m.name ?? '',
      conversion: m.conversion ?? false,
      action: (m.action ?? null) as JsonValue,
      mboxes: (m.mboxes ?? []).map((b) => ({ name: b.name, successEvent: b.successEvent })),
    }));
  const refs = [
    ...experiences.flatMap((e) =>
      e.audience ? String(e.audience).split(',').map((k) => addressOf('adobe_target', 'audience', k)) : [],
    ),
    ...experiences.flatMap((e) => (e.offer ? [addressOf('adobe_target', 'offer', String(e.offer))] : [])),
  ];
  return canonicalize({
    platform: 'adobe_target',
    kind: 'activity',
    key,
    address: addressOf('adobe_target', 'activity', key),
    id: json.id,
    attrs: {
      name: json.name ?? '',
      type: t,
      state: json.state ?? 'saved',
      priority: json.priority === undefined ? null : Number(json.priority),
      startsAt: json.startsAt ?? null,
      endsAt: json.endsAt ?? null,
      location: mboxes[0]?.name ?? '',
      experiences,
      metrics,
    },
    managed: owned,
    owned,
    refs: [...new Set(refs)].sort(),
    meta: clean({ owner: marker?.workspace, thirdPartyId: json.thirdPartyId, modifiedAt: json.modifiedAt }),
  });
}

/** The key index of existing audiences and offers, built before converting activities. */
export function keyIndex(resources: Resource[]): KeyIndex {
  const index: KeyIndex = { audienceKeyById: new Map(), offerKeyById: new Map() };
  for (const r of resources) {
    if (r.platform !== 'adobe_target' || r.id === undefined) continue;
    if (r.kind === 'audience') index.audienceKeyById.set(String(r.id), r.key);
    if (r.kind === 'offer') index.offerKeyById.set(String(r.id), r.key);
  }
  return index;
}

// ---- Resource → request body --------------------------------------------------------------------

/** POST/PUT /target/audiences body (v3). `targetWorkspace` is Target's own workspace id, if any. */
export function toTargetAudienceBody(r: Resource, workspace: string, targetWorkspace?: string): TargetAudience {
  const body: TargetAudience = {
    name: String(r.attrs.name),
    description: withMarker(String(r.attrs.description ?? ''), workspace, r.key),
    targetRule: r.attrs.targetRule,
  };
  if (targetWorkspace) body.workspace = targetWorkspace;
  return body;
}

/** POST/PUT /target/offers/content body (v2). The marker rides in a trailing HTML comment. */
export function toTargetOfferBody(r: Resource, workspace: string, targetWorkspace?: string): TargetContentOffer {
  const body: TargetContentOffer = {
    name: String(r.attrs.name),
    content: withHtmlMarker(String(r.attrs.content ?? ''), workspace, r.key),
  };
  if (targetWorkspace) body.workspace = targetWorkspace;
  return body;
}

/**
 * POST/PUT /target/activities/{ab|xt} body (v3): one option per distinct offer (in first-use order),
 * one mbox location, experiences in precedence order with local ids 0…n, the primary metric 32767.
 * Throws UnresolvedReferenceError when an audience or offer has no id yet (its create has not run).
 */
export function toTargetActivityBody(
  r: Resource,
  workspace: string,
  ids: IdIndex,
  targetWorkspace?: string,
): TargetActivity {
  const a = r.attrs;
  const experiences = (a.experiences as Attrs[]) ?? [];
  const offerKeys = [...new Set(experiences.map((e) => String(e.offer)))];
  const need = (kind: 'audience' | 'offer', key: string): number => {
    const id = kind === 'audience' ? ids.audienceId(key) : ids.offerId(key);
    if (id === undefined) {
      throw new UnresolvedReferenceError(
        `${r.address} needs ${addressOf('adobe_target', kind, key)}, which has no Target id yet (was its create skipped or failed?)`,
      );
    }
    return id;
  };
  // XT experiences each target an audience. A/B experiences split traffic and cannot: the audience
  // every experience of an A/B activity shares (its holdout and cooldown gate) is the entry
  // audience of its location.
  const ab = a.type === 'ab';
  const shared = [...new Set(experiences.map((e) => e.audience).filter((k) => k != null).map(String))];
  if (ab && (shared.length > 1 || (shared.length === 1 && experiences.some((e) => e.audience == null)))) {
    throw new Error(`${r.address} is an A/B activity, whose experiences must all serve one audience, not ${shared.join(', ')}`);
  }
  const mbox: { locationLocalId: number; name: string; audienceIds?: number[] } = { locationLocalId: 0, name: String(a.location) };
  if (ab && shared.length === 1) mbox.audienceIds = [need('audience', shared[0]!)];
  const body: TargetActivity = {
    name: String(a.name),
    thirdPartyId: formatThirdPartyId(workspace, r.key),
    state: String(a.state),
    priority: Number(a.priority),
    options: offerKeys.map((k, i) => ({ optionLocalId: i, name: k, offerId: need('offer', k) })),
    locations: { mboxes: [mbox] },
    experiences: experiences.map((e, i) => {
      const x: TargetExperience = {
        experienceLocalId: i,
        name: String(e.name),
        audienceIds: ab || e.audience == null ? [] : [need('audience', String(e.audience))],
        optionLocations: [{ locationLocalId: 0, optionLocalId: offerKeys.indexOf(String(e.offer)) }],
      };
      if (a.type === 'ab' && e.visitorPercentage != null) x.visitorPercentage = Number(e.visitorPercentage);
      return x;
    }),
    metrics: ((a.metrics as Attrs[]) ?? []).map((m, i) => ({
      metricLocalId: PRIMARY_METRIC_ID - i,
      name: String(m.name),
      conversion: m.conversion === true,
      action: m.action as TargetMetric['action'],
      mboxes: ((m.mboxes as Attrs[]) ?? []).map((b) => ({ name: String(b.name), successEvent: String(b.successEvent) })),
    })),
  };
  if (a.startsAt) body.startsAt = String(a.startsAt);
  if (a.endsAt) body.endsAt = String(a.endsAt);
  if (targetWorkspace) body.workspace = targetWorkspace;
  return body;
}

function clean(meta: Record<string, unknown>): Record<string, JsonValue | undefined> {
  const out: Record<string, JsonValue | undefined> = {};
  for (const [k, v] of Object.entries(meta)) if (v !== undefined) out[k] = v as JsonValue;
  return out;
}
