// `audiences import` end to end against the sandbox over HTTP: YAML for hand-made Target objects,
// adoption by name (markers written), then a plan that updates instead of duplicating.
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { runImport } from '../../src/cli/commands/import.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace } from './helpers.js';

afterEach(closeWorkspaces);

const BASE = `version: 1
workspace: e2e-import
providers:
  adobe_target: { tenant: acme, client_code: acmecorp, client_id: "\${ADOBE_CLIENT_ID}", client_secret: "\${ADOBE_CLIENT_SECRET}" }
fields:
  lifetime_value: { type: number }
segments:
  vip_high_ltv: { name: "High LTV VIP", type: data_driven, id: 104 }
`;

describe('audiences import', () => {
  it('prints YAML for unmanaged objects, adopts them by name, and the next plan updates them in place', async () => {
    const ws = await openWorkspace(BASE);
    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const audience = await target.createAudience({
      name: 'VIP by hand',
      description: 'made in the UI',
      targetRule: { and: [{ profile: 'seg_vip_high_ltv', equals: ['true'] }, { profile: 'trait_lifetime_value', greaterEquals: ['500'] }] },
    });
    const offer = await target.createContentOffer({ name: 'Gold hero', content: '<div>Gold</div>' });

    const ctx = buildContext();
    expect(await runImport({ config: ws.configFile }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
    const yaml = parse(ctx.output.stdout);
    if (!yaml?.audiences) throw new Error(`${ctx.output.stdout}\n---\n${ctx.output.stderr}`);
    expect(yaml.audiences.vip_by_hand).toEqual({
      name: 'VIP by hand',
      description: 'made in the UI',
      segment: 'vip_high_ltv',
      where: [{ field: 'lifetime_value', gte: 500 }],
    });
    expect(yaml.offers.gold_hero).toEqual({ name: 'Gold hero', content: '<div>Gold</div>' });

    // The user merges the YAML (renaming a key on the way) and adopts.
    await ws.writeConfig(
      `${BASE}audiences:\n  vip: { name: "VIP by hand", segment: vip_high_ltv, description: "made in the UI", where: [ { field: lifetime_value, gte: 500 } ] }\n` +
        `offers:\n  gold_hero: { name: "Gold hero", content: "<div>Gold</div>" }\n`,
    );
    // Without a terminal to ask on and without --auto-approve, it lists and refuses instead of hanging.
    const refusedCtx = buildContext();
    const refused = await runImport({ config: ws.configFile, adopt: true }, refusedCtx, { runningSandbox: ws.sandbox, http: FAST_HTTP, interactive: false }).catch(
      (e: Error) => e,
    );
    expect((refused as Error).message).toMatch(/needs a confirmation, and there is no terminal to ask on; nothing was changed/);
    expect(refusedCtx.output.stdout).toContain('~ adobe_target.audience.vip');
    expect((await target.getAudience(audience.id))?.description).not.toContain('[audiences:');

    const adoptCtx = buildContext();
    expect(await runImport({ config: ws.configFile, adopt: true, autoApprove: true }, adoptCtx, { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
    expect(adoptCtx.output.stdout).toContain('~ adobe_target.audience.vip');
    expect(adoptCtx.output.stdout).toContain('~ adobe_target.offer.gold_hero');

    const planCtx = buildContext();
    expect(await runPlan({ config: ws.configFile, detailedExitcode: true }, planCtx, { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
    expect(planCtx.output.stdout).not.toMatch(/^ {2}[-+~!]/m);
    expect(planCtx.output.stdout.endsWith('No changes. The platforms match audiences.yaml.\n')).toBe(true);
    // Same objects, now carrying our markers.
    expect((await target.getAudience(audience.id))?.description).toContain('[audiences:e2e-import:vip]');
    expect((await target.getContentOffer(offer.id))?.content).toContain('[audiences:e2e-import:gold_hero]');
  });
});
