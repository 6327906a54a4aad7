// Safety guards on a plan: what apply refuses without --force (mass changes, destructive replaces,
// breaking or reordering live activities, a suspiciously empty platform read). Pure.
import { holdoutAttribute } from '../model/attributes.js';
import { normalizeInstant } from './canonicalize.js';
import { DERIVED_SEPARATOR, FALLBACK_AUDIENCE } from './compile.js';
import { PLATFORMS, PLATFORM_TITLES, addressOf, type Attrs, type JsonValue, type Plan, type PlatformName, type Resource } from './types.js';

export type GuardName =
  | 'mass_update'
  | 'mass_delete'
  | 'destructive'
  | 'live_dependency'
  | 'live_precedence'
  | 'live_holdout'
  | 'empty_read';

export interface Refusal {
  guard: GuardName;
  /** The change (or platform, for empty_read) the refusal is about. */
  address?: string;
  platform?: PlatformName;
  /** What would happen, with the numbers. */
  message: string;
  /** What to do about it. */
  hint: string;
}

export interface GuardOptions {
  force: boolean;
  /** "Now" for live-ness (approved and within its schedule). Default: the current time. */
  now?: Date;
  /** The compiled desired state, for the empty-read guard (references it expects to find). */
  desired?: Resource[];
  /** Platforms that were read; default: every platform the plan or `desired` touches. */
  readPlatforms?: PlatformName[];
  /**
   * Outside evidence that a platform holds objects of ours (the last drift run's history, a saved
   * plan made against a non-empty read): managed object count and where the number comes from.
   * A fresh read that finds none of ours where the evidence counted some is refused.
   */
  evidence?: Partial<Record<PlatformName, { count: number; source: string }>>;
  /** Share of one kind's managed objects an apply may update or delete (default 0.3). */
  threshold?: number;
  /** The share guard applies from this many managed objects of a kind (default 10). */
  minExisting?: number;
}

export interface GuardResult {
  /** True when apply may go on: nothing tripped, or --force overrides every refusal. */
  ok: boolean;
  /** Refusals in effect (empty with --force). */
  refusals: Refusal[];
  /** Refusals --force overrode (to print as warnings). */
  overridden: Refusal[];
}

export const DEFAULT_THRESHOLD = 0.3;
export const DEFAULT_MIN_EXISTING = 10;

const FORCE_HINT = 'Review the plan; if it is what you want, run apply again with --force.';

export function checkGuards(plan: Plan, existing: Resource[], opts: GuardOptions): GuardResult {
  const now = (opts.now ?? new Date()).getTime();
  const refusals: Refusal[] = [
    ...massChange(plan, existing, opts.threshold ?? DEFAULT_THRESHOLD, opts.minExisting ?? DEFAULT_MIN_EXISTING),
    ...destructive(plan),
    ...liveActivities(plan, existing, now),
    ...emptyRead(plan, existing, opts),
  ];
  return opts.force
    ? { ok: true, refusals: [], overridden: refusals }
    : { ok: refusals.length === 0, refusals, overridden: [] };
}

/** Approved and within its schedule at `now` (ms). */
export function isLive(activity: Resource | Attrs, now: number): boolean {
  const attrs = 'attrs' in activity && typeof activity.attrs === 'object' ? (activity as Resource).attrs : (activity as Attrs);
  if (attrs.state !== 'approved') return false;
  const start = normalizeInstant(attrs.startsAt);
  const end = normalizeInstant(attrs.endsAt);
  if (start && Date.parse(start) > now) return false;
  if (end && Date.parse(end) <= now) return false;
  return true;
}

