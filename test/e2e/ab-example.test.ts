// The A/B example (ab activity with traffic split, schedule, holdout, cooldown, manual segment, email identity) against the sandbox: apply, then the plan is empty.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace } from './helpers.js';

afterAll(closeWorkspaces);

describe('examples/eu-email-ab-test.yaml', () => {
  it('applies every kind it declares, after which a plan shows no changes', async () => {
    const yaml = await readFile(path.resolve(__dirname, '../../examples/eu-email-ab-test.yaml'), 'utf8');
    const ws = await openWorkspace(yaml);
    const deps = { runningSandbox: ws.sandbox, http: FAST_HTTP };

    const first = buildContext();
    expect(await runPlan({ config: ws.configFile, format: 'json', detailedExitcode: true }, first, deps)).toBe(2);
    const planned = JSON.parse(first.output.stdout) as { changes: Array<{ kind: string; after: { type?: string } | null }> };
    expect(new Set(planned.changes.map((c) => c.kind))).toEqual(new Set(['segment', 'audience', 'offer', 'activity']));
    expect(planned.changes.some((c) => c.kind === 'activity' && c.after?.type === 'ab')).toBe(true);

    const applied = buildContext();
    expect(await runApply(undefined, { config: ws.configFile, autoApprove: true }, applied, deps)).toBe(0);
    expect(applied.output.stdout).toContain('Re-plan: no changes left');
    // A/B experiences split traffic; the holdout/cooldown gate is the location's entry audience.
    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const summary = (await target.findActivityByThirdPartyId('acme-eu/winback_ab'))!;
    const ab = (await target.getActivity('ab', summary.id))!;
    const gates = (await target.listAudiences()).filter((a) => a.name.startsWith('Win-back banner A/B: '));
    expect(gates).toHaveLength(1);
    const gate = gates[0]!;
    expect(ab.locations?.mboxes?.[0]?.audienceIds).toEqual([gate.id]);
    expect(ab.experiences?.every((e) => (e.audienceIds ?? []).length === 0)).toBe(true);
    expect(ab.experiences?.map((e) => e.visitorPercentage)).toEqual([50, 50]);

    const again = buildContext();
    expect(await runPlan({ config: ws.configFile, detailedExitcode: true }, again, deps)).toBe(0);
    expect(again.output.stdout.endsWith('No changes. The platforms match audiences.yaml.\n')).toBe(true);
  });
});
