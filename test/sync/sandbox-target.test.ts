// Sync end to end over real HTTP against the sandbox (both platforms): entries and exits reach
// Target profiles, no-change runs upload nothing, kills at every stage recover, stuck batches,
// rejected ids, dry runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { CustomerioClient } from '../../src/providers/customerio/client.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import type { TargetEmulator } from '../../src/sandbox/adobe-target/index.js';
import { customerioSources, targetProfileSink } from '../../src/sync/adapters.js';
import { runSync, type RunSyncOptions, type SyncStage } from '../../src/sync/run-sync.js';
import { SqliteSyncStore } from '../../src/sync/state/sqlite.js';
import type { SyncStore } from '../../src/sync/state/types.js';
import { buildConfig, seg, type SyncConfig } from './fakes.js';
import { seedWith, setAttribute, setMembers } from './helpers.js';

const people = Array.from({ length: 30 }, (_, i) => ({ id: `u${String(i).padStart(2, '0')}`, attributes: { lifetime_value: String(100 * i) } }));
const ids = people.map((p) => p.id);
const http = { retry: { baseDelayMs: 1, maxDelayMs: 5 } };
const poll = { intervalMs: 50, maxIntervalMs: 100, timeoutMs: 20_000 };

function config(over: Partial<SyncConfig> = {}): SyncConfig {
  return buildConfig({
    segments: { cart: seg('cart', 101), vip: seg('vip', 104), purchased: seg('purchased', 107) },
    ...over,
  });
}

