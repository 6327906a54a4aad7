// Customer.io segments end to end against the sandbox over HTTP: apply then plan is empty, out-of-band deletes are restored, data-driven references are never written, the destructive guard.
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { CustomerioClient } from '../../src/providers/customerio/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace } from './helpers.js';

afterEach(closeWorkspaces);

const CONFIG = `version: 1
workspace: e2e-seg
providers:
  customerio: { region: us, app_api_key: "\${CUSTOMERIO_APP_API_KEY}" }
segments:
  cart_abandoned_4h: { name: "Cart Abandoned (last 4h)", type: data_driven, id: 101, window: 4h }
  vip_testers: { name: "VIP testers", type: manual, description: "Hand-picked testers" }
  beta_group: { name: "Beta group", type: manual }
`;

async function plan(ws: Awaited<ReturnType<typeof openWorkspace>>, extra: object = {}) {
  const ctx = buildContext();
  const code = await runPlan({ config: ws.configFile, detailedExitcode: true, ...extra }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
  return { code, out: ctx.output.stdout, err: ctx.output.stderr };
}

async function apply(ws: Awaited<ReturnType<typeof openWorkspace>>, flags: object = {}) {
  const ctx = buildContext();
  const code = await runApply(undefined, { config: ws.configFile, autoApprove: true, ...flags }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
  return { code, out: ctx.output.stdout, err: ctx.output.stderr };
}

describe('Customer.io segments', () => {
  it('creates manual segments, leaves the matching data-driven one alone, and then plans nothing', async () => {
    const ws = await openWorkspace(CONFIG);
    const first = await plan(ws);
    expect(first.code).toBe(2);
    expect(first.out).toContain('+ customerio.segment.vip_testers (create)');
    expect(first.out).toContain('+ customerio.segment.beta_group (create)');
    // The data-driven one is only a checked reference, never a change.
    expect(first.out).not.toMatch(/^ {2}\S+ customerio\.segment\.cart_abandoned_4h/m);
    expect(first.out).toMatch(/^ {2}cart_abandoned_4h +101 +"Cart Abandoned \(last 4h\)" .* ok$/m);
    expect(first.out).toContain('Plan: 2 to create, 0 to update, 0 to delete, 0 to replace, 0 manual.');

    const applied = await apply(ws);
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/ok\s+create\s+customerio\.segment\.beta_group/);
    expect(applied.out).toContain('Re-plan: no changes left');

    const again = await plan(ws);
    expect(again.code).toBe(0);
    expect(again.out).not.toMatch(/^ {2}[-+~!]/m);
    expect(again.out.endsWith('No changes. The platforms match audiences.yaml.\n')).toBe(true);
  });

  it('restores a manual segment deleted out of band', async () => {
    const ws = await openWorkspace(CONFIG);
    expect((await apply(ws)).code).toBe(0);
    const client = new CustomerioClient({ provider: ws.sandbox.providers.customerio, http: FAST_HTTP });
    const vip = (await client.listSegments()).find((s) => s.name === 'VIP testers')!;
    expect(await client.deleteSegment(vip.id)).toBe('deleted');

    const drifted = await plan(ws);
    expect(drifted.code).toBe(2);
    expect(drifted.out).toContain('+ customerio.segment.vip_testers (create)');
    expect((await apply(ws)).code).toBe(0);
    expect((await plan(ws)).code).toBe(0);
    expect((await client.listSegments()).filter((s) => s.name === 'VIP testers')).toHaveLength(1);
  });

  it('reports a data-driven segment that does not match as a manual action and never writes it', async () => {
    const ws = await openWorkspace(CONFIG);
    await ws.writeConfig(CONFIG.replace('"Cart Abandoned (last 4h)"', '"Cart Abandoned (4 hours)"'));
    const p = await plan(ws);
    expect(p.code).toBe(2);
    expect(p.out).toMatch(/customerio\.segment\.cart_abandoned_4h[\s\S]*Manual action required/);
    const before = ws.sandbox.requests.length;
    const a = await apply(ws);
    expect(a.code).toBe(0);
    const writes = ws.sandbox.requests.slice(before).filter((r) => r.method !== 'GET' && r.path.includes('/segments/101'));
    expect(writes).toEqual([]);
    expect(a.out).toMatch(/skipped\s+manual\s+customerio\.segment\.cart_abandoned_4h/);
    expect(a.out).toContain('manual action(s) remain');
  });

  it('refuses the destructive replace of a manual segment without --force and does it with', async () => {
    const ws = await openWorkspace(CONFIG);
    expect((await apply(ws)).code).toBe(0);
    await ws.writeConfig(CONFIG.replace('"Hand-picked testers"', '"Testers picked by hand"'));
    const p = await plan(ws);
    expect(p.out).toContain('customerio.segment.vip_testers (replace)');

    const refused = await apply(ws).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/apply refused by 1 safety guard; nothing was applied/);
    expect((await plan(ws)).code).toBe(2);

    const forced = await apply(ws, { force: true });
    expect(forced.code).toBe(0);
    expect(forced.err).toMatch(/--force overrides destructive/);
    expect((await plan(ws)).code).toBe(0);
  });
});
