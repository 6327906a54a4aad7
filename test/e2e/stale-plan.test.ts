// Saved plans and --checksum against the sandbox: applied exactly when still current, refused as stale when the config or the platforms moved.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace, type TestWorkspace } from './helpers.js';
import { SMALL_CONFIG } from './small-config.js';

afterEach(closeWorkspaces);

async function savePlan(ws: TestWorkspace, file: string) {
  const ctx = buildContext();
  const code = await runPlan({ config: ws.configFile, out: file }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
  return { code, out: ctx.output.stdout };
}

async function apply(ws: TestWorkspace, planfile: string | undefined, flags: object = {}) {
  const ctx = buildContext();
  try {
    const code = await runApply(planfile, { config: ws.configFile, ...flags }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP, interactive: false });
    return { code, out: ctx.output.stdout, error: undefined as Error | undefined };
  } catch (error) {
    return { code: 1, out: ctx.output.stdout, error: error as Error };
  }
}

describe('saved plans', () => {
  it('applies a current plan file without asking, and says so when the file is saved', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const file = path.join(ws.dir, 'plan.json');
    const saved = await savePlan(ws, file);
    expect(saved.out).toContain(`Saved the plan to ${file}. To perform exactly these changes, run: audiences apply ${file}`);
    const data = JSON.parse(await readFile(file, 'utf8'));
    expect(data).toMatchObject({ tool: 'audiences', format_version: '1.1', workspace: 'e2e-small', summary: { create: 9 } });
    expect(data.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(data.config_hash).toMatch(/^[0-9a-f]{64}$/);

    const applied = await apply(ws, file);
    expect(applied.error).toBeUndefined();
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('Apply: 9 succeeded, 0 failed, 0 skipped.');
  });

  it('refuses a plan file once the platforms changed, and once the config changed', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    expect((await apply(ws, undefined, { autoApprove: true })).code).toBe(0);
    await ws.writeConfig(SMALL_CONFIG.replace('"VIP strip"', '"VIP strip v2"'));
    const file = path.join(ws.dir, 'plan.json');
    await savePlan(ws, file);

    // Someone edits the platform between plan and apply.
    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const offer = (await target.listOffers()).find((o) => o.name === 'Win-back')!;
    await target.updateContentOffer(offer.id, { name: 'Win-back', content: (await target.getContentOffer(offer.id))!.content.replace('miss', 'missed') });
    const stale = await apply(ws, file);
    expect(stale.error?.message).toMatch(/^stale plan: the platforms changed since .*plan\.json was made/);
    expect(stale.out).not.toContain('Apply:');

    // A fresh plan of the same config applies; then the config moves on and the old file is refused.
    await savePlan(ws, file);
    await ws.writeConfig(SMALL_CONFIG.replace('"VIP strip"', '"VIP strip v3"'));
    const otherConfig = await apply(ws, file);
    expect(otherConfig.error?.message).toMatch(/stale plan: .*plan\.json was made from a different audiences\.yaml/);
  });

  it('refuses a plan file whose changes were edited after it was saved, before reading any platform', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const file = path.join(ws.dir, 'plan.json');
    await savePlan(ws, file);
    const data = JSON.parse(await readFile(file, 'utf8'));
    data.changes = data.changes.filter((c: { kind: string }) => c.kind !== 'activity');
    await writeFile(file, JSON.stringify(data));
    const before = ws.sandbox.requests.length;
    const edited = await apply(ws, file);
    expect(edited.error?.message).toMatch(/plan\.json was edited after it was saved: its changes do not match its checksum/);
    expect(ws.sandbox.requests.length).toBe(before);
    expect(edited.out).not.toContain('Apply:');
  });

  it('refuses a malformed --checksum before reading the config or any platform', async () => {
    const err = await runApply(undefined, { config: '/nonexistent/audiences.yaml', checksum: 'c1d60cec', autoApprove: true }, buildContext()).catch((e: Error) => e);
    expect((err as Error).message).toBe('--checksum is not a sha256 checksum (64 hex digits): "c1d60cec"');
  });

  it('--checksum applies only while the plan still has that checksum', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const ctx = buildContext();
    await runPlan({ config: ws.configFile, format: 'json' }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
    const { checksum } = JSON.parse(ctx.output.stdout) as { checksum: string };

    await ws.writeConfig(SMALL_CONFIG.replace('"Cart hero"', '"Cart hero v2"'));
    const refused = await apply(ws, undefined, { autoApprove: true, checksum });
    expect(refused.error?.message).toMatch(/^stale plan: the platforms changed since --checksum was made/);
    expect(refused.error?.message).toContain(checksum.slice(0, 12));

    await ws.writeConfig(SMALL_CONFIG);
    const ok = await apply(ws, undefined, { autoApprove: true, checksum });
    expect(ok.error).toBeUndefined();
    expect(ok.code).toBe(0);
  });

  it('refuses to apply without a terminal unless --auto-approve or a plan file is given, and a "no" cancels', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const refused = await apply(ws, undefined);
    expect(refused.error?.message).toBe('apply needs a confirmation, and there is no terminal to ask on');
    expect(ws.sandbox.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    const ctx = buildContext();
    const asked: string[] = [];
    const cancelled = await runApply(undefined, { config: ws.configFile }, ctx, {
      runningSandbox: ws.sandbox,
      interactive: true,
      prompt: async (q) => (asked.push(q), 'no'),
    }).catch((e: Error) => e);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('Only "yes" is accepted');
    expect((cancelled as Error).message).toBe('apply cancelled; nothing was applied');

    const yes = await runApply(undefined, { config: ws.configFile }, buildContext(), {
      runningSandbox: ws.sandbox,
      interactive: true,
      prompt: async () => 'yes',
    });
    expect(yes).toBe(0);
  });
});
