// AUD005 no-holdout: an approved activity without a control group cannot show its lift.
import type { LintRule } from './rule.js';

export const noHoldout: LintRule = {
  id: 'AUD005',
  name: 'no-holdout',
  severity: 'warning',
  summary: 'An approved activity has no holdout.',
  check(config) {
    const holdouts = Object.keys(config.holdouts);
    return Object.values(config.activities)
      .filter((a) => a.state === 'approved' && a.holdout === undefined)
      .map((a) => ({
        path: ['activities', a.key],
        part: 'key' as const,
        message:
          `Approved activity \`${a.key}\` has no holdout, so nobody can tell whether it works. ` +
          (holdouts.length
            ? `Add \`holdout: ${holdouts[0]}\`.`
            : 'Declare one under `holdouts:` (e.g. `onsite_control: { percent: 10, salt: "2026-q4" }`) and add `holdout: onsite_control`.'),
      }));
  },
};
