// AUD002 unstable-identifier: people matched by raw email, which changes and leaks personal data.
import type { LintRule } from './rule.js';

export const unstableIdentifier: LintRule = {
  id: 'AUD002',
  name: 'unstable-identifier',
  severity: 'error',
  summary: 'Identity `email` without `hash: sha256`.',
  check(config) {
    if (config.identity.customerio !== 'email' || config.identity.hash === 'sha256') return [];
    return [
      {
        path: ['identity', 'customerio'],
        message:
          'Target profiles are keyed by raw email: addresses change (so profiles split) and a plain email is personal data sent to Target. ' +
          'Use `identity.customerio: id` (or `cio_id`), or keep email and add `identity.hash: sha256`.',
      },
    ];
  },
};
