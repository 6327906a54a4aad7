// Pure units of sync: identity, holdouts, batch files, desired attributes and diff.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchBuilder, batchHeader, batchLine, parseBatch } from '../../src/sync/batch.js';
import { buildSyncSpec, desiredAttributes, diffProfile, normalizeTrait } from '../../src/sync/compute.js';
import { holdoutBucket, isHeldOut } from '../../src/sync/holdout.js';
import { maskId, rejectReason, resolveIdentity, sha256Hex } from '../../src/sync/identity.js';
import { UNKNOWN_VALUE } from '../../src/sync/state/types.js';
import { buildConfig } from './fakes.js';

describe('identity', () => {
  const person = { id: ' 42 ', email: ' Ann.Lee@Example.COM ', cio_id: 'a300' };

  it('picks the configured identifier, trimmed; emails lowercased', () => {
    expect(resolveIdentity(person, { customerio: 'id', target: 'thirdPartyId', hash: 'none' })).toEqual({ ok: true, key: '42', targetId: '42' });
    expect(resolveIdentity(person, { customerio: 'cio_id', target: 'thirdPartyId', hash: 'none' })).toMatchObject({ targetId: 'a300' });
    const email = resolveIdentity(person, { customerio: 'email', target: 'thirdPartyId', hash: 'sha256' });
    expect(email).toEqual({ ok: true, key: 'ann.lee@example.com', targetId: sha256Hex('ann.lee@example.com') });
    expect(email.ok && email.targetId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects ids Target cannot take', () => {
    expect(rejectReason('a+b@x.com')).toBe('contains_plus');
    expect(rejectReason('a/b')).toBe('contains_slash');
    expect(rejectReason('x'.repeat(129))).toBe('too_long');
    expect(rejectReason('x'.repeat(128))).toBeUndefined();
    expect(rejectReason('')).toBe('empty');
    expect(resolveIdentity({ id: null, cio_id: 'c1' }, { customerio: 'id', target: 'thirdPartyId', hash: 'none' })).toMatchObject({ ok: false, reason: 'missing' });
    // Hashing makes every id acceptable.
    expect(resolveIdentity({ email: 'a+b@x.com' }, { customerio: 'email', target: 'thirdPartyId', hash: 'sha256' }).ok).toBe(true);
  });

  it('masks samples: never the whole id', () => {
    const m = maskId('ann+promo@example.com');
    expect(m.startsWith('ann…(21 chars, sha256:')).toBe(true);
    expect(m).not.toContain('example.com');
  });
});

describe('holdouts', () => {
  it('is deterministic and depends on salt and key', () => {
    expect(holdoutBucket('2026-q4', 'crm-1')).toBe(holdoutBucket('2026-q4', 'crm-1'));
    expect(holdoutBucket('2026-q4', 'crm-1')).toBeGreaterThanOrEqual(0);
    expect(holdoutBucket('2026-q4', 'crm-1')).toBeLessThan(10_000);
    const a = Array.from({ length: 200 }, (_, i) => holdoutBucket('a', `id${i}`));
    const b = Array.from({ length: 200 }, (_, i) => holdoutBucket('b', `id${i}`));
    expect(a).not.toEqual(b);
  });

  it('is a stable known value (same on every machine)', () => {
    // Pinned (computed independently in Python): changing the hash scheme would silently reshuffle every control group.
    expect(holdoutBucket('2026-q4', 'crm-123')).toBe(3646);
  });

  it.each([10, 5, 50, 2.5])('holds out %s%% within ±1 point at 100,000 ids', (percent) => {
    let held = 0;
    for (let i = 0; i < 100_000; i++) if (isHeldOut({ salt: 'salt', percent }, `customer-${i}`)) held += 1;
    expect(Math.abs((held / 100_000) * 100 - percent)).toBeLessThanOrEqual(1);
  });

  it('0% holds out nobody, 100% everybody', () => {
    expect(isHeldOut({ salt: 's', percent: 0 }, 'x')).toBe(false);
    expect(isHeldOut({ salt: 's', percent: 100 }, 'x')).toBe(true);
  });
});

describe('batch files', () => {
  it('writes the header and URL-encoded rows; empty cell only for absent values', () => {
    expect(batchHeader(['seg_cart', 'trait_city'])).toBe('batch=thirdPartyId,seg_cart,trait_city\n');
    expect(batchLine({ thirdPartyId: 'crm 1', values: { seg_cart: 'false', trait_city: 'Köln, DE' } }, ['seg_cart', 'trait_city'])).toBe(
      'crm%201,false,K%C3%B6ln%2C%20DE\n',
    );
    expect(batchLine({ thirdPartyId: 'c', values: { seg_cart: 'true' } }, ['seg_cart', 'trait_city'])).toBe('c,true,\n');
  });

  it('splits by rows and by bytes into files on disk, round-trips; measures only without a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-'));
    try {
      const b = new BatchBuilder(['seg_a'], { maxRows: 3, maxBytes: 1000 }, dir);
      const files = [];
      for (let i = 0; i < 7; i++) {
        const f = b.add({ thirdPartyId: `id${i}`, values: { seg_a: 'true' } });
        if (f) files.push(f);
      }
      const last = b.flush();
      if (last) files.push(last);
      expect(files.map((f) => f.rows)).toEqual([3, 3, 1]);
      expect(files[0]?.firstId).toBe('id0');
      expect(files[0]?.lastId).toBe('id2');
      const second = readFileSync(files[1]?.path ?? '', 'latin1');
      expect(second.length).toBe(files[1]?.bytes);
      expect(parseBatch(second).rows.map((r) => r.thirdPartyId)).toEqual(['id3', 'id4', 'id5']);
      expect(new Set(files.map((f) => f.path)).size).toBe(3);
      if (process.platform !== 'win32') expect(statSync(files[0]?.path ?? '').mode & 0o777).toBe(0o600);

      const small = new BatchBuilder(['seg_a'], { maxRows: 1000, maxBytes: 60 }, dir, 'small');
      const sizes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const f = small.add({ thirdPartyId: `id${i}`, values: { seg_a: 'false' } });
        if (f) sizes.push(statSync(f.path ?? '').size);
      }
      expect(sizes.length).toBeGreaterThan(0);
      for (const s of sizes) expect(s).toBeLessThanOrEqual(60);
      small.discard();

      const measure = new BatchBuilder(['seg_a'], { maxRows: 3, maxBytes: 1000 });
      for (let i = 0; i < 2; i++) measure.add({ thirdPartyId: `id${i}`, values: { seg_a: 'true' } });
      expect(measure.flush()).toEqual({ columns: ['seg_a'], path: undefined, bytes: files[0]!.bytes - 'id2,true\n'.length, rows: 2, firstId: 'id0', lastId: 'id1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('desired attributes and diff', () => {
  const spec = buildSyncSpec(buildConfig());

  it('syncs segments used by audiences and cooldowns only', () => {
    expect(spec.segments.map((s) => s.key)).toEqual(['cart', 'vip', 'purchased']);
  });

  it('gives every synced segment an explicit flag, plus fields and holdouts', () => {
    const d = desiredAttributes(spec, { key: 'p1', segments: ['cart'], traits: { lifetime_value: '42.5' } });
    expect(d).toMatchObject({ seg_cart: 'true', seg_vip: 'false', seg_purchased: 'false', trait_lifetime_value: '42.5' });
    expect(['true', 'false']).toContain(d.holdout_control);
  });

  it('pushes only changes; an exit is an explicit false; unknown values are sent again', () => {
    const base = { targetId: 'p1', key: 'p1', current: true, segments: ['cart'], traits: {}, written: {} };
    const first = diffProfile(spec, { ...base, pushed: {} }, false);
    expect(first.entries).toEqual(['cart']);
    const pushed = first.desired;
    expect(diffProfile(spec, { ...base, pushed }, false).changes).toEqual({});
    const left = diffProfile(spec, { ...base, segments: [], current: false, pushed }, false);
    expect(left.changes).toEqual({ seg_cart: 'false' });
    expect(left.exits).toEqual(['cart']);
    const unsure = diffProfile(spec, { ...base, pushed: { ...pushed, seg_vip: UNKNOWN_VALUE } }, false);
    expect(unsure.changes).toEqual({ seg_vip: 'false' });
    expect(diffProfile(spec, { ...base, pushed }, true).changes).toEqual(pushed);
  });

  it('normalizes trait values', () => {
    expect(normalizeTrait({ type: 'number' }, '420.50')).toBe('420.5');
    expect(normalizeTrait({ type: 'integer' }, ' 3 ')).toBe('3');
    expect(normalizeTrait({ type: 'boolean' }, 'TRUE')).toBe('true');
    expect(normalizeTrait({ type: 'string' }, '')).toBeUndefined();
    expect(normalizeTrait({ type: 'string' }, null)).toBeUndefined();
  });
});
