// AUD012 experience-order: experiences are served in precedence order, so a YAML order that
// disagrees with precedence misleads reviewers about who sees what.
import type { Finding } from '../findings.js';
import type { LintRule } from './rule.js';

export const experienceOrder: LintRule = {
  id: 'AUD012',
  name: 'experience-order',
  severity: 'warning',
  summary: "An activity's experiences are not listed in precedence order.",
  check(config) {
    const rank = new Map(config.precedence.map((key, i) => [key, i]));
    const findings: Finding[] = [];
    for (const activity of Object.values(config.activities)) {
      if (activity.type !== 'xt') continue;
      let previous: { key: string; rank: number } | undefined;
      activity.experiences.forEach((e, i) => {
        const r = e.audience !== undefined ? rank.get(e.audience) : undefined;
        if (r === undefined || e.audience === undefined) return;
        if (previous && r < previous.rank) {
          findings.push({
            path: ['activities', activity.key, 'experiences', i, 'audience'],
            message: `\`${e.audience}\` is listed after \`${previous.key}\`, but precedence ranks it higher, and Target serves in precedence order. Move this experience above \`${previous.key}\`'s.`,
          });
        } else previous = { key: e.audience, rank: r };
      });
    }
    return findings;
  },
};
