// Compiles the normalized Config into the desired platform Resources: Customer.io segments (managed
// manual ones, read-only data-driven references), Target audiences (shared ones mirroring each
// declared audience, plus activity-specific ones carrying exclusions), offers and activities.
import type { ActivityDef, AudienceDef, Config, ExperienceDef } from '../config/types.js';
import { canonicalize } from './canonicalize.js';
import { formatThirdPartyId } from './marker.js';
import {
  and,
  conditionRule,
  outsideHoldout,
  segmentMember,
  segmentNonMember,
  type RuleNode,
} from './target-rule.js';
import { addressOf, type Attrs, type JsonValue, type ResourceKind, type Resource } from './types.js';

/** Separator of an activity-specific audience key: `<activity>/<audience>`. */
export const DERIVED_SEPARATOR = '/';
/** Audience part of the key of an activity's gated fallback ("everyone else") experience. */
export const FALLBACK_AUDIENCE = '_fallback';

/** Highest priority an auto activity gets; each precedence rank below the first costs 10. */
export const AUTO_PRIORITY_TOP = 999;
export const AUTO_PRIORITY_STEP = 10;

/** The primary metric every compiled activity reports: clicks on its own location. */
export const PRIMARY_METRIC_ID = 32767;

export function compileDesired(config: Config): Resource[] {
  const out: Resource[] = [];
  const moved = movedKeys(config);
  const prev = (kind: ResourceKind, key: string, own: string[] | undefined): string[] =>
    uniq([...(own ?? []), ...(moved.get(`${kind}:${key}`) ?? [])]).filter((k) => k !== key);

  if (config.providers.customerio) {
    for (const s of Object.values(config.segments)) {
      if (s.type === 'manual') {
        out.push(
          resource('customerio', 'segment', s.key, {
            attrs: { name: s.name, description: s.description ?? '', type: 'manual' },
            managed: true,
            previousKeys: prev('segment', s.key, s.previous_keys),
          }),
        );
      } else {
        out.push(
          resource('customerio', 'segment', s.key, {
            id: s.id,
            attrs: { name: s.name, type: 'dynamic' },
            managed: false,
            meta: { expectedId: s.id ?? null },
          }),
        );
      }
    }
  }

  if (config.providers.adobe_target) {
    for (const a of Object.values(config.audiences)) {
      out.push(
        resource('adobe_target', 'audience', a.key, {
          attrs: { name: a.name, description: a.description ?? '', targetRule: and(baseRule(a)) },
          managed: true,
          previousKeys: prev('audience', a.key, a.previous_keys),
          meta: { segment: a.segment },
        }),
      );
    }
    for (const o of Object.values(config.offers)) {
      out.push(
        resource('adobe_target', 'offer', o.key, {
          attrs: { name: o.name, content: o.content },
          managed: true,
          previousKeys: prev('offer', o.key, o.previous_keys),
        }),
      );
    }
    out.push(...compileActivities(config, prev));
  }
  return out.map(canonicalize);
}

type PrevFn = (kind: ResourceKind, key: string, own: string[] | undefined) => string[];

