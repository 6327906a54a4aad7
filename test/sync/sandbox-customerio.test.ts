// The Customer.io side of sync over real HTTP against the sandbox: membership paging, attribute
// batches of 100, exports for large populations, holdout write-back through Track identify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerioClient } from '../../src/providers/customerio/client.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { customerioSources } from '../../src/sync/adapters.js';
import { runSync } from '../../src/sync/run-sync.js';
import { SqliteSyncStore } from '../../src/sync/state/sqlite.js';
import { buildConfig, fastPoll, FakeTarget, seg } from './fakes.js';
import { seedWith, setAttribute, setMembers } from './helpers.js';

let sandbox: RunningSandbox;
const people = Array.from({ length: 260 }, (_, i) => ({ id: `p${String(i).padStart(3, '0')}`, attributes: { lifetime_value: String(i * 10) } }));
const ids = people.map((p) => p.id);

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: seedWith(people, {
      101: { name: 'Cart', members: ids.slice(0, 200) },
      104: { name: 'VIP', members: ids.slice(150, 260) },
      107: { name: 'Purchased', members: [] },
    }),
    record: false,
  });
});
afterAll(async () => {
  await sandbox?.close();
});

function config(holdoutWriteback = false) {
  return buildConfig({
    segments: { cart: seg('cart', 101), vip: seg('vip', 104), purchased: seg('purchased', 107) },
    holdouts: { control: { key: 'control', percent: 20, salt: 'x', writeback: holdoutWriteback } },
  });
}

describe('sync with Customer.io over HTTP (sandbox)', () => {
  it('pages membership, reads traits in batches of 100 or by export, and writes holdouts back once', async () => {
    const cio = new CustomerioClient({ provider: sandbox.providers.customerio, http: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } });
    const src = customerioSources(cio, config().identity, { membershipLimit: 70 });
    const target = new FakeTarget();
    const store = new SqliteSyncStore(':memory:');
    const cfg = config(true);
    const run = (over = {}) => runSync({ config: cfg, sources: { membership: src, traits: src, profiles: target, writeback: src }, store, poll: fastPoll, ...over });

    const r1 = await run();
    expect(r1.segments.map((s) => [s.key, s.members])).toEqual([
      ['cart', 200],
      ['vip', 110],
      ['purchased', 0],
    ]);
    expect(r1.profiles.changed).toBe(260);
    expect(target.profiles.get('p170')).toMatchObject({ seg_cart: 'true', seg_vip: 'true', trait_lifetime_value: '1700' });
    expect(target.profiles.get('p255')).toMatchObject({ seg_cart: 'false', seg_vip: 'true', seg_purchased: 'false' });
    expect(r1.writeback.updated).toBe(260);
    const person = sandbox.customerio?.state.people.find((p) => p.id === 'p001');
    expect(['true', 'false']).toContain(person?.attributes.audiences_holdout_control);

    // No change: nothing uploaded, nothing written back.
    const before = target.uploads.length;
    const r2 = await run();
    expect(target.uploads.length).toBe(before);
    expect(r2.writeback.updated).toBe(0);

    // Exits and a trait change propagate; traits via the export path this time.
    setMembers(sandbox, 101, ids.slice(0, 190));
    setAttribute(sandbox, 'p000', 'lifetime_value', '55');
    const r3 = await run({ bulkTraitsAbove: 10 });
    expect(r3.segments[0]).toMatchObject({ key: 'cart', members: 190, exits: 10, entries: 0 });
    expect(target.profiles.get('p195')?.seg_cart).toBe('false');
    expect(target.profiles.get('p000')?.trait_lifetime_value).toBe('55');
    expect(r3.profiles.changed).toBe(11);
    store.close();
  });
});
