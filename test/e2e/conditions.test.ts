// Every `where` operator, a boolean field, a pinned priority and a content_file offer survive apply: the next plan is empty.
import { afterAll, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace } from './helpers.js';

afterAll(closeWorkspaces);

const CONFIG = `version: 1
workspace: e2e-conditions
providers:
  customerio: { region: us, app_api_key: "\${CUSTOMERIO_APP_API_KEY}" }
  adobe_target: { tenant: acme, client_code: acme, client_id: "\${ADOBE_CLIENT_ID}", client_secret: "\${ADOBE_CLIENT_SECRET}" }
fields:
  lifetime_value: { type: number }
  orders_count: { type: integer }
  last_category: { type: string }
  subscriber: { type: boolean }
segments:
  vip_high_ltv: { name: "High LTV VIP", type: data_driven, id: 104, window: 365d }
audiences:
  all_ops:
    name: "Every operator"
    segment: vip_high_ltv
    where:
      - { field: lifetime_value, gt: 80.5 }
      - { field: lifetime_value, lte: 100000 }
      - { field: orders_count, gte: 2 }
      - { field: orders_count, lt: 50 }
      - { field: orders_count, ne: 7 }
      - { field: last_category, in: [shoes, "bags & belts"] }
      - { field: last_category, contains: "o" }
      - { field: last_category, eq: shoes }
      - { field: subscriber, eq: true }
offers:
  hero: { name: "Hero from a file", content_file: offers/hero.html }
activities:
  pinned:
    name: "Pinned priority"
    type: xt
    location: pinned-hero
    priority: 42
    state: saved
    experiences: [ { audience: all_ops, offer: hero } ]
`;

describe('conditions and pinned settings', () => {
  it('apply then plan is empty', async () => {
    const ws = await openWorkspace(CONFIG, { files: { 'offers/hero.html': '<section>\n  <h1>Hello</h1>\n</section>\n' } });
    const deps = { runningSandbox: ws.sandbox, http: FAST_HTTP };
    const applied = buildContext();
    expect(await runApply(undefined, { config: ws.configFile, autoApprove: true }, applied, deps)).toBe(0);
    expect(applied.output.stdout).toContain('Apply: 3 succeeded, 0 failed, 0 skipped.');
    const again = buildContext();
    expect(await runPlan({ config: ws.configFile, detailedExitcode: true }, again, deps)).toBe(0);
    expect(again.output.stdout.endsWith('No changes. The platforms match audiences.yaml.\n')).toBe(true);
  });
});
