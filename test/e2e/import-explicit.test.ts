// `audiences import ADDRESS=ID` against the sandbox: adopts exactly the named object under a declared key, prints YAML under an undeclared one, refuses bad or foreign addresses.
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddresses, runImport } from '../../src/cli/commands/import.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace } from './helpers.js';

afterEach(closeWorkspaces);

const CONFIG = `version: 1
workspace: e2e-explicit
providers:
  adobe_target: { tenant: acme, client_code: acme, client_id: "\${ADOBE_CLIENT_ID}", client_secret: "\${ADOBE_CLIENT_SECRET}" }
segments:
  vip_high_ltv: { name: "High LTV VIP", type: data_driven, id: 104 }
audiences:
  vip: { name: "VIP", segment: vip_high_ltv }
`;

describe('audiences import ADDRESS=ID', () => {
  it('adopts the named object under a declared key even when its name differs, then the plan is empty', async () => {
    const ws = await openWorkspace(CONFIG);
    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const handmade = await target.createAudience({ name: 'VIP (made by hand)', targetRule: { and: [{ profile: 'seg_vip_high_ltv', equals: ['true'] }] } });

    const ctx = buildContext();
    const code = await runImport({ config: ws.configFile, addresses: [`adobe_target.audience.vip=${handmade.id}`], autoApprove: true }, ctx, {
      runningSandbox: ws.sandbox,
      http: FAST_HTTP,
    });
    expect(code).toBe(0);
    expect(ctx.output.stdout).toContain('~ adobe_target.audience.vip');
    expect(ctx.output.stdout).toMatch(/ok\s+update\s+adobe_target\.audience\.vip/);

    const after = (await target.getAudience(handmade.id))!;
    expect(after.name).toBe('VIP');
    expect(after.description).toContain('[audiences:e2e-explicit:vip]');
    const plan = buildContext();
    expect(await runPlan({ config: ws.configFile, detailedExitcode: true }, plan, { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
    // Adopted, not duplicated.
    expect((await target.listAudiences()).filter((a) => a.description?.includes('[audiences:e2e-explicit:vip]'))).toHaveLength(1);
  });

  it('prints YAML under the requested key for an object the config does not declare, and leaves it untouched', async () => {
    const ws = await openWorkspace(CONFIG);
    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const offer = await target.createContentOffer({ name: 'Gold hero', content: '<div>Gold</div>' });
    const ctx = buildContext();
    const code = await runImport({ config: ws.configFile, addresses: [`adobe_target.offer.gold=${offer.id}`] }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
    expect(code).toBe(0);
    expect(ctx.output.stdout).toContain(`then run \`audiences import adobe_target.offer.gold=${offer.id}\` to adopt it`);
    expect(parse(ctx.output.stdout).offers).toEqual({ gold: { name: 'Gold hero', content: '<div>Gold</div>' } });
    expect((await target.getContentOffer(offer.id))!.content).toBe('<div>Gold</div>');
  });

  it('refuses malformed addresses, unknown ids and objects already managed, naming each', async () => {
    expect(() => parseAddresses(['adobe_target.audience.vip', 'customerio.audience.x=1', 'adobe_target.offer.o=12'])).toThrow(
      /Not an address=id: "adobe_target\.audience\.vip", "customerio\.audience\.x=1"/,
    );
    const ws = await openWorkspace(CONFIG);
    const err = await runImport({ config: ws.configFile, addresses: ['adobe_target.audience.vip=999999'] }, buildContext(), {
      runningSandbox: ws.sandbox,
      http: FAST_HTTP,
    }).catch((e: Error) => e);
    expect((err as Error).message).toContain('adobe_target.audience.vip: no audience with id 999999 exists');
    // ADDRESS=ID says exactly what to adopt: --adopt or --kind alongside it is a contradiction, refused before reading.
    for (const extra of [{ adopt: true }, { kind: ['offer' as const] }]) {
      const conflict = await runImport({ config: '/nonexistent/audiences.yaml', addresses: ['adobe_target.audience.vip=1'], ...extra }, buildContext()).catch((e: Error) => e);
      expect((conflict as Error).message).toMatch(/cannot be combined with --(adopt|kind)/);
    }
  });
});
