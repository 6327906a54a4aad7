// AUD011 unreachable-experience: in an xt activity the first matching experience wins, so an
// experience after the fallback, or a second one for the same audience, is never served.
import type { Finding } from '../findings.js';
import type { LintRule } from './rule.js';

export const unreachableExperience: LintRule = {
  id: 'AUD011',
  name: 'unreachable-experience',
  severity: 'error',
  summary: 'An experience can never be served (after the fallback, or a repeated audience).',
  check(config) {
    const findings: Finding[] = [];
    for (const activity of Object.values(config.activities)) {
      if (activity.type !== 'xt') continue;
      const seen = new Map<string, number>();
      let fallback: number | undefined;
      activity.experiences.forEach((e, i) => {
        const path: Finding['path'] = ['activities', activity.key, 'experiences', i];
        if (fallback !== undefined) {
          findings.push({
            path,
            message: `Experience ${i + 1} of \`${activity.key}\` comes after the fallback (experience ${fallback + 1}, no audience), which matches everyone, so it is never served. Move the fallback last.`,
          });
          return;
        }
        if (e.audience === undefined) {
          fallback = i;
          return;
        }
        const first = seen.get(e.audience);
        if (first !== undefined) {
          findings.push({
            path: [...path, 'audience'],
            message: `Audience \`${e.audience}\` already has experience ${first + 1} in \`${activity.key}\`; the first match wins, so this one is never served. Remove it or target another audience.`,
          });
        } else seen.set(e.audience, i);
      });
    }
    return findings;
  },
};
