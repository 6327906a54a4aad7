// The contract's expected experience, on the root audiences.yaml.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import { expectedExperience } from '../../src/sync/expected.js';

let config: Config;
beforeAll(async () => {
  const file = fileURLToPath(new URL('../../audiences.yaml', import.meta.url));
  config = (await loadConfig(file, { env: {} })).config;
});

const none = { seg_cart_abandoned_4h: 'false', seg_replenishment_due: 'false', seg_vip_high_ltv: 'false', seg_purchased_14d: 'false', seg_lapsed_90d: 'false', holdout_onsite_control: 'false' };

describe('expectedExperience', () => {
  it('serves the first experience in precedence order whose audience holds', () => {
    expect(expectedExperience(config, 'homepage-hero', none)?.offer).toBe('default_hero');
    expect(expectedExperience(config, 'homepage-hero', { ...none, seg_vip_high_ltv: 'true', trait_lifetime_value: '900' })?.offer).toBe('vip_early_access');
    // where-condition fails: VIP flag without the value.
    expect(expectedExperience(config, 'homepage-hero', { ...none, seg_vip_high_ltv: 'true', trait_lifetime_value: '100' })?.offer).toBe('default_hero');
    expect(
      expectedExperience(config, 'homepage-hero', { ...none, seg_vip_high_ltv: 'true', trait_lifetime_value: '900', seg_cart_abandoned_4h: 'true' })?.offer,
    ).toBe('cart_resume');
  });

  it('excludes the holdout and cooldowns', () => {
    expect(expectedExperience(config, 'homepage-hero', { ...none, holdout_onsite_control: 'true' })).toBeUndefined();
    expect(expectedExperience(config, 'site-banner', { ...none, seg_lapsed_90d: 'true' })?.offer).toBe('winback_15');
    expect(expectedExperience(config, 'site-banner', { ...none, seg_lapsed_90d: 'true', seg_purchased_14d: 'true' })).toBeUndefined();
  });
});
