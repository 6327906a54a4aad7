// drift end to end against the sandbox: exit codes, the history file, size swings, and notifications only when the status changes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runDrift, type DriftDeps, type DriftFlags } from '../../src/cli/commands/drift.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace, type TestWorkspace } from './helpers.js';
import { SMALL_CONFIG } from './small-config.js';

const receivers: http.Server[] = [];
afterEach(async () => {
  await closeWorkspaces();
  for (const s of receivers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A Slack-compatible incoming webhook on loopback that records every post. */
async function startWebhook(): Promise<{ url: string; posts: Array<{ path: string; text: string }> }> {
  const posts: Array<{ path: string; text: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posts.push({ path: req.url!, text: (JSON.parse(body) as { text: string }).text });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receivers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T01/B02/webhooktoken`, posts };
}

async function drift(ws: TestWorkspace, flags: Partial<DriftFlags> = {}, http: DriftDeps["http"] = FAST_HTTP) {
  const ctx = buildContext();
  try {
    const code = await runDrift({ config: ws.configFile, ...flags }, ctx, { runningSandbox: ws.sandbox, http });
    return { code, out: ctx.output.stdout, err: ctx.output.stderr, error: undefined as Error | undefined };
  } catch (error) {
    return { code: 1, out: ctx.output.stdout, err: ctx.output.stderr, error: error as Error };
  }
}

async function apply(ws: TestWorkspace) {
  expect(await runApply(undefined, { config: ws.configFile, autoApprove: true }, buildContext(), { runningSandbox: ws.sandbox, http: FAST_HTTP })).toBe(0);
}

describe('audiences drift', () => {
  it('exits 0 when clean and 2 on out-of-band changes, keeping a history beside the config', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const missing = await drift(ws);
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/^Drift detected in workspace e2e-small: 9 findings\./);
    expect(missing.out).toContain('Missing on the platform:');

    await apply(ws);
    const clean = await drift(ws);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^No drift/);
    expect(clean.out).toMatch(/cart_abandoned_4h\s+\d+/);

    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const vip = (await target.findAudiencesByName('VIP'))[0]!;
    const full = (await target.getAudience(vip.id))!;
    await target.updateAudience(vip.id, { name: 'VIP (UI)', description: full.description, targetRule: full.targetRule });
    const changed = await drift(ws, { format: 'json' });
    expect(changed.code).toBe(2);
    const report = JSON.parse(changed.out) as { status: string; findings: Array<{ category: string; address: string; fields?: string[] }> };
    expect(report.status).toBe('drift');
    expect(report.findings).toEqual([{ category: 'changed', address: 'adobe_target.audience.vip', message: 'differs in name', fields: ['name'] }]);

    const history = JSON.parse(await readFile(path.join(ws.dir, '.audiences', 'sandbox', 'drift-history.json'), 'utf8'));
    expect(history.runs.map((r: { status: string }) => r.status)).toEqual(['drift', 'clean', 'drift']);
    expect(Object.keys(history.runs[1].sizes).sort()).toEqual(['cart_abandoned_4h', 'lapsed_90d', 'vip_high_ltv']);
  });

  it('reports an unowned object that collides with a declared name, and leaves it alone', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const theirs = await target.createContentOffer({ name: 'VIP access', content: '<div>made in the UI</div>' });
    const r = await drift(ws, { format: 'json' });
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as { findings: Array<{ category: string; address: string; message: string }> };
    const collision = report.findings.find((f) => f.category === 'collision');
    expect(collision?.address).toBe('adobe_target.offer.vip_access');
    expect(collision?.message).toContain(`Adobe Target offer ${theirs.id} is named "VIP access"`);
    expect((await target.getContentOffer(theirs.id))!.content).toBe('<div>made in the UI</div>');
  });

  it('flags a segment whose size swings beyond size_swing_pct against recent runs; --history and --keep', async () => {
    const ws = await openWorkspace(SMALL_CONFIG.replace('version: 1\n', 'version: 1\nsync: { size_swing_pct: 40 }\n'));
    await apply(ws);
    const historyFile = path.join(ws.dir, 'ci-cache', 'history.json');
    for (let i = 0; i < 3; i++) expect((await drift(ws, { history: historyFile, keep: 2 })).code).toBe(0);
    const kept = JSON.parse(await readFile(historyFile, 'utf8'));
    expect(kept.runs).toHaveLength(2);

    // Most of the VIP segment's members leave (a broken upstream attribute, say).
    const seg = ws.sandbox.customerio!.state.segments.find((s) => s.id === 104)!;
    const before = seg.members.length;
    seg.members.splice(0, Math.ceil(before * 0.7));
    ws.sandbox.customerio!.markChanged();
    const swung = await drift(ws, { history: historyFile, format: 'json' });
    expect(swung.code).toBe(2);
    const report = JSON.parse(swung.out) as { swings: Array<{ segment: string; baseline: number; current: number; change_pct: number }> };
    expect(report.swings).toHaveLength(1);
    expect(report.swings[0]).toMatchObject({ segment: 'vip_high_ltv', baseline: before, current: seg.members.length });
    expect(report.swings[0]!.change_pct).toBeLessThan(-40);
  });

  it('notifies the webhook only when the status changes, including a failed check', async () => {
    const ws = await openWorkspace(SMALL_CONFIG);
    const hook = await startWebhook();
    await apply(ws);
    expect((await drift(ws, { notify: hook.url })).code).toBe(0);
    expect(hook.posts).toEqual([]); // clean from the start: nothing to say

    const target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
    const offer = (await target.listOffers()).find((o) => o.name === 'VIP access')!;
    await target.deleteContentOffer(offer.id);
    const first = await drift(ws, { notify: hook.url });
    expect(first.code).toBe(2);
    expect(hook.posts).toHaveLength(1);
    expect(hook.posts[0]!.path).toBe('/services/T01/B02/webhooktoken');
    expect(hook.posts[0]!.text).toMatch(/^\*\*audiences drift detected\*\* in `e2e-small`/);
    expect(hook.posts[0]!.text).toContain('`adobe_target.offer.vip_access`: declared in the config but not found on the platform');

    expect((await drift(ws, { notify: hook.url })).code).toBe(2);
    expect(hook.posts).toHaveLength(1); // same drift: no repeat

    ws.sandbox.setFaults({ errorRate: 1 });
    const failed = await drift(ws, { notify: hook.url }, { retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } });
    ws.sandbox.setFaults({ errorRate: 0 });
    expect(failed.error?.message).toMatch(/^(Customer\.io|Adobe Target) \w+ API /);
    expect(failed.code).toBe(1);
    expect(hook.posts).toHaveLength(2);
    expect(hook.posts[1]!.text).toMatch(/^\*\*audiences drift check failed\*\*/);

    await apply(ws);
    expect((await drift(ws, { notify: hook.url })).code).toBe(0);
    expect(hook.posts).toHaveLength(3);
    expect(hook.posts[2]!.text).toMatch(/^\*\*audiences drift: none\*\*/);
    expect((await drift(ws, { notify: hook.url })).code).toBe(0);
    expect(hook.posts).toHaveLength(3);

    const history = JSON.parse(await readFile(path.join(ws.dir, '.audiences', 'sandbox', 'drift-history.json'), 'utf8'));
    expect(history.runs.map((r: { status: string }) => r.status)).toEqual(['clean', 'drift', 'drift', 'error', 'clean', 'clean']);
    expect(history.last_notified.status).toBe('clean');
  });
});
