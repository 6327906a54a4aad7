// AUD008 unmirrored: a segment that no audience mirrors (and no cooldown uses) is dead weight.
import type { LintRule } from './rule.js';

export const unmirrored: LintRule = {
  id: 'AUD008',
  name: 'unmirrored',
  severity: 'warning',
  summary: 'A segment is not mirrored by any audience.',
  check(config) {
    const used = new Set<string>();
    for (const a of Object.values(config.audiences)) used.add(a.segment);
    // A cooldown's segment is synced to Target as a membership flag to suppress activities.
    for (const c of Object.values(config.cooldowns)) used.add(c.segment);
    return Object.values(config.segments)
      .filter((s) => !used.has(s.key))
      .map((s) => ({
        path: ['segments', s.key],
        part: 'key' as const,
        message: `Segment \`${s.key}\` is not mirrored by any audience nor used by a cooldown, so Target never sees it. Add an audience with \`segment: ${s.key}\`, or remove the segment.`,
      }));
  },
};
