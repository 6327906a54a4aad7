// runSync against in-memory fakes and a real SQLite store: propagation, idempotence, crash safety.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearSecrets, registerSecret } from '../../src/model/secrets.js';
import { renderSyncHuman } from '../../src/sync/report.js';
import { runSync, type RunSyncOptions, type SyncStage } from '../../src/sync/run-sync.js';
import { SqliteSyncStore } from '../../src/sync/state/sqlite.js';
import { buildConfig, fastPoll, FakeCustomerio, FakeTarget, type SyncConfig } from './fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sync-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  clearSecrets();
});

function setup(config: SyncConfig = buildConfig()) {
  const cio = new FakeCustomerio();
  const target = new FakeTarget();
  const file = join(dir, 'sync.db');
  let store = new SqliteSyncStore(file);
  const run = (over: Partial<RunSyncOptions> = {}) =>
    runSync({ config, sources: { membership: cio, traits: cio, profiles: target, writeback: cio }, store, poll: fastPoll, ...over });
  /** A new process: the old store handle is dropped as a killed process would drop it. */
  const reopen = () => {
    store.close();
    store = new SqliteSyncStore(file);
    return store;
  };
  return { cio, target, run, reopen, store: () => store, config };
}

describe('runSync', () => {
  it('pushes entries, then exits as an explicit "false"; a second sync uploads nothing', async () => {
    const { cio, target, run } = setup();
    cio.set('cart', ['a', 'b', 'c']).set('vip', ['b']).set('purchased', []);
    cio.attributes.set('b', { lifetime_value: '900.00' });
    const r1 = await run();
    expect(r1.status).toBe('ok');
    expect(target.profiles.get('a')).toMatchObject({ seg_cart: 'true', seg_vip: 'false', seg_purchased: 'false' });
    expect(target.profiles.get('b')).toMatchObject({ seg_cart: 'true', seg_vip: 'true', trait_lifetime_value: '900' });
    expect(r1.segments.find((s) => s.key === 'cart')).toEqual({ key: 'cart', members: 3, entries: 3, exits: 0 });
    expect(r1.confirmedMs).toBeGreaterThanOrEqual(0);

    const uploadsBefore = target.uploads.length;
    const r2 = await run();
    expect(target.uploads.length).toBe(uploadsBefore);
    expect(r2.profiles.changed).toBe(0);
    expect(renderSyncHuman(r2)).toContain('No changes');

    cio.set('cart', ['a', 'c']); // b left the cart segment
    const r3 = await run();
    expect(target.profiles.get('b')?.seg_cart).toBe('false');
    expect(r3.segments.find((s) => s.key === 'cart')).toMatchObject({ entries: 0, exits: 1 });
    expect(r3.attributes).toEqual([{ name: 'seg_cart', rows: 1 }]);
    const last = target.uploads.at(-1);
    expect(last?.body).toBe('batch=thirdPartyId,seg_cart\nb,false\n');

    cio.set('vip', []); // b left everything: still gets its explicit false, then drops out of the universe
    await run();
    expect(target.profiles.get('b')?.seg_vip).toBe('false');
    const r5 = await run();
    expect(r5.profiles.universe).toBe(2);
    expect(r5.profiles.changed).toBe(0);
  });

  it('a segment missing on the platform is reported and its flags are left alone (not turned into exits)', async () => {
    const { cio, target, run } = setup();
    cio.set('cart', ['a', 'b']).set('vip', ['a']);
    await run();
    cio.missing.add('cart');
    cio.set('vip', ['a', 'b']);
    const r = await run();
    expect(r.status).toBe('incomplete');
    expect(r.problems.join()).toContain('Segment "cart" does not exist');
    expect(r.segments.map((s) => s.key)).toEqual(['vip', 'purchased']);
    expect(target.profiles.get('b')).toMatchObject({ seg_cart: 'true', seg_vip: 'true' });
    expect(r.attributes).toEqual([{ name: 'seg_vip', rows: 1 }]);
  });

  it('dry-run uploads nothing and changes no state', async () => {
    const { cio, target, run, store } = setup();
    cio.set('cart', ['a', 'b']);
    const r = await run({ dryRun: true });
    expect(r.status).toBe('dry_run');
    expect(target.uploads).toHaveLength(0);
    expect(r.profiles.changed).toBe(2);
    expect(r.batches.map((b) => b.status)).toEqual(['dry_run']);
    expect(store().profileCount()).toBe(0);
    expect(renderSyncHuman(r)).toContain('Dry run: 2 of 2 profiles would be updated');
    // A real run afterwards still sends everything.
    await run();
    expect(target.rowsUploaded()).toBe(2);
  });

  it('reports rejected ids with masked samples and never sends them', async () => {
    const { cio, target, run } = setup(buildConfig({ identity: { customerio: 'email', target: 'thirdPartyId', hash: 'none' } }));
    cio.members_.set('cart', [
      { id: '1', email: 'ok@example.test' },
      { id: '2', email: 'ann+promo@example.test' },
      { id: '3', email: null },
      { id: '4', email: 'x'.repeat(130) },
      { id: '5', email: '  ' },
      { id: '6', email: 'a/b@example.test' },
    ]);
    cio.members_.set('vip', [{ id: '2', email: 'ann+promo@example.test' }]);
    const r = await run();
    expect(r.rejected.total).toBe(5);
    expect(r.rejected.byReason).toEqual({ contains_plus: 1, contains_slash: 1, empty: 1, missing: 1, too_long: 1 });
    expect([...target.profiles.keys()]).toEqual(['ok@example.test']);
    for (const u of target.uploads) expect(u.body.split('\n').slice(1).filter(Boolean).map((l) => l.split(',')[0])).toEqual(['ok%40example.test']);
    const text = renderSyncHuman(r) + JSON.stringify(r);
    expect(text).not.toContain('ann+promo@example.test');
    expect(text).toContain('Rejected ids (not sent to Target): 5');
    expect(renderSyncHuman(r)).toContain('contains_plus: 1 (Target ids must not contain "+")');
  });

  it('holdouts are pushed, counted, and written back only when they change', async () => {
    const config = buildConfig({ holdouts: { control: { key: 'control', percent: 50, salt: 's', writeback: true } } });
    const { cio, target, run } = setup(config);
    const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
    cio.set('cart', ids);
    const r1 = await run();
    const held = [...target.profiles.values()].filter((p) => p.holdout_control === 'true').length;
    expect(r1.holdouts[0]).toMatchObject({ key: 'control', of: 40, heldOut: held });
    expect(held).toBeGreaterThan(5);
    expect(cio.identified).toHaveLength(40);
    expect(cio.identified[0]?.attributes).toHaveProperty('audiences_holdout_control');
    expect(r1.writeback).toEqual({ updated: 40, failed: 0 });
    await run();
    expect(cio.identified).toHaveLength(40);
  });

  it('reads traits in batches of 100', async () => {
    const { cio, run } = setup();
    const ids = Array.from({ length: 250 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    cio.set('cart', ids);
    cio.pageSize = 1000;
    await run();
    expect(cio.readCalls).toBe(3);
  });

  it('splits uploads at the row limit and merges small column sets into one batch', async () => {
    const { cio, target, run } = setup();
    cio.set('cart', ['a', 'b', 'c', 'd', 'e']);
    await run({ limits: { maxRows: 2, maxBytes: 1_000_000 } });
    expect(target.uploads.map((u) => u.rows)).toEqual([2, 2, 1]);
    cio.set('cart', ['a', 'b', 'c', 'd']).set('vip', ['a']);
    cio.attributes.set('b', { lifetime_value: '7' });
    await run();
    const last = target.uploads.at(-1);
    // Three column sets (a: seg_vip; b: trait; e: seg_cart), one upload with empty cells for "unchanged".
    expect(last?.columns).toEqual(['seg_cart', 'seg_vip', 'trait_lifetime_value']);
    expect(last?.rows).toBe(3);
    expect(target.profiles.get('e')?.seg_cart).toBe('false');
    expect(target.profiles.get('b')?.trait_lifetime_value).toBe('7');
  });

  it('reports a stuck batch and sends its rows again next time', async () => {
    const { cio, target, run, store } = setup();
    cio.set('cart', ['a']);
    target.stuck.add('b1');
    const r1 = await run();
    expect(r1.status).toBe('incomplete');
    expect(r1.batches[0]).toMatchObject({ batchId: 'b1', status: 'stuck' });
    expect(r1.problems.join()).toContain('stuck');
    expect(store().profile('a')?.pushed.seg_cart).not.toBe('true');
    const r2 = await run();
    expect(r2.status).toBe('ok');
    expect(target.profiles.get('a')?.seg_cart).toBe('true');
  });

  it('leaves a slow batch pending and resumes polling it next run, without sending it again', async () => {
    const { cio, target, run } = setup();
    cio.set('cart', ['a', 'b']);
    target.pollsToComplete = 1_000_000;
    let t = 0;
    const r1 = await run({ now: () => (t += 1000), poll: { ...fastPoll, timeoutMs: 5000 } });
    expect(r1.status).toBe('incomplete');
    expect(r1.batches[0]?.status).toBe('incomplete');
    target.pollsToComplete = 1;
    const r2 = await run();
    expect(r2.batches[0]).toMatchObject({ batchId: 'b1', status: 'complete', resumed: true });
    expect(target.uploads).toHaveLength(1);
    expect(r2.profiles.changed).toBe(0);
  });

  it('an upload error stops the run; values are sent again next run', async () => {
    const { cio, target, run } = setup();
    cio.set('cart', ['a']);
    target.failUpload = true;
    const r1 = await run();
    expect(r1.status).toBe('incomplete');
    expect(r1.batches[0]?.status).toBe('failed');
    target.failUpload = false;
    await run();
    expect(target.profiles.get('a')?.seg_cart).toBe('true');
  });

  it('streams batches from files it removes, whether the upload succeeds, fails or the run is killed', async () => {
    const { cio, target, run } = setup();
    const work = join(dir, 'work');
    // A batch folder a killed run left behind (customer ids inside): removed by the next run.
    mkdirSync(join(work, 'audiences-sync-stale'), { recursive: true });
    writeFileSync(join(work, 'audiences-sync-stale', 'group-1-1.csv'), 'batch=thirdPartyId,seg_cart\nx,true\n');
    writeFileSync(join(work, 'sync.db-unrelated'), '');
    cio.set('cart', ['a', 'b', 'c', 'd', 'e']);
    const r1 = await run({ workDir: work, limits: { maxRows: 2, maxBytes: 1_000_000 } });
    expect(r1.batches.map((b) => b.rows)).toEqual([2, 2, 1]);
    expect(target.uploads[0]?.body).toMatch(/^batch=thirdPartyId,holdout_control,seg_cart,seg_purchased,seg_vip\na,/);
    expect(readdirSync(work)).toEqual(['sync.db-unrelated']);
    rmSync(join(work, 'sync.db-unrelated'));
    cio.set('cart', ['a']);
    target.failUpload = true;
    expect((await run({ workDir: work })).status).toBe('incomplete');
    expect(readdirSync(work)).toEqual([]);
    target.failUpload = false;
    await expect(run({ workDir: work, afterStage: (s) => { if (s === 'journal') throw new Error('killed'); } })).rejects.toThrow('killed');
    expect(readdirSync(work)).toEqual([]);
  });

  it('never puts a secret into the report or its rendering', async () => {
    const secret = 'sk_live_SUPERSECRET_123';
    registerSecret(secret);
    const { cio, target, run, store } = setup();
    cio.set('cart', ['a']);
    target.failUpload = true;
    const orig = target.upload.bind(target);
    target.upload = async () => {
      throw new Error(`401 for key ${secret}`);
    };
    void orig;
    const r = await run();
    // Nothing redacts the report or the state later: they must be clean as written.
    expect(renderSyncHuman(r) + JSON.stringify(r)).toContain('401 for key');
    expect(renderSyncHuman(r) + JSON.stringify(r)).not.toContain(secret);
    const db = store().db;
    const kept = JSON.stringify([db.prepare('SELECT * FROM runs').all(), db.prepare('SELECT * FROM batches').all()]);
    expect(kept).toContain('401 for key');
    expect(kept).not.toContain(secret);
  });

  const stages: SyncStage[] = ['resume', 'membership', 'traits', 'diff', 'journal', 'upload', 'confirm', 'writeback'];
  it.each(stages)('a sync killed after stage "%s" and run again ends with the right profiles', async (stage) => {
    const config = buildConfig({ holdouts: { control: { key: 'control', percent: 30, salt: 's', writeback: true } } });
    const { cio, target, run, reopen, store } = setup(config);
    cio.set('cart', ['a', 'b', 'c']).set('vip', ['a']);
    cio.attributes.set('a', { lifetime_value: '800' });
    await run();
    // Changes, then a run killed after `stage` (twice for per-batch stages: first and last batch).
    cio.set('cart', ['a', 'd', 'e', 'f']).set('vip', ['d']).set('purchased', ['b']);
    cio.attributes.set('d', { lifetime_value: '600' });
    let fired = 0;
    await expect(
      run({
        limits: { maxRows: 2, maxBytes: 1_000_000 },
        afterStage: (s) => {
          if (s === stage) {
            fired += 1;
            throw new Error(`killed after ${s}`);
          }
        },
      }),
    ).rejects.toThrow(/killed|^$/);
    // A resume stage fires only when there is something to resume; make sure every other one fired.
    if (stage !== 'resume') expect(fired).toBe(1);
    reopen();
    expect(store().lastRuns(1)[0]?.status).toBe('failed');
    const uploadedRowsBefore = target.rowsUploaded();
    const r = await run();
    expect(r.status).toBe('ok');
    const expected: Record<string, Record<string, string>> = {
      a: { seg_cart: 'true', seg_vip: 'false', seg_purchased: 'false', trait_lifetime_value: '800' },
      b: { seg_cart: 'false', seg_vip: 'false', seg_purchased: 'true' },
      c: { seg_cart: 'false', seg_vip: 'false', seg_purchased: 'false' },
      d: { seg_cart: 'true', seg_vip: 'true', seg_purchased: 'false', trait_lifetime_value: '600' },
      e: { seg_cart: 'true', seg_vip: 'false', seg_purchased: 'false' },
      f: { seg_cart: 'true', seg_vip: 'false', seg_purchased: 'false' },
    };
    for (const [id, attrs] of Object.entries(expected)) expect(target.profiles.get(id), id).toMatchObject(attrs);
    // Nothing confirmed before the kill is uploaded again: at most the 6 changed profiles in total.
    const changedAfterKill = target.rowsUploaded() - uploadedRowsBefore;
    expect(changedAfterKill).toBeLessThanOrEqual(6);
    // And a further run has nothing to do.
    const again = await run();
    expect(again.profiles.changed).toBe(0);
    expect(store().lastRuns(1)[0]?.status).toBe('ok');
    expect(again.batches).toHaveLength(0);
    // Write-back reached everyone once the run completed.
    const ids = new Set(cio.identified.map((x) => x.key));
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) expect(ids.has(id), id).toBe(true);
  });
});

describe('SqliteSyncStore', () => {
  it('lets one process at a time use a state file', () => {
    const file = join(dir, 'locked.db');
    const first = new SqliteSyncStore(file);
    try {
      expect(() => new SqliteSyncStore(file)).toThrow(/in use by another audiences process/);
    } finally {
      first.close();
    }
    const again = new SqliteSyncStore(file);
    again.close();
  });
});
