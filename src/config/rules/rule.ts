// The shape of a lint rule: a stable id (never renumbered), a name, a severity and a pure check.
import type { Severity } from '../../model/diagnostic.js';
import type { Finding } from '../findings.js';
import type { ActivityDef, AudienceDef, Config, SegmentDef } from '../types.js';

export interface LintRule {
  /** `AUD001`…; never renumbered or reused. */
  id: string;
  /** kebab-case, also the anchor in docs/rules.md (`#aud003-missing-precedence`). */
  name: string;
  severity: Severity;
  /** One line: what the rule protects against. */
  summary: string;
  check(config: Config): Finding[];
}

/** Experiences that name an existing audience, with where they are written. */
export function listTargetedExperiences(
  config: Config,
): Array<{ activity: ActivityDef; index: number; audience: AudienceDef; segment?: SegmentDef }> {
  const out: Array<{ activity: ActivityDef; index: number; audience: AudienceDef; segment?: SegmentDef }> = [];
  for (const activity of Object.values(config.activities)) {
    activity.experiences.forEach((e, index) => {
      const audience = e.audience !== undefined && Object.hasOwn(config.audiences, e.audience) ? config.audiences[e.audience] : undefined;
      if (!audience) return;
      const segment = Object.hasOwn(config.segments, audience.segment) ? config.segments[audience.segment] : undefined;
      out.push({ activity, index, audience, ...(segment ? { segment } : {}) });
    });
  }
  return out;
}

/** Distinct audience keys of an activity's experiences, in the order written. */
export function listActivityAudiences(activity: ActivityDef): string[] {
  const keys: string[] = [];
  for (const e of activity.experiences) if (e.audience !== undefined && !keys.includes(e.audience)) keys.push(e.audience);
  return keys;
}
