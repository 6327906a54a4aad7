// AUD013 split-total: an A/B activity's percent shares must cover everyone exactly once; xt
// activities do not split traffic, so a percent there is a misunderstanding.
import type { Finding } from '../findings.js';
import type { LintRule } from './rule.js';

export const splitTotal: LintRule = {
  id: 'AUD013',
  name: 'split-total',
  severity: 'error',
  summary: 'A/B shares do not add up to 100, or an xt experience has a percent.',
  check(config) {
    const findings: Finding[] = [];
    for (const activity of Object.values(config.activities)) {
      const withPercent = activity.experiences.filter((e) => e.percent !== undefined);
      if (activity.type === 'xt') {
        activity.experiences.forEach((e, i) => {
          if (e.percent === undefined) return;
          findings.push({
            path: ['activities', activity.key, 'experiences', i, 'percent'],
            message: `\`percent\` splits traffic only in A/B activities; \`${activity.key}\` is xt (first matching audience wins). Remove \`percent\`, or set \`type: ab\`.`,
          });
        });
        continue;
      }
      if (withPercent.length === 0) continue;
      const total = withPercent.reduce((sum, e) => sum + (e.percent ?? 0), 0);
      if (withPercent.length !== activity.experiences.length || Math.abs(total - 100) > 1e-9) {
        findings.push({
          path: ['activities', activity.key, 'experiences'],
          message:
            `The A/B shares of \`${activity.key}\` add up to ${total}% over ${withPercent.length} of ${activity.experiences.length} experiences. ` +
            'Give every experience a `percent` and make them sum to 100 (or give none for an even split).',
        });
      }
    }
    return findings;
  },
};