function compileActivities(config: Config, prev: PrevFn): Resource[] {
  const out: Resource[] = [];
  const rank = precedenceRank(config);
  const activities = Object.values(config.activities);
  const priorities = derivePriorities(activities, rank);
  const derived = new Map<string, Resource>();

  for (const act of activities) {
    const experiences = orderExperiences(act.experiences, rank);
    const cooldownSegments = Object.values(config.cooldowns)
      .filter((c) => c.suppress.includes(act.key))
      .sort((a, b) => cmpStr(a.key, b.key))
      .map((c) => c.segment);
    const gates: RuleNode[] = [
      ...(act.holdout ? [outsideHoldout(act.holdout)] : []),
      ...uniq(cooldownSegments).map(segmentNonMember),
    ];
    const beaten = activities.filter(
      (b) => b.key !== act.key && b.location === act.location && beats(act, b, priorities),
    );

    const compiled: Attrs[] = [];
    const refs: string[] = [];
    for (const exp of experiences) {
      const exclusions = precedenceExclusions(config, exp, experiences, beaten, rank);
      let audienceKey: string | null = exp.audience ?? null;
      if (gates.length > 0 || exclusions.length > 0) {
        audienceKey = `${act.key}${DERIVED_SEPARATOR}${exp.audience ?? FALLBACK_AUDIENCE}`;
        if (!derived.has(audienceKey)) {
          derived.set(audienceKey, derivedAudience(config, act, exp, audienceKey, gates, exclusions, prev));
        }
      }
      if (audienceKey) refs.push(addressOf('adobe_target', 'audience', audienceKey));
      refs.push(addressOf('adobe_target', 'offer', exp.offer));
      const e: Attrs = { name: exp.name, audience: audienceKey, offer: exp.offer };
      if (act.type === 'ab') e.visitorPercentage = exp.percent ?? null;
      compiled.push(e);
    }

    out.push(
      resource('adobe_target', 'activity', act.key, {
        attrs: {
          name: act.name,
          type: act.type,
          state: act.state,
          priority: priorities.get(act.key)!,
          startsAt: act.starts_at ?? null,
          endsAt: act.ends_at ?? null,
          location: act.location,
          experiences: compiled,
          metrics: [defaultMetric(act.location)],
        },
        managed: true,
        previousKeys: prev('activity', act.key, act.previous_keys),
        refs: uniq(refs).sort(cmpStr),
        meta: {
          thirdPartyId: formatThirdPartyId(config.workspace, act.key),
          holdout: act.holdout ?? null,
          precedence: experiences.map((e) => e.audience ?? null),
        },
      }),
    );
  }
  // Derived audiences sort by key, so output order never depends on which activity came first.
  const list = [...derived.values()].sort((a, b) => cmpStr(a.key, b.key));
  // Target names should be unique and at most 250 characters: disambiguate with the key if needed.
  const taken = new Set(Object.values(config.audiences).map((a) => a.name));
  const seen = new Map<string, number>();
  for (const r of list) seen.set(String(r.attrs.name), (seen.get(String(r.attrs.name)) ?? 0) + 1);
  for (const r of list) {
    let name = String(r.attrs.name);
    if (taken.has(name) || (seen.get(name) ?? 0) > 1) name = `${name} [${r.key}]`;
    if (name.length > MAX_NAME) name = `${name.slice(0, MAX_NAME - 1)}…`;
    r.attrs.name = name;
  }
  return [...list, ...out];
}

/** Target's limit on audience and activity names. */
export const MAX_NAME = 250;

/** The rule of a declared audience: segment membership plus its `where` conditions. */
export function baseRule(a: AudienceDef): RuleNode[] {
  return [segmentMember(a.segment), ...a.where.map(conditionRule)];
}

/** The negation of a declared audience: `seg_x equals false`, or `not` of its rule when it has conditions. */
export function exclusionRule(a: AudienceDef): RuleNode {
  if (a.where.length === 0) return segmentNonMember(a.segment);
  return { not: and(baseRule(a)) };
}

function derivedAudience(
  config: Config,
  act: ActivityDef,
  exp: ExperienceDef,
  key: string,
  gates: RuleNode[],
  exclusions: RuleNode[],
  prev: PrevFn,
): Resource {
  const base = exp.audience ? config.audiences[exp.audience] : undefined;
  const label = base ? base.name : exp.name;
  const actKeys = [act.key, ...prev('activity', act.key, act.previous_keys)];
  const audKey = exp.audience ?? FALLBACK_AUDIENCE;
  const audKeys = base ? [audKey, ...prev('audience', audKey, base.previous_keys)] : [audKey];
  const previousKeys = actKeys
    .flatMap((ak) => audKeys.map((bk) => `${ak}${DERIVED_SEPARATOR}${bk}`))
    .filter((k) => k !== key);
  return resource('adobe_target', 'audience', key, {
    attrs: {
      name: `${act.name}: ${label}`,
      description: `Compiled for activity ${act.key}${base ? ` from audience ${base.key}` : ' (everyone else)'}, with its exclusions.`,
      targetRule: and([...(base ? baseRule(base) : []), ...gates, ...exclusions]),
    },
    managed: true,
    previousKeys,
    meta: { activity: act.key, audience: exp.audience ?? null, derived: true },
  });
}

/**
 * Audiences an experience must exclude so the declared winner wins on a shared location: those of
 * activities this one beats on priority that come earlier in precedence (all of them for the
 * fallback experience, which would otherwise catch everybody), unless an earlier experience of the
 * same activity already serves them.
 */
function precedenceExclusions(
  config: Config,
  exp: ExperienceDef,
  own: ExperienceDef[],
  beaten: ActivityDef[],
  rank: (audience: string | undefined) => number,
): RuleNode[] {
  const mine = rank(exp.audience);
  const ownEarlier = new Set(own.slice(0, own.indexOf(exp)).map((e) => e.audience));
  const keys = new Set<string>();
  for (const b of beaten) {
    for (const e of b.experiences) {
      if (!e.audience || e.audience === exp.audience || ownEarlier.has(e.audience)) continue;
      if (exp.audience === undefined || rank(e.audience) < mine) keys.add(e.audience);
    }
  }
  return [...keys]
    .filter((k) => config.audiences[k])
    .sort((a, b) => rank(a) - rank(b) || cmpStr(a, b))
    .map((k) => exclusionRule(config.audiences[k]));
}

