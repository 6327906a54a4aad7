// AUD001 too-many-audiences: more than 6 audiences used by activities (each is an exported segment).
import type { Finding } from '../findings.js';
import { listTargetedExperiences, type LintRule } from './rule.js';

export const MAX_ACTIVE_AUDIENCES = 6;

export const tooManyAudiences: LintRule = {
  id: 'AUD001',
  name: 'too-many-audiences',
  severity: 'warning',
  summary: `More than ${MAX_ACTIVE_AUDIENCES} audiences are used by activities.`,
  check(config) {
    const order: string[] = [];
    const firstUse = new Map<string, Finding['path']>();
    for (const { activity, index, audience } of listTargetedExperiences(config)) {
      if (firstUse.has(audience.key)) continue;
      order.push(audience.key);
      firstUse.set(audience.key, ['activities', activity.key, 'experiences', index, 'audience']);
    }
    if (order.length <= MAX_ACTIVE_AUDIENCES) return [];
    const extra = order.slice(MAX_ACTIVE_AUDIENCES);
    return [
      {
        path: firstUse.get(extra[0]) as Finding['path'],
        message:
          `${order.length} audiences are used by activities (more than ${MAX_ACTIVE_AUDIENCES}): each one is a segment exported to every Target profile, ` +
          `synced and ranked in precedence, and small audiences rarely beat the default. Merge or drop audiences (beyond the ${MAX_ACTIVE_AUDIENCES}th: ${extra.join(', ')}).`,
      },
    ];
  },
};
