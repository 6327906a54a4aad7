// AUD009 cooldown-conflict: a promotional activity can reach people inside a declared cooldown.
import type { Finding } from '../findings.js';
import type { LintRule } from './rule.js';

export const cooldownConflict: LintRule = {
  id: 'AUD009',
  name: 'cooldown-conflict',
  severity: 'error',
  summary: 'A promotional activity (discount > 0) is not suppressed by a declared cooldown.',
  check(config) {
    const findings: Finding[] = [];
    for (const cooldown of Object.values(config.cooldowns)) {
      for (const activity of Object.values(config.activities)) {
        if (activity.incentive.discount_pct <= 0 || cooldown.suppress.includes(activity.key)) continue;
        findings.push({
          path: ['activities', activity.key, 'incentive', 'discount_pct'],
          message:
            `Activity \`${activity.key}\` offers ${activity.incentive.discount_pct}% off but is not suppressed by cooldown \`${cooldown.key}\`: ` +
            `people in segment \`${cooldown.segment}\` can still see it. Add \`${activity.key}\` to \`cooldowns.${cooldown.key}.suppress\`, or set its discount to 0.`,
        });
      }
    }
    return findings;
  },
};
