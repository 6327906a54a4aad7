// AUD007 unused-field: an exported trait no audience uses (data minimization: export only what you use).
import type { LintRule } from './rule.js';

export const unusedField: LintRule = {
  id: 'AUD007',
  name: 'unused-field',
  severity: 'warning',
  summary: 'An exported field is not used by any audience rule.',
  check(config) {
    const used = new Set<string>();
    for (const a of Object.values(config.audiences)) for (const c of a.where) used.add(c.field);
    return Object.keys(config.fields)
      .filter((key) => !used.has(key))
      .map((key) => ({
        path: ['fields', key],
        part: 'key' as const,
        message: `Field \`${key}\` is exported to every Target profile but no audience's \`where\` uses it. Remove it from \`fields\` (send only what you use), or use it in an audience.`,
      }));
  },
};
