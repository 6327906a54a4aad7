// resolveProviders: credentials resolved only for the providers a command needs, registered as
// secrets, and missing variables named (never their values) with file:line.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveProviders } from '../../src/config/index.js';
import { ConfigError } from '../../src/model/errors.js';
import { clearSecrets, redact } from '../../src/model/secrets.js';
import { buildBase, checkObject } from './helpers.js';

afterEach(() => clearSecrets());

function withProviders(): Record<string, any> {
  const base = buildBase();
  base.providers = {
    customerio: {
      region: 'eu',
      app_api_key: '${CIO_APP_KEY}',
      site_id: '${CIO_SITE_ID}',
      track_api_key: '${CIO_TRACK_KEY}',
    },
    adobe_target: {
      tenant: '${AT_TENANT}',
      client_code: 'acmecorp',
      client_id: '${AT_CLIENT_ID}',
      client_secret: '${AT_CLIENT_SECRET}',
      workspace: '1234567',
    },
  };
  return base;
}

const FULL_ENV = {
  CIO_APP_KEY: 'cio-app-key-0001',
  CIO_SITE_ID: 'cio-site-0002',
  CIO_TRACK_KEY: 'cio-track-key-0003',
  AT_TENANT: 'acme',
  AT_CLIENT_ID: 'at-client-id-0004',
  AT_CLIENT_SECRET: 'at-client-secret-0005',
};

describe('resolveProviders', () => {
  it('validate-time loading needs no credentials', async () => {
    const { diagnostics, config } = await checkObject(withProviders(), { env: {} });
    expect(diagnostics).toEqual([]);
    expect(config).toBeDefined();
  });

  it('resolves every credential and registers it as a secret', async () => {
    const { config } = await checkObject(withProviders(), { env: {} });
    const resolved = resolveProviders(config!, ['customerio', 'adobe_target'], FULL_ENV);
    expect(resolved.customerio).toEqual({
      region: 'eu',
      app_api_key: 'cio-app-key-0001',
      site_id: 'cio-site-0002',
      track_api_key: 'cio-track-key-0003',
      app_url: 'https://api-eu.customer.io',
      track_url: 'https://track-eu.customer.io',
      rate_limit: 10,
    });
    expect(resolved.adobe_target).toMatchObject({
      tenant: 'acme',
      client_code: 'acmecorp',
      client_id: 'at-client-id-0004',
      client_secret: 'at-client-secret-0005',
      workspace: '1234567',
      edge_url: 'https://acmecorp.tt.omtrdc.net',
    });
    for (const value of ['cio-app-key-0001', 'cio-track-key-0003', 'at-client-secret-0005', 'at-client-id-0004']) {
      expect(redact(`x ${value} y`)).toBe('x [REDACTED] y');
    }
  });

  it('a missing variable is an error only for the provider the command needs', async () => {
    const { config } = await checkObject(withProviders(), { env: {} });
    const env = { CIO_APP_KEY: 'k-123456', CIO_SITE_ID: 's-123456', CIO_TRACK_KEY: 't-123456' };
    const resolved = resolveProviders(config!, ['customerio'], env);
    expect(resolved.customerio?.app_api_key).toBe('k-123456');
    expect(resolved.adobe_target).toBeUndefined();
    expect(() => resolveProviders(config!, ['adobe_target'], env)).toThrow(ConfigError);
  });

  it('names every missing variable with file, line and what to set, and never a secret value', async () => {
    const { config, file } = await checkObject(withProviders(), { env: {} });
    const env = { CIO_APP_KEY: 'present-secret-value-xyz', AT_CLIENT_ID: 'present-client-id-xyz' };
    const err = (() => {
      try {
        resolveProviders(config!, ['customerio', 'adobe_target'], env);
      } catch (e) {
        return e;
      }
      return undefined;
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    const text = `${err.message}\n${err.hint}\n${JSON.stringify(err.diagnostics)}`;
    for (const v of ['CIO_SITE_ID', 'CIO_TRACK_KEY', 'AT_TENANT', 'AT_CLIENT_SECRET']) expect(text).toContain(v);
    expect(text).not.toContain('CIO_APP_KEY is');
    expect(text).not.toContain('present-secret-value-xyz');
    expect(text).not.toContain('present-client-id-xyz');
    expect(err.message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
    const secretLine = err.diagnostics.find((d) => d.path === 'providers.adobe_target.client_secret');
    expect(secretLine).toMatchObject({ rule: 'env', severity: 'error' });
    expect(secretLine!.line).toBeGreaterThan(1);
    expect(err.hint).toMatch(/export CIO_SITE_ID=/);
    expect(err.hint).toMatch(/validate` needs no credentials/);
  });

  it('asks for a provider section that is not configured', async () => {
    const { config } = await checkObject(buildBase(), { env: {} });
    expect(() => resolveProviders(config!, ['customerio'], FULL_ENV)).toThrow(/no `providers.customerio` section/);
  });

  it('requires the App API key and the Target client credentials', async () => {
    const base = buildBase();
    base.providers = { customerio: { region: 'us' }, adobe_target: { tenant: 't', client_code: 'c' } };
    const { config } = await checkObject(base, { env: {} });
    expect(() => resolveProviders(config!, ['customerio'], {})).toThrow(/app_api_key` is not set/);
    expect(() => resolveProviders(config!, ['adobe_target'], {})).toThrow(/client_id` is not set[\s\S]*client_secret` is not set/);
  });

  it('treats an empty variable as missing', async () => {
    const { config } = await checkObject(withProviders(), { env: {} });
    expect(() => resolveProviders(config!, ['customerio'], { ...FULL_ENV, CIO_APP_KEY: '' })).toThrow(/CIO_APP_KEY is not set/);
  });
});