function precedenceRank(config: Config): (audience: string | undefined) => number {
  const index = new Map(config.precedence.map((k, i) => [k, i]));
  const declared = new Map(Object.keys(config.audiences).map((k, i) => [k, i]));
  const last = config.precedence.length;
  return (audience) => {
    if (audience === undefined) return Number.POSITIVE_INFINITY;
    // Audiences missing from precedence rank after all listed ones, in declaration order.
    return index.get(audience) ?? last + (declared.get(audience) ?? 0) / 1000;
  };
}

/** Experiences in precedence order (stable); the fallback (no audience) last. */
function orderExperiences(experiences: ExperienceDef[], rank: (a: string | undefined) => number): ExperienceDef[] {
  return experiences
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e.audience) - rank(b.e.audience) || a.i - b.i)
    .map((x) => x.e);
}

/**
 * Priority of each activity: pinned numbers as written; `auto` = 999 − 10 × (precedence rank of its
 * best audience) − (its position among auto activities of the same location with the same rank, by
 * key). Global ranks keep priorities stable when activities elsewhere change.
 */
export function derivePriorities(
  activities: ActivityDef[],
  rank: (audience: string | undefined) => number,
): Map<string, number> {
  const out = new Map<string, number>();
  const best = (a: ActivityDef): number => {
    const r = Math.min(...a.experiences.map((e) => rank(e.audience)));
    return Number.isFinite(r) ? Math.floor(r) : 99;
  };
  const ties = new Map<string, string[]>();
  for (const a of activities) {
    if (a.priority !== 'auto') continue;
    const group = `${a.location}\0${best(a)}`;
    ties.set(group, [...(ties.get(group) ?? []), a.key]);
  }
  for (const a of activities) {
    if (a.priority !== 'auto') {
      out.set(a.key, a.priority);
      continue;
    }
    const group = ties.get(`${a.location}\0${best(a)}`)!.sort(cmpStr);
    const p = AUTO_PRIORITY_TOP - AUTO_PRIORITY_STEP * best(a) - group.indexOf(a.key);
    out.set(a.key, Math.max(0, Math.min(999, p)));
  }
  return out;
}

/** Whether `a` is served before `b` on a shared location: higher priority, ties broken by key. */
function beats(a: ActivityDef, b: ActivityDef, priorities: Map<string, number>): boolean {
  const pa = priorities.get(a.key)!;
  const pb = priorities.get(b.key)!;
  return pa > pb || (pa === pb && a.key < b.key);
}

export function defaultMetric(location: string): Attrs {
  return {
    name: 'primary',
    conversion: true,
    action: { type: 'count_once' },
    mboxes: [{ name: location, successEvent: 'mbox_clicked' }],
  };
}

/** `moved:` entries (`offers.old` → `offers.new`) as previous keys per `kind:newKey`. */
function movedKeys(config: Config): Map<string, string[]> {
  const kinds: Record<string, ResourceKind> = {
    segments: 'segment',
    audiences: 'audience',
    offers: 'offer',
    activities: 'activity',
  };
  const out = new Map<string, string[]>();
  for (const m of config.moved ?? []) {
    const [fromSection, ...fromRest] = m.from.split('.');
    const [toSection, ...toRest] = m.to.split('.');
    const kind = kinds[toSection];
    if (!kind || kinds[fromSection] !== kind) continue;
    const id = `${kind}:${toRest.join('.')}`;
    out.set(id, [...(out.get(id) ?? []), fromRest.join('.')]);
  }
  return out;
}

function resource(
  platform: Resource['platform'],
  kind: ResourceKind,
  key: string,
  fields: {
    id?: number;
    attrs: Attrs;
    managed: boolean;
    previousKeys?: string[];
    refs?: string[];
    meta?: Record<string, JsonValue | undefined>;
  },
): Resource {
  const r: Resource = {
    platform,
    kind,
    key,
    address: addressOf(platform, kind, key),
    attrs: fields.attrs,
    managed: fields.managed,
    owned: true,
    meta: fields.meta ?? {},
  };
  if (fields.id !== undefined) r.id = fields.id;
  if (fields.previousKeys && fields.previousKeys.length > 0) r.previousKeys = fields.previousKeys;
  if (fields.refs) r.refs = fields.refs;
  return r;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
