// Distinctive credentials run through plan, apply, drift (with a webhook) and failures: none may reach stdout, stderr, the plan file, the history or the notification.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runDrift } from '../../src/cli/commands/drift.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { reportError } from '../../src/cli/main.js';
import { HOST_PREFIX } from '../../src/sandbox/types.js';
import { buildContext, closeWorkspaces, openWorkspace, type TestContext } from './helpers.js';

const SECRETS = {
  CIO_KEY: 'cio-app-key-Zq81xQ7vK',
  CIO_SITE: 'site-id-4k2Lm9Pw',
  CIO_TRACK: 'track-key-p09Rt5Yh',
  TGT_ID: 'target-client-id-7h3Nc2Bv',
  TGT_SECRET: 'target-client-secret-m4w2Xs8J',
  TGT_PROFILE: 'profile-token-c5Fg6Hj1',
  HOOK_TOKEN: 'hooktoken-Vb3Nm8Qa2',
};

const receivers: http.Server[] = [];
afterEach(async () => {
  await closeWorkspaces();
  for (const s of receivers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

function configFor(url: string): string {
  return `version: 1
workspace: e2e-secrets
providers:
  customerio:
    region: us
    app_api_key: \${CIO_KEY}
    site_id: \${CIO_SITE}
    track_api_key: \${CIO_TRACK}
    app_url: ${url}${HOST_PREFIX['cio-app']}
    track_url: ${url}${HOST_PREFIX['cio-track']}
  adobe_target:
    tenant: acme
    client_code: acme
    client_id: \${TGT_ID}
    client_secret: \${TGT_SECRET}
    profile_token: \${TGT_PROFILE}
    admin_url: ${url}${HOST_PREFIX['target-admin']}
    edge_url: ${url}${HOST_PREFIX['target-edge']}
    ims_url: ${url}${HOST_PREFIX['target-ims']}
    rate_limit: 50
segments:
  vip_high_ltv: { name: "High LTV VIP", type: data_driven, id: 104 }
audiences:
  vip: { name: "VIP", segment: vip_high_ltv }
offers:
  vip_access: { name: "VIP access", content: '<div>Early access</div>' }
activities:
  vip_strip:
    name: "VIP strip"
    type: xt
    location: vip-strip
    state: saved
    experiences: [ { audience: vip, offer: vip_access } ]
`;
}

describe('secrets', () => {
  it('never appear in any output, file or notification, on success or on failure', async () => {
    // The sandbox accepts exactly these credentials; the config resolves them from the environment
    // (the production path, not --sandbox).
    const ws = await openWorkspace('version: 1\nworkspace: placeholder\n', {
      sandbox: {
        seed: { customerio: { people: [], segments: [{ id: 104, name: 'High LTV VIP', type: 'dynamic', members: [] }] } },
        credentials: {
          customerio: { app_api_key: SECRETS.CIO_KEY, site_id: SECRETS.CIO_SITE, track_api_key: SECRETS.CIO_TRACK },
          adobe_target: { client_id: SECRETS.TGT_ID, client_secret: SECRETS.TGT_SECRET, profile_token: SECRETS.TGT_PROFILE },
        },
      },
    });
    await ws.writeConfig(configFor(ws.sandbox.url));
    const env = { ...process.env, ...SECRETS };
    const posts: string[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (posts.push(body), res.writeHead(200).end('ok')));
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    receivers.push(hook);
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/services/${SECRETS.HOOK_TOKEN}`;

    const contexts: TestContext[] = [];
    const run = async (fn: (ctx: TestContext) => Promise<number>) => {
      const ctx = buildContext();
      contexts.push(ctx);
      try {
        return await fn(ctx);
      } catch (err) {
        return reportError(err, ctx.output);
      }
    };
    const planFile = path.join(ws.dir, 'plan.json');
    const deps = { env, http: { retry: { retries: 0 } } };

    expect(await run((ctx) => runPlan({ config: ws.configFile, out: planFile, format: 'json' }, ctx, deps))).toBe(0);
    expect(await run((ctx) => runApply(planFile, { config: ws.configFile }, ctx, deps))).toBe(0);
    expect(await run((ctx) => runDrift({ config: ws.configFile, notify: hookUrl }, ctx, deps))).toBe(0);
    // Drift appears; the first notification fails (nothing listens there), the next run delivers it.
    await ws.writeConfig(configFor(ws.sandbox.url).replace('"VIP strip"', '"VIP strip v2"'));
    expect(await run((ctx) => runDrift({ config: ws.configFile, notify: `http://127.0.0.1:1/services/${SECRETS.HOOK_TOKEN}` }, ctx, deps))).toBe(1);
    expect(await run((ctx) => runDrift({ config: ws.configFile, notify: hookUrl, format: 'markdown' }, ctx, deps))).toBe(2);
    expect(posts).toHaveLength(1);
    // The platforms answer 5xx.
    ws.sandbox.setFaults({ errorRate: 1 });
    expect(await run((ctx) => runPlan({ config: ws.configFile }, ctx, deps))).toBe(1);
    ws.sandbox.setFaults({ errorRate: 0 });
    // Wrong credentials: the platform refuses them, and the wrong value is a secret too.
    const wrong = { ...env, TGT_SECRET: 'wrong-secret-Ty6Ui9Op' };
    expect(await run((ctx) => runPlan({ config: ws.configFile }, ctx, { ...deps, env: wrong }))).toBe(1);

    const written = [
      ...contexts.flatMap((c) => [c.output.stdout, c.output.stderr]),
      await readFile(planFile, 'utf8'),
      await readFile(path.join(ws.dir, '.audiences', 'drift-history.json'), 'utf8'),
      ...posts,
    ].join('\n----\n');
    // The runs did produce output worth checking: plan JSON, tables, reports, errors.
    expect(written).toContain('"checksum"');
    expect(written).toContain('Apply: 3 succeeded');
    expect(written).toMatch(/Error: .*(Customer\.io|Adobe Target)/);
    expect(written).toMatch(/Error: the drift notification failed/);
    for (const [name, value] of Object.entries({ ...SECRETS, WRONG: 'wrong-secret-Ty6Ui9Op' })) {
      expect(written.includes(value), `${name} leaked`).toBe(false);
      expect(written.includes(Buffer.from(value).toString('base64')), `${name} leaked as base64`).toBe(false);
    }
  });
});
