// AUD003 missing-precedence: two audiences compete for one location and nothing says which wins.
import type { Finding } from '../findings.js';
import type { LintRule } from './rule.js';

export const missingPrecedence: LintRule = {
  id: 'AUD003',
  name: 'missing-precedence',
  severity: 'error',
  summary: 'Audiences used on the same location are not all ordered in `precedence`.',
  check(config) {
    // location → audience key → first experience that uses it there
    const byLocation = new Map<string, Map<string, Finding['path']>>();
    for (const activity of Object.values(config.activities)) {
      const users = byLocation.get(activity.location) ?? new Map<string, Finding['path']>();
      byLocation.set(activity.location, users);
      activity.experiences.forEach((e, i) => {
        if (e.audience === undefined || !Object.hasOwn(config.audiences, e.audience) || users.has(e.audience)) return;
        users.set(e.audience, ['activities', activity.key, 'experiences', i, 'audience']);
      });
    }
    const ranked = new Set(config.precedence);
    const findings: Finding[] = [];
    for (const [location, users] of byLocation) {
      if (users.size < 2) continue;
      for (const [audience, path] of users) {
        if (ranked.has(audience)) continue;
        const others = [...users.keys()].filter((a) => a !== audience);
        findings.push({
          path,
          message:
            `Audience \`${audience}\` shares location \`${location}\` with ${others.map((o) => `\`${o}\``).join(', ')} but is not in \`precedence\`: ` +
            `a visitor in both matches two experiences and nothing says which wins. Add \`${audience}\` to \`precedence\` (first wins).`,
        });
      }
    }
    return findings;
  },
};
