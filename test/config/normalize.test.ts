// Normalization: defaults, durations, content files relative to the config, env interpolation.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, formatDuration } from '../../src/config/duration.js';
import { interpolateTemplate, parseTemplate } from '../../src/config/interpolate.js';
import { defaultConfigPath, stateDir } from '../../src/config/index.js';
import { suggestClosest } from '../../src/config/suggest.js';
import { buildBase, checkObject } from './helpers.js';

describe('durations', () => {
  it('parses minutes, hours, days and weeks', () => {
    expect(parseDuration('30m')).toEqual({ text: '30m', ms: 30 * 60_000 });
    expect(parseDuration('4h')?.ms).toBe(4 * 3_600_000);
    expect(parseDuration('21d')?.ms).toBe(21 * 86_400_000);
    expect(parseDuration('1w')?.ms).toBe(7 * 86_400_000);
    for (const bad of ['0m', '4 hours', '4H', '1.5h', '-1d', 'h', '']) expect(parseDuration(bad), bad).toBeUndefined();
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90 * 60_000)).toBe('90m');
  });
});

describe('templates', () => {
  it('lists variables, keeps $${ literal and reports malformed references', () => {
    expect(parseTemplate('${A}-${B_2}-${A}').value.vars).toEqual(['A', 'B_2']);
    expect(parseTemplate('$${NOT_A_VAR}').value.vars).toEqual([]);
    expect(parseTemplate('${OPEN').problems[0].reason).toMatch(/not closed/);
    expect(parseTemplate('${1BAD}').problems[0].reason).toMatch(/not a valid variable name/);
    expect(interpolateTemplate('https://${HOST}/x $${Y}', { HOST: 'h' })).toEqual({ value: 'https://h/x ${Y}', missing: [] });
    expect(interpolateTemplate('${A}${B}', { A: '', B: undefined })).toEqual({ value: '${A}${B}', missing: ['A', 'B'] });
  });
});

describe('suggestions', () => {
  it('suggests only plausible typos', () => {
    expect(suggestClosest('segmnts', ['segments', 'audiences'])).toBe('segments');
    expect(suggestClosest('zzz', ['segments', 'audiences'])).toBeUndefined();
  });
});

describe('normalizeConfig', () => {
  it('applies defaults', async () => {
    const base = buildBase();
    base.activities.hero.state = undefined;
    delete base.activities.hero.state;
    delete base.activities.hero.holdout;
    base.providers = { customerio: { app_api_key: '${CIO_KEY}' }, adobe_target: { tenant: 't', client_code: 'cc' } };
    const { config, diagnostics } = await checkObject(base);
    expect(diagnostics).toEqual([]);
    expect(config?.identity).toEqual({ customerio: 'id', target: 'thirdPartyId', hash: 'none' });
    expect(config?.sync).toEqual({ max_latency: { text: '30m', ms: 1_800_000 }, size_swing_pct: 50 });
    expect(config?.activities.hero).toMatchObject({ priority: 'auto', state: 'saved', incentive: { owner: 'none', discount_pct: 0 } });
    expect(config?.activities.hero.experiences.map((e) => e.name)).toEqual(['Cart Abandoners', 'VIP']);
    expect(config?.activities.hero.experiences[0].lasts).toEqual({ text: '4h', ms: 14_400_000 });
    expect(config?.providers.customerio).toMatchObject({
      region: 'us',
      app_url: 'https://api.customer.io',
      track_url: 'https://track.customer.io',
      rate_limit: 10,
      app_api_key: { template: '${CIO_KEY}', vars: ['CIO_KEY'] },
    });
    expect(config?.providers.adobe_target).toMatchObject({
      admin_url: 'https://mc.adobe.io',
      edge_url: 'https://cc.tt.omtrdc.net',
      ims_url: 'https://ims-na1.adobelogin.com',
      rate_limit: 5,
    });
    expect(config?.segments.cart_abandoned_4h.window?.ms).toBe(14_400_000);
    expect(config?.holdouts.control.writeback).toBe(false);
  });

  it('uses EU URLs for region eu', async () => {
    const base = buildBase();
    base.providers = { customerio: { region: 'eu', app_api_key: '${K}' } };
    const { config } = await checkObject(base);
    expect(config?.providers.customerio).toMatchObject({ app_url: 'https://api-eu.customer.io', track_url: 'https://track-eu.customer.io' });
  });

  it('reads content_file relative to the config folder, not the working directory', async () => {
    const base = buildBase();
    base.offers.cart_resume = { name: 'Cart resume', content_file: 'offers/cart.html' };
    const { config, dir, diagnostics } = await checkObject(base, { files: { 'offers/cart.html': '<div>from file</div>\n' } });
    expect(diagnostics).toEqual([]);
    expect(process.cwd()).not.toBe(dir);
    expect(config?.offers.cart_resume).toMatchObject({ content: '<div>from file</div>\n', content_file: 'offers/cart.html' });
    expect(config?.source.dir).toBe(dir);
    expect(stateDir(config!)).toBe(path.join(dir, '.audiences'));
  });

  it('refuses content files outside the config folder', async () => {
    const base = buildBase();
    base.offers.cart_resume = { name: 'Cart resume', content_file: '../secrets.html' };
    const { diagnostics } = await checkObject(base);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ rule: 'semantic', path: 'offers.cart_resume.content_file' });
    expect(diagnostics[0].message).toMatch(/outside the config's folder/);
  });

  it('interpolates non-secret provider settings when set and keeps credentials as templates', async () => {
    const base = buildBase();
    base.providers = {
      adobe_target: { tenant: '${AT_TENANT}', client_code: '${AT_CODE}', client_id: '${AT_ID}', client_secret: '${AT_SECRET}' },
    };
    const { config } = await checkObject(base, { env: { AT_TENANT: 'acme', AT_SECRET: 'shh-very-secret' } });
    const at = config!.providers.adobe_target!;
    expect(at.tenant).toBe('acme');
    expect(at.client_code).toBe('${AT_CODE}');
    expect(at.client_secret).toMatchObject({ template: '${AT_SECRET}', vars: ['AT_SECRET'] });
    expect(JSON.stringify(config)).not.toContain('shh-very-secret');
    expect(at.client_secret?.at?.line).toBeGreaterThan(1);
  });

  it('merges previous_keys into moved', async () => {
    const base = buildBase();
    base.offers.cart_resume.previous_keys = ['cart_old'];
    base.moved = [{ from: 'offers.vip_old', to: 'offers.vip_access' }];
    const { config, diagnostics } = await checkObject(base);
    expect(diagnostics).toEqual([]);
    expect(config?.moved).toEqual([
      { from: 'offers.vip_old', to: 'offers.vip_access' },
      { from: 'offers.cart_old', to: 'offers.cart_resume' },
    ]);
  });

  it('records positions for later stages', async () => {
    const { config } = await checkObject(buildBase());
    expect(config?.source.positions?.['activities.hero.location']?.line).toBeGreaterThan(1);
  });

  it('defaults the config path to ./audiences.yaml', () => {
    expect(defaultConfigPath('/x/y')).toBe(path.join('/x/y', 'audiences.yaml'));
  });
});
