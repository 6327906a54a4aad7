// AUD006 incentive-stacking: one person gets a discount from both platforms, or onsite promises
// more than the messages. Rule: for every activity with discount_pct > 0 and every audience it
// serves, m = the discount its segment's messages promise:
//   owner target     and m > 0  → stacking (Customer.io and Target both discount);
//   owner customerio and pct > m → onsite shows more than the messages promise;
//   owner none       and pct > 0 → a discount with no owner.
import type { Finding } from '../findings.js';
import { listTargetedExperiences, type LintRule } from './rule.js';

export const incentiveStacking: LintRule = {
  id: 'AUD006',
  name: 'incentive-stacking',
  severity: 'error',
  summary: 'An audience gets discounts from both platforms, or onsite offers more than the messages promise.',
  check(config) {
    const findings: Finding[] = [];
    for (const activity of Object.values(config.activities)) {
      const { owner, discount_pct: pct } = activity.incentive;
      if (pct > 0 && owner === 'none') {
        findings.push({
          path: ['activities', activity.key, 'incentive', 'owner'],
          message: `Activity \`${activity.key}\` offers ${pct}% off with \`owner: none\`. Say which platform owns the discount (\`target\` or \`customerio\`), or set \`discount_pct: 0\`.`,
        });
      }
    }
    for (const { activity, index, audience, segment } of listTargetedExperiences(config)) {
      const { owner, discount_pct: pct } = activity.incentive;
      if (pct <= 0 || !segment) continue;
      const promised = segment.incentive?.discount_pct ?? 0;
      const path: Finding['path'] = ['activities', activity.key, 'experiences', index, 'audience'];
      if (owner === 'target' && promised > 0) {
        findings.push({
          path,
          message:
            `Audience \`${audience.key}\` gets ${pct}% off onsite from Target (activity \`${activity.key}\`) and ${promised}% from Customer.io messages (segment \`${segment.key}\`): the discounts stack. ` +
            `Let one platform own it: set this activity's \`incentive.owner: customerio\` with \`discount_pct\` ≤ ${promised}, or remove the segment's incentive.`,
        });
      } else if (owner === 'customerio' && pct > promised) {
        findings.push({
          path,
          message:
            `Activity \`${activity.key}\` shows ${pct}% off to audience \`${audience.key}\`, but the messages to segment \`${segment.key}\` promise ${promised}%: onsite offers more than Customer.io gives. ` +
            `Lower \`incentive.discount_pct\` to ${promised} or less, or raise the segment's \`incentive.discount_pct\`.`,
        });
      }
    }
    return findings;
  },
};
