// AUD014 priority-tie: two approved activities on one location with the same explicit priority;
// Target's choice between them is then undefined.
import type { Finding } from '../findings.js';
import type { LintRule } from './rule.js';

export const priorityTie: LintRule = {
  id: 'AUD014',
  name: 'priority-tie',
  severity: 'warning',
  summary: 'Two approved activities on one location share an explicit priority.',
  check(config) {
    const findings: Finding[] = [];
    const first = new Map<string, string>();
    for (const activity of Object.values(config.activities)) {
      if (activity.state !== 'approved' || activity.priority === 'auto') continue;
      const id = `${activity.location}\u0000${activity.priority}`;
      const other = first.get(id);
      if (other === undefined) {
        first.set(id, activity.key);
        continue;
      }
      findings.push({
        path: ['activities', activity.key, 'priority'],
        message:
          `Activities \`${other}\` and \`${activity.key}\` both run on \`${activity.location}\` with priority ${activity.priority}, so which one a visitor sees is undefined. ` +
          'Give them different priorities, or use `priority: auto`.',
      });
    }
    return findings;
  },
};
