// The empty-read guard against the sandbox with evidence: a plan file's and the drift history's managed counts refuse an apply whose Target read comes back with none of our objects.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply, type ApplyFlags } from '../../src/cli/commands/apply.js';
import { runDrift } from '../../src/cli/commands/drift.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace, type TestWorkspace } from './helpers.js';
import { SMALL_CONFIG } from './small-config.js';

afterEach(closeWorkspaces);

async function apply(ws: TestWorkspace, planfile: string | undefined, flags: ApplyFlags = {}) {
  const ctx = buildContext();
  try {
    const code = await runApply(planfile, { config: ws.configFile, ...flags }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP, interactive: false });
    return { code, out: ctx.output.stdout, err: ctx.output.stderr, error: undefined as Error | undefined };
  } catch (error) {
    return { code: 1, out: ctx.output.stdout, err: ctx.output.stderr, error: error as Error };
  }
}

async function targetObjects(ws: TestWorkspace): Promise<number> {
  const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
  return (await target.listAudiences()).length + (await target.listOffers()).length;
}

describe('empty-read guard with evidence', () => {
  it('refuses a saved plan whose Target read now finds none of the objects the plan file counted', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    expect((await apply(ws, undefined, { autoApprove: true })).code).toBe(0);
    await ws.writeConfig(SMALL_CONFIG.replace('"VIP strip"', '"VIP strip v2"'));
    const file = path.join(ws.dir, 'plan.json');
    expect(await runPlan({ config: ws.configFile, out: file }, buildContext(), { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.managed_objects).toEqual({ customerio: 0, adobe_target: 9 });

    // The Target account reads empty (wrong tenant or workspace, a wiped sandbox).
    ws.sandbox.adobeTarget!.state.reset();
    const refused = await apply(ws, file);
    expect(refused.err).toMatch(/Refused \(empty_read\): The Adobe Target read returned no objects at all, yet the plan file .*plan\.json \(made [^)]+\) counted 9 managed object\(s\) there/);
    expect(refused.error?.message).toMatch(/nothing was applied/);
    expect(await targetObjects(ws)).toBe(0);
    // --force passes the guard, but the plan file still no longer matches what a fresh plan would do.
    const forced = await apply(ws, file, { force: true });
    expect(forced.error?.message).toMatch(/^stale plan/);
    expect(await targetObjects(ws)).toBe(0);
  });

  it('refuses an apply after drift recorded managed objects that the Target read no longer finds; --force recreates them', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    expect((await apply(ws, undefined, { autoApprove: true })).code).toBe(0);
    expect(await runDrift({ config: ws.configFile }, buildContext(), { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
    const history = JSON.parse(await readFile(path.join(ws.dir, '.audiences', 'sandbox', 'drift-history.json'), 'utf8'));
    expect(history.runs.at(-1).managed).toEqual({ customerio: 0, adobe_target: 9 });

    ws.sandbox.adobeTarget!.state.reset();
    const refused = await apply(ws, undefined, { autoApprove: true });
    expect(refused.err).toMatch(/Refused \(empty_read\): The Adobe Target read returned no objects at all, yet the drift run of \S+ counted 9 managed object\(s\) there/);
    expect(refused.out).not.toContain('Apply:');
    expect(await targetObjects(ws)).toBe(0);

    // Another history file (--history) without counts is no evidence: a first apply goes through.
    const other = path.join(ws.dir, 'other-history.json');
    await writeFile(other, JSON.stringify({ format_version: 1, runs: [] }));
    const forced = await apply(ws, undefined, { autoApprove: true, force: true });
    expect(forced.err).toContain('Warning: --force overrides empty_read');
    expect(forced.error).toBeUndefined();
    expect(forced.out).toContain('Apply: 9 succeeded, 0 failed, 0 skipped.');
    expect(forced.out).toContain('Re-plan: no changes left');

    ws.sandbox.adobeTarget!.state.reset();
    const elsewhere = await apply(ws, undefined, { autoApprove: true, history: other });
    expect(elsewhere.error).toBeUndefined();
    expect(elsewhere.out).toContain('Apply: 9 succeeded');
  });

  it('goes on with a warning when the drift history cannot be read', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    await mkdir(path.join(ws.dir, '.audiences', 'sandbox'), { recursive: true });
    await writeFile(path.join(ws.dir, '.audiences', 'sandbox', 'drift-history.json'), 'not json');
    const applied = await apply(ws, undefined, { autoApprove: true });
    expect(applied.err).toMatch(/Warning: the drift history .* is not valid JSON; the empty-read guard goes without it/);
    expect(applied.code).toBe(0);
  });
});
