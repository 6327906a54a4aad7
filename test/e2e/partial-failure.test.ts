// Partial failure under injected sandbox faults: independent changes go on, dependents are skipped, the table is printed, exit 1; a rerun converges.
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import type { AttemptEvent } from '../../src/http/types.js';
import { buildContext, closeWorkspaces, openWorkspace } from './helpers.js';
import { SMALL_CONFIG } from './small-config.js';

afterEach(closeWorkspaces);

describe('apply under faults', () => {
  it('keeps going after failures, skips dependents, prints the table, exits 1; the rerun converges', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    // A fault window: once the first write lands, every request answers 5xx for the next few
    // attempts, then the platforms recover. No retries, one change at a time: deterministic.
    let writes = 0;
    let faulted = 0;
    const onAttempt = (e: AttemptEvent) => {
      if (e.api === 'admin' && e.method !== 'GET' && e.status !== undefined && e.status < 300) writes++;
      if (writes === 1 && ws.sandbox.faults.errorRate === 0 && faulted === 0) ws.sandbox.setFaults({ errorRate: 1 });
      if (ws.sandbox.faults.errorRate === 1 && ++faulted > 2) ws.sandbox.setFaults({ errorRate: 0 });
    };
    const ctx = buildContext();
    const code = await runApply(undefined, { config: ws.configFile, autoApprove: true }, ctx, {
      runningSandbox: ws.sandbox,
      http: { retry: { retries: 0 }, onAttempt },
      concurrency: 1,
    });
    const out = ctx.output.stdout;
    expect(code).toBe(1);
    expect(faulted).toBeGreaterThan(0);
    const rows = out.split('\n').filter((l) => /^(ok|FAILED|skipped)\s/.test(l));
    expect(rows).toHaveLength(9);
    // Faults hit the audience creates right after the first one: the independent offers and the
    // activity that needs only healthy objects still went through.
    expect(rows.some((l) => /^ok\s+create\s+adobe_target\.offer\./.test(l))).toBe(true);
    expect(rows.some((l) => /^ok\s+create\s+adobe_target\.activity\./.test(l))).toBe(true);
    const failed = rows.filter((l) => l.startsWith('FAILED'));
    const skipped = rows.filter((l) => l.startsWith('skipped'));
    const ok = rows.filter((l) => l.startsWith('ok'));
    // Plan order with one change at a time: the first audience lands, the next two hit the fault
    // window; everything after runs against a healthy platform.
    expect(failed.map((l) => l.split(/\s+/)[2])).toEqual(['adobe_target.audience.lapsed', 'adobe_target.audience.vip']);
    expect(skipped.map((l) => l.split(/\s+/)[2])).toEqual(['adobe_target.activity.vip_strip', 'adobe_target.activity.winback_banner']);
    expect(ok).toHaveLength(5);
    expect(failed.join('\n')).toMatch(/Adobe Target admin API .*→ 50\d/);
    // Every skipped change names the failed change it waited for, and that change did fail.
    expect(skipped.length).toBeGreaterThan(0);
    for (const row of skipped) {
      const dep = /depends on \w+ (\S+), which failed/.exec(row)?.[1];
      expect(dep).toBeDefined();
      expect(failed.some((f) => f.includes(dep!))).toBe(true);
    }
    expect(out).toMatch(/Apply: \d+ succeeded, \d+ failed, \d+ skipped\./);
    expect(out).toMatch(/Re-plan: \d+ changes? did not converge/);
    expect(out).toContain('Fix the failures above and run apply again: completed changes are kept.');

    // The platforms are healthy again: the rerun does only what is left, and converges.
    const rerun = buildContext();
    expect(await runApply(undefined, { config: ws.configFile, autoApprove: true }, rerun, { runningSandbox: ws.sandbox })).toBe(0);
    expect(rerun.output.stdout).toContain(`Apply: ${failed.length + skipped.length} succeeded, 0 failed, 0 skipped.`);
    const plan = buildContext();
    expect(await runPlan({ config: ws.configFile, detailedExitcode: true }, plan, { runningSandbox: ws.sandbox })).toBe(0);
  });
});
