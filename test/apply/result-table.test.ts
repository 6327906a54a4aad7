// The apply result table: one aligned row per change, messages on one line, a total.
import { describe, expect, it } from 'vitest';
import { countResults, renderResultTable } from '../../src/apply/result-table.js';

describe('renderResultTable', () => {
  it('prints every change with its status and the totals', () => {
    const text = renderResultTable([
      { address: 'adobe_target.audience.vip', action: 'create', status: 'succeeded', id: 42 },
      { address: 'adobe_target.offer.hero', action: 'update', status: 'failed', message: 'Adobe Target admin API\n update offer → 500 failed' },
      { address: 'adobe_target.activity.home', action: 'create', status: 'skipped', message: 'depends on adobe_target.offer.hero, which failed' },
    ]);
    expect(text).toBe(
      [
        'RESULT   ACTION  ADDRESS                     DETAIL',
        'ok       create  adobe_target.audience.vip   id 42',
        'FAILED   update  adobe_target.offer.hero     Adobe Target admin API update offer → 500 failed',
        'skipped  create  adobe_target.activity.home  depends on adobe_target.offer.hero, which failed',
        '',
        'Apply: 1 succeeded, 1 failed, 1 skipped.',
        '',
      ].join('\n'),
    );
  });

  it('cuts long messages and says when there was nothing to do', () => {
    const text = renderResultTable([{ address: 'x', action: 'delete', status: 'failed', message: 'y'.repeat(500) }], { maxMessage: 20 });
    expect(text).toContain(`${'y'.repeat(19)}…`);
    expect(renderResultTable([])).toBe('Apply: nothing to do.\n');
    expect(countResults([{ address: 'a', action: 'create', status: 'failed' }])).toEqual({ succeeded: 0, failed: 1, skipped: 0 });
  });
});
