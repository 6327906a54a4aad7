// Pure: what the contract says a profile should see at a location, given its Target profile
// attributes: the highest-priority approved activity there whose first matching experience (in
// precedence order) applies, skipping activities the profile is held out of or cooled down from.
import type { ActivityDef, Condition, Config, ExperienceDef } from '../config/types.js';
import { TRUE, fieldAttribute, holdoutAttribute, segmentAttribute } from '../model/attributes.js';
import { derivePriorities } from '../plan/compile.js';

export interface ExpectedExperience {
  activity: string;
  experience: string;
  offer: string;
  /** The offer's HTML as the contract declares it (what Delivery should serve). */
  content: string;
}

export type ProfileAttributes = Record<string, string | undefined>;

/** The experience the contract promises, or undefined for "no activity: the page's default content". */
export function expectedExperience(
  config: Pick<Config, 'activities' | 'audiences' | 'precedence' | 'cooldowns' | 'offers'>,
  location: string,
  attrs: ProfileAttributes,
): ExpectedExperience | undefined {
  const rank = precedenceRank(config);
  const activities = Object.values(config.activities);
  const priorities = derivePriorities(activities, rank);
  const here = activities
    .filter((a) => a.location === location && a.state === 'approved')
    .sort((a, b) => (priorities.get(b.key) ?? 0) - (priorities.get(a.key) ?? 0) || a.key.localeCompare(b.key));
  for (const act of here) {
    if (act.holdout && attrs[holdoutAttribute(act.holdout)] === TRUE) continue;
    if (cooledDown(config, act, attrs)) continue;
    for (const exp of orderExperiences(act.experiences, rank)) {
      if (!experienceApplies(config, exp, attrs)) continue;
      const offer = config.offers[exp.offer];
      return { activity: act.key, experience: exp.name, offer: exp.offer, content: offer?.content ?? '' };
    }
  }
  return undefined;
}

function cooledDown(config: Pick<Config, 'cooldowns'>, act: ActivityDef, attrs: ProfileAttributes): boolean {
  return Object.values(config.cooldowns).some((c) => c.suppress.includes(act.key) && attrs[segmentAttribute(c.segment)] === TRUE);
}

function experienceApplies(config: Pick<Config, 'audiences'>, exp: ExperienceDef, attrs: ProfileAttributes): boolean {
  if (!exp.audience) return true;
  const aud = config.audiences[exp.audience];
  if (!aud) return false;
  if (attrs[segmentAttribute(aud.segment)] !== TRUE) return false;
  return aud.where.every((c) => conditionHolds(c, attrs[fieldAttribute(c.field)]));
}

/** A `where` condition on a profile value (strings, as Target stores them). An absent value never matches (so `ne` does). */
export function conditionHolds(c: Condition, value: string | undefined): boolean {
  const values = (Array.isArray(c.value) ? c.value : [c.value]).map(String);
  const eq = () => value !== undefined && values.some((v) => sameValue(v, value));
  switch (c.op) {
    case 'eq':
    case 'in':
      return eq();
    case 'ne':
      return !eq();
    case 'contains':
      return value !== undefined && values.some((v) => value.toLowerCase().includes(v.toLowerCase()));
    default: {
      if (value === undefined) return false;
      const x = Number(value);
      const y = Number(values[0]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
      return c.op === 'gt' ? x > y : c.op === 'gte' ? x >= y : c.op === 'lt' ? x < y : x <= y;
    }
  }
}

function sameValue(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x === y;
  return a.toLowerCase() === b.toLowerCase();
}

function precedenceRank(config: Pick<Config, 'precedence' | 'audiences'>): (audience: string | undefined) => number {
  const index = new Map(config.precedence.map((k, i) => [k, i]));
  const declared = new Map(Object.keys(config.audiences).map((k, i) => [k, i]));
  const last = config.precedence.length;
  return (audience) => (audience === undefined ? Number.POSITIVE_INFINITY : index.get(audience) ?? last + (declared.get(audience) ?? 0) / 1000);
}

function orderExperiences(experiences: ExperienceDef[], rank: (a: string | undefined) => number): ExperienceDef[] {
  return experiences
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e.audience) - rank(b.e.audience) || a.i - b.i)
    .map((x) => x.e);
}