function massChange(plan: Plan, existing: Resource[], threshold: number, min: number): Refusal[] {
  const out: Refusal[] = [];
  const groups = new Map<string, Resource[]>();
  for (const r of existing) {
    if (!r.owned || !r.managed) continue;
    const g = `${r.platform}.${r.kind}`;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  for (const [g, members] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const n = members.length;
    if (n < min) continue;
    const [platform, kind] = g.split('.') as [PlatformName, string];
    const ofKind = plan.changes.filter((c) => c.platform === platform && c.kind === kind);
    const checks: Array<[GuardName, string, number]> = [
      ['mass_update', 'updates', ofKind.filter((c) => c.action === 'update' || c.action === 'replace').length],
      ['mass_delete', 'deletes', ofKind.filter((c) => c.action === 'delete').length],
    ];
    for (const [guard, word, count] of checks) {
      if (count / n <= threshold) continue;
      out.push({
        guard,
        platform,
        address: g,
        message:
          `Too many ${word} of ${PLATFORM_TITLES[platform]} ${kind}s: ${count} of ${n} managed ` +
          `(${pct(count / n)}) is over ${pct(threshold)}.`,
        hint:
          word === 'deletes'
            ? 'A wrong config or workspace can look like mass deletion; check the plan, then run apply with --force if intended.'
            : FORCE_HINT,
      });
    }
  }
  return out;
}

function destructive(plan: Plan): Refusal[] {
  return plan.changes
    .filter((c) => c.destructive)
    .map((c) => ({
      guard: 'destructive' as const,
      address: c.address,
      platform: c.platform,
      message: `${c.action === 'replace' ? 'Replacing' : 'Deleting'} ${c.address} loses data: ${c.reason ?? 'it cannot be undone'}.`,
      hint:
        c.action === 'replace'
          ? 'Revert the name/description change to keep the segment, or run apply with --force and let sync refill the membership.'
          : FORCE_HINT,
    }));
}

function liveActivities(plan: Plan, existing: Resource[], now: number): Refusal[] {
  const out: Refusal[] = [];
  const changeOf = new Map(plan.changes.map((c) => [c.address, c]));
  const audiences = new Map(
    existing.filter((r) => r.platform === 'adobe_target' && r.kind === 'audience').map((r) => [r.address, r]),
  );
  const live = existing.filter((r) => r.platform === 'adobe_target' && r.kind === 'activity' && isLive(r, now));

  const deletes = plan.changes.filter((c) => c.action === 'delete' && (c.kind === 'audience' || c.kind === 'offer'));
  for (const act of live) {
    const change = changeOf.get(act.address);
    const refsAfter = change ? (change.after ? activityRefs(change.after) : []) : (act.refs ?? []);

    // Deleting an audience or offer this live activity still uses after the plan.
    for (const c of deletes) {
      if (!(act.refs ?? []).includes(c.address) || !refsAfter.includes(c.address)) continue;
      out.push({
        guard: 'live_dependency',
        address: c.address,
        platform: c.platform,
        message: `Deleting ${c.address} would break live activity ${describe(act)}, which still uses it.`,
        hint: `Remove it from that activity (or deactivate the activity) first, then delete it; --force deletes it anyway.`,
      });
    }

    if (!change || (change.action !== 'update' && change.action !== 'replace') || !change.before || !change.after) continue;

    // Reordering precedence: experiences in another relative order, or another priority.
    const orderBefore = experienceOrder(change.before);
    const orderAfter = experienceOrder(change.after);
    const common = orderBefore.filter((a) => orderAfter.includes(a));
    const reordered = common.join('\0') !== orderAfter.filter((a) => common.includes(a)).join('\0');
    const priorityChanged = Number(change.before.priority) !== Number(change.after.priority);
    if (reordered || priorityChanged) {
      out.push({
        guard: 'live_precedence',
        address: act.address,
        platform: 'adobe_target',
        message:
          `Live activity ${describe(act)} would change who wins: ` +
          [
            reordered ? `experience order ${orderBefore.join(' > ')} becomes ${orderAfter.join(' > ')}` : '',
            priorityChanged ? `priority ${String(change.before.priority)} becomes ${String(change.after.priority)}` : '',
          ]
            .filter(Boolean)
            .join('; ') +
          '.',
        hint: 'Visitors already in the activity may switch experience. Deactivate it or schedule the change, or run apply with --force.',
      });
    }
  }

  // Changing the holdout of a live activity (it lives in the rules of the activity's audiences).
  for (const act of live) {
    const change = changeOf.get(act.address);
    if (change && !change.after) continue; // deleted: nothing left to hold out
    const refsAfter = change?.after ? activityRefs(change.after) : (act.refs ?? []);
    const before = holdoutsOf((act.refs ?? []).map((a) => audiences.get(a)?.attrs.targetRule));
    const after = holdoutsOf(
      refsAfter.map((a) => {
        const c = changeOf.get(a);
        if (c) return c.after?.targetRule;
        return audiences.get(a)?.attrs.targetRule;
      }),
    );
    if (before.join(',') === after.join(',')) continue;
    out.push({
      guard: 'live_holdout',
      address: act.address,
      platform: 'adobe_target',
      message:
        `Live activity ${describe(act)} would change its holdout from ${before.join(', ') || 'none'} to ` +
        `${after.join(', ') || 'none'}, mixing control and treatment visitors mid-test.`,
      hint: 'Start a new activity for the new holdout, or run apply with --force.',
    });
  }
  return out;
}

/** Objects of this workspace the tool manages, per platform read: the empty-read guard's evidence for a later apply. */
export function countManaged(existing: readonly Resource[], platforms: readonly PlatformName[]): Partial<Record<PlatformName, number>> {
  const out: Partial<Record<PlatformName, number>> = {};
  for (const p of platforms) out[p] = existing.filter((r) => r.platform === p && r.owned && r.managed).length;
  return out;
}

/**
 * Refuses when a platform read looks like the wrong account: the plan would create managed
 * objects there, and either the read came back with nothing at all although the config references
 * objects that must exist (data-driven segments), or it found none of this workspace's objects
 * although outside evidence (a saved plan, the last drift run) counted some.
 */
function emptyRead(plan: Plan, existing: Resource[], opts: GuardOptions): Refusal[] {
  const out: Refusal[] = [];
  const touched = new Set([...(opts.desired ?? []).map((r) => r.platform), ...plan.changes.map((c) => c.platform)]);
  const platforms = opts.readPlatforms ?? PLATFORMS.filter((p) => touched.has(p));
  for (const p of platforms) {
    const managed = opts.desired
      ? opts.desired.filter((r) => r.platform === p && r.managed).length
      : plan.changes.filter((c) => c.platform === p && c.action === 'create').length;
    if (managed === 0) continue;
    const anything = existing.some((r) => r.platform === p);
    const ours = countManaged(existing, [p])[p] ?? 0;
    const evidence: string[] = [];
    const references = opts.desired
      ? opts.desired.filter((r) => r.platform === p && !r.managed).length
      : plan.changes.filter((c) => c.platform === p && c.action === 'manual' && c.before === null).length;
    if (!anything && references > 0) {
      evidence.push(`the config references ${references} object(s) that must already exist there (data-driven segments)`);
    }
    const prior = opts.evidence?.[p];
    if (ours === 0 && prior && prior.count > 0) evidence.push(`${prior.source} counted ${prior.count} managed object(s) there`);
    if (evidence.length === 0) continue;
    out.push({
      guard: 'empty_read',
      platform: p,
      address: p,
      message:
        `The ${PLATFORM_TITLES[p]} read returned ${anything ? 'no object of this workspace' : 'no objects at all'}, yet ${evidence.join(' and ')}; ` +
        `the plan would create all ${managed} managed object(s) again.`,
      hint:
        'This usually means wrong credentials, region, tenant or workspace (a read that sees an empty account). ' +
        'Check the provider settings; if the account really is empty, run apply with --force.',
    });
  }
  return out;
}

/** Audience and offer addresses an activity's attrs reference. */
export function activityRefs(attrs: Attrs): string[] {
  const out: string[] = [];
  for (const e of (attrs.experiences as Attrs[] | undefined) ?? []) {
    if (e.audience) for (const k of String(e.audience).split(',')) out.push(addressOf('adobe_target', 'audience', k));
    if (e.offer) out.push(addressOf('adobe_target', 'offer', String(e.offer)));
  }
  return [...new Set(out)].sort();
}

/** The declared audiences of an activity's experiences, in serving order (fallback as "everyone else"). */
function experienceOrder(attrs: Attrs): string[] {
  return ((attrs.experiences as Attrs[] | undefined) ?? []).map((e) => {
    if (e.audience == null) return 'everyone else';
    const key = String(e.audience);
    const i = key.indexOf(DERIVED_SEPARATOR);
    const base = i >= 0 ? key.slice(i + 1) : key;
    return base === FALLBACK_AUDIENCE ? 'everyone else' : base;
  });
}

/** Holdout keys excluded (`holdout_<k> equals ["false"]`) anywhere in these rules, sorted. */
function holdoutsOf(rules: Array<JsonValue | undefined>): string[] {
  const prefix = holdoutAttribute('');
  const found = new Set<string>();
  const visit = (n: JsonValue | undefined): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (n === null || typeof n !== 'object') return;
    if (typeof n.profile === 'string' && n.profile.startsWith(prefix)) found.add(n.profile.slice(prefix.length));
    for (const [k, v] of Object.entries(n)) if (k === 'and' || k === 'or' || k === 'not') visit(v);
  };
  rules.forEach(visit);
  return [...found].sort();
}

function describe(r: Resource): string {
  return `${r.address}${r.id !== undefined ? ` (Target id ${r.id})` : ''}`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x * 100 === Math.round(x * 100) ? 0 : 1)}%`;
}