async function fresh(): Promise<{ sandbox: RunningSandbox; target: AdobeTargetClient; run: (o?: Partial<RunSyncOptions>) => ReturnType<typeof runSync>; store: () => SyncStore; reopen(): void; close(): Promise<void>; emu: TargetEmulator }> {
  const sandbox = await startSandbox({
    seed: seedWith(people, {
      101: { name: 'Cart', members: ids.slice(0, 10) },
      104: { name: 'VIP', members: ids.slice(5, 15) },
      107: { name: 'Purchased', members: [] },
    }),
    record: false,
  });
  const cio = new CustomerioClient({ provider: sandbox.providers.customerio, http });
  const target = new AdobeTargetClient({ provider: sandbox.providers.adobe_target, http });
  const dir = mkdtempSync(join(tmpdir(), 'sync-sbx-'));
  const storeFile = join(dir, 'sync.db');
  let store: SyncStore = new SqliteSyncStore(storeFile);
  const cfg = config();
  const src = customerioSources(cio, cfg.identity);
  return {
    sandbox,
    target,
    emu: sandbox.adobeTarget as TargetEmulator,
    run: (o = {}) => runSync({ config: cfg, sources: { membership: src, traits: src, profiles: targetProfileSink(target) }, store, poll, ...o }),
    store: () => store,
    /** A new process: the killed run's connection (and its TEMP tables) are gone. */
    reopen() {
      store.close();
      store = new SqliteSyncStore(storeFile);
    },
    close: async () => {
      store.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function profileOf(target: AdobeTargetClient, id: string): Promise<Record<string, string>> {
  const p = await target.getProfile(id);
  return Object.fromEntries(Object.entries(p?.attributes ?? {}).map(([k, v]) => [k, v.value]));
}

describe('sync against the sandbox (both platforms over HTTP)', () => {
  let env: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    env = await fresh();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('propagates entries, traits and holdouts; exits as an explicit "false"; no-change runs upload nothing', async () => {
    const r1 = await env.run();
    expect(r1.status).toBe('ok');
    expect(r1.batches.every((b) => b.status === 'complete' && b.batchId)).toBe(true);
    expect(r1.confirmedMs).toBeGreaterThan(0);
    expect(await profileOf(env.target, 'u07')).toMatchObject({ seg_cart: 'true', seg_vip: 'true', seg_purchased: 'false', trait_lifetime_value: '700' });
    expect(['true', 'false']).toContain((await profileOf(env.target, 'u07')).holdout_control);

    const batchesBefore = env.emu.state.batches().length;
    const r2 = await env.run();
    expect(env.emu.state.batches().length).toBe(batchesBefore);
    expect(r2.profiles.changed).toBe(0);

    setMembers(env.sandbox, 101, ids.slice(0, 8)); // u08 and u09 leave the cart segment
    setMembers(env.sandbox, 107, ['u08']);
    setAttribute(env.sandbox, 'u07', 'lifetime_value', '750');
    const r3 = await env.run();
    expect(r3.segments.find((s) => s.key === 'cart')).toMatchObject({ members: 8, entries: 0, exits: 2 });
    expect(r3.segments.find((s) => s.key === 'purchased')).toMatchObject({ members: 1, entries: 1 });
    expect(await profileOf(env.target, 'u09')).toMatchObject({ seg_cart: 'false', seg_vip: 'true' });
    expect(await profileOf(env.target, 'u08')).toMatchObject({ seg_cart: 'false', seg_purchased: 'true' });
    expect((await profileOf(env.target, 'u07')).trait_lifetime_value).toBe('750');
    expect(r3.attributes).toEqual([
      { name: 'seg_cart', rows: 2 },
      { name: 'seg_purchased', rows: 1 },
      { name: 'trait_lifetime_value', rows: 1 },
    ]);
    const r4 = await env.run();
    expect(r4.profiles.changed).toBe(0);
  });

  it('dry-run uploads nothing', async () => {
    setMembers(env.sandbox, 104, ids.slice(5, 20));
    const before = env.emu.state.batches().length;
    const r = await env.run({ dryRun: true });
    expect(r.profiles.changed).toBe(5);
    expect(env.emu.state.batches().length).toBe(before);
    expect((await profileOf(env.target, 'u16')).seg_vip).toBeUndefined();
  });

  it('reports a stuck batch, and the next sync sends its rows again', async () => {
    env.sandbox.setFaults({ stuckBatchRate: 1 });
    const r1 = await env.run();
    expect(r1.status).toBe('incomplete');
    expect(r1.batches.map((b) => b.status)).toEqual(['stuck']);
    env.sandbox.setFaults({ stuckBatchRate: 0 });
    const r2 = await env.run();
    expect(r2.status).toBe('ok');
    expect(r2.profiles.changed).toBe(5);
    expect((await profileOf(env.target, 'u16')).seg_vip).toBe('true');
  });
});

describe('a sync killed at each stage and run again (sandbox over HTTP)', () => {
  const stages: SyncStage[] = ['membership', 'traits', 'diff', 'journal', 'upload', 'confirm'];
  it.each(stages)('killed after "%s"', async (stage) => {
    const env = await fresh();
    try {
      await env.run();
      setMembers(env.sandbox, 101, ['u00', 'u01', 'u20', 'u21', 'u22']);
      setMembers(env.sandbox, 107, ['u02']);
      await expect(
        env.run({
          limits: { maxRows: 4, maxBytes: 1_000_000 },
          mergeBelowRows: 1,
          afterStage: (s) => {
            if (s === stage) throw new Error(`killed after ${s}`);
          },
        }),
      ).rejects.toThrow('killed');
      env.reopen();
      const uploadsBefore = env.emu.state.batches().reduce((a, b) => a + b.batchSize, 0);
      const r = await env.run();
      expect(r.status).toBe('ok');
      const resent = env.emu.state.batches().reduce((a, b) => a + b.batchSize, 0) - uploadsBefore;
      // Exactly the changed profiles, at most once more: u02..u09 left cart (8), u20..u22 entered (3); u02 also purchased.
      expect(resent).toBeLessThanOrEqual(11);
      for (const id of ['u00', 'u01', 'u20', 'u21', 'u22']) expect((await profileOf(env.target, id)).seg_cart, id).toBe('true');
      for (const id of ['u02', 'u05', 'u09']) expect((await profileOf(env.target, id)).seg_cart, id).toBe('false');
      expect((await profileOf(env.target, 'u02')).seg_purchased).toBe('true');
      expect((await env.run()).profiles.changed).toBe(0);
    } finally {
      await env.close();
    }
  });
});

describe('rejected ids (sandbox)', () => {
  it('are reported and never sent', async () => {
    const sandbox = await startSandbox({
      seed: {
        customerio: {
          people: [
            { id: '1', email: 'ok@example.test' },
            { id: '2', email: 'ann+promo@example.test' },
            { id: '3', email: 'a/b@example.test' },
          ],
          segments: [{ id: 101, name: 'Cart', type: 'dynamic', members: ['1', '2', '3'] }],
        },
      },
      record: false,
    });
    try {
      const cfg = config({ identity: { customerio: 'email', target: 'thirdPartyId', hash: 'none' }, segments: { cart: seg('cart', 101) }, cooldowns: {}, audiences: { a: { key: 'a', name: 'A', segment: 'cart', where: [], previous_keys: [] } } });
      const cio = new CustomerioClient({ provider: sandbox.providers.customerio, http });
      const target = new AdobeTargetClient({ provider: sandbox.providers.adobe_target, http });
      const src = customerioSources(cio, cfg.identity);
      const store = new SqliteSyncStore(':memory:');
      const r = await runSync({ config: cfg, sources: { membership: src, traits: src, profiles: targetProfileSink(target) }, store, poll });
      store.close();
      expect(r.rejected).toMatchObject({ total: 2, byReason: { contains_plus: 1, contains_slash: 1 } });
      expect(r.profiles.uploaded).toBe(1);
      const emu = sandbox.adobeTarget as TargetEmulator;
      expect(emu.state.profileCount()).toBe(1);
      expect(JSON.stringify(r)).not.toContain('ann+promo');
    } finally {
      await sandbox.close();
    }
  });
});
