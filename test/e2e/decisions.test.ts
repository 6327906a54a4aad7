// What visitors actually see: the compiled audiences (holdout, cooldown and precedence exclusions)
// and derived priorities applied to the sandbox, then checked through the Delivery API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace, type TestWorkspace } from './helpers.js';

// Two activities share the "hero" mbox. `cart_hero` serves cart abandoners (first in precedence) and
// VIPs (last), so it gets the higher priority; `replenish_hero` serves replenishment (second). A VIP
// who is due for replenishment must see the replenishment offer: the declared winner.
const CONFIG = `version: 1
workspace: e2e-decisions
providers:
  adobe_target: { tenant: acme, client_code: acmecorp, client_id: "\${ADOBE_CLIENT_ID}", client_secret: "\${ADOBE_CLIENT_SECRET}" }
fields:
  last_category: { type: string }
segments:
  cart: { name: "Cart", type: data_driven, id: 101 }
  repl: { name: "Replenishment", type: data_driven, id: 103 }
  vip: { name: "VIP", type: data_driven, id: 104 }
  purchased: { name: "Purchased", type: data_driven, id: 107 }
audiences:
  cart: { name: "Cart abandoners", segment: cart }
  repl: { name: "Replenishment due", segment: repl, where: [ { field: last_category, eq: tea } ] }
  vip: { name: "VIPs", segment: vip }
precedence: [cart, repl, vip]
holdouts:
  control: { percent: 10, salt: "s1" }
cooldowns:
  after_order: { segment: purchased, suppress: [replenish_hero] }
offers:
  o_cart: { name: "Cart offer", content: '<div class="o_cart">cart</div>' }
  o_repl: { name: "Replenish offer", content: '<div class="o_repl">repl</div>' }
  o_vip: { name: "VIP offer", content: '<div class="o_vip">vip</div>' }
activities:
  cart_hero:
    name: "Hero: cart and VIP"
    type: xt
    location: hero
    state: approved
    holdout: control
    experiences:
      - { audience: vip, offer: o_vip }
      - { audience: cart, offer: o_cart }
  replenish_hero:
    name: "Hero: replenishment"
    type: xt
    location: hero
    state: approved
    experiences:
      - { audience: repl, offer: o_repl }
`;

let ws: TestWorkspace;
let target: AdobeTargetClient;

beforeAll(async () => {
  ws = await openWorkspace(CONFIG);
  const ctx = buildContext();
  const code = await runApply(undefined, { config: ws.configFile, autoApprove: true }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
  if (code !== 0) throw new Error(`apply failed:\n${ctx.output.stdout}\n${ctx.output.stderr}`);
  target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
});
afterAll(closeWorkspaces);

const NOBODY = { seg_cart: 'false', seg_repl: 'false', seg_vip: 'false', seg_purchased: 'false', holdout_control: 'false', trait_last_category: 'none' };

async function served(visitor: string, profile: Partial<typeof NOBODY>): Promise<string> {
  const d = await target.deliver(visitor, 'hero', { profileParameters: { ...NOBODY, ...profile } });
  const html = String(d.options[0]?.content ?? '');
  return /class="(o_\w+)"/.exec(html)?.[1] ?? 'default content';
}

describe('decisions on a shared location', () => {
  it('serves the highest-precedence audience a visitor belongs to', async () => {
    expect(await served('v-cart-repl', { seg_cart: 'true', seg_repl: 'true', trait_last_category: 'tea' })).toBe('o_cart');
    expect(await served('v-vip', { seg_vip: 'true' })).toBe('o_vip');
    // VIP and due for replenishment: replenishment precedes VIP although its activity has the lower priority.
    expect(await served('v-vip-repl', { seg_vip: 'true', seg_repl: 'true', trait_last_category: 'tea' })).toBe('o_repl');
    // In the replenishment segment but not in the audience (another category): the VIP offer.
    expect(await served('v-vip-repl-coffee', { seg_vip: 'true', seg_repl: 'true', trait_last_category: 'coffee' })).toBe('o_vip');
  });

  it('keeps the holdout out of the activity, and the cooldown out of the activity it suppresses', async () => {
    expect(await served('v-control', { seg_cart: 'true', holdout_control: 'true' })).toBe('default content');
    expect(await served('v-control-repl', { seg_cart: 'true', seg_repl: 'true', trait_last_category: 'tea', holdout_control: 'true' })).toBe('o_repl');
    expect(await served('v-cooldown', { seg_repl: 'true', trait_last_category: 'tea', seg_purchased: 'true' })).toBe('default content');
  });
});
