// Saved plan files: format round trip, config hash without credentials, stale-plan refusal.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertPlanFresh,
  buildPlanFile,
  hashConfig,
  parsePlanFile,
  readPlanFile,
  stableStringify,
  writePlanFile,
} from '../../src/apply/plan-file.js';
import type { Config } from '../../src/config/types.js';
import { GuardError, StateError } from '../../src/model/errors.js';
import { clearSecrets, registerSecret } from '../../src/model/secrets.js';

const dirs: string[] = [];
afterEach(async () => {
  clearSecrets();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function buildConfig(over: Partial<Config> = {}): Config {
  return {
    version: 1,
    workspace: 'acme',
    source: { file: '/a/audiences.yaml', dir: '/a' },
    providers: {
      customerio: {
        region: 'us',
        app_api_key: { template: 'literal-key-1234567', vars: [] },
        app_url: 'https://api.customer.io',
        track_url: 'https://track.customer.io',
        rate_limit: 10,
      },
    },
    identity: { customerio: 'id', target: 'thirdPartyId', hash: 'none' },
    sync: { max_latency: { text: '30m', ms: 1_800_000 }, size_swing_pct: 50 },
    fields: {},
    segments: {},
    audiences: {},
    precedence: [],
    holdouts: {},
    cooldowns: {},
    offers: { a: { key: 'a', name: 'A', content: '<p>a</p>', previous_keys: [] } },
    activities: {},
    moved: [],
    ...over,
  };
}

const SUM = 'a'.repeat(64);

describe('hashConfig', () => {
  it('ignores where the config lives and which credentials it names, but sees every declared object', () => {
    const base = hashConfig(buildConfig());
    expect(hashConfig(buildConfig({ source: { file: '/elsewhere/x.yaml', dir: '/elsewhere' } }))).toBe(base);
    const otherKey = buildConfig();
    otherKey.providers.customerio!.app_api_key = { template: 'another-key-999999', vars: [] };
    expect(hashConfig(otherKey)).toBe(base);
    const otherOffer = buildConfig({ offers: { a: { key: 'a', name: 'A', content: '<p>b</p>', previous_keys: [] } } });
    expect(hashConfig(otherOffer)).not.toBe(base);
    const otherRate = buildConfig();
    otherRate.providers.customerio!.rate_limit = 5;
    expect(hashConfig(otherRate)).not.toBe(base);
  });

  it('stableStringify sorts keys at every level and drops undefined', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { z: 1, y: undefined, x: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":2,"z":1}]},"b":1}');
  });
});

describe('plan file', () => {
  it('round-trips through disk and redacts registered secrets', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'planfile-'));
    dirs.push(dir);
    registerSecret('sekret-value-42');
    const file = path.join(dir, 'sub', 'plan.json');
    const plan = buildPlanFile({
      workspace: 'acme',
      configHash: 'c'.repeat(64),
      checksum: SUM,
      summary: { create: 1 },
      changes: [{ address: 'adobe_target.offer.a', after: { content: 'has sekret-value-42 inside' } }],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    await writePlanFile(file, plan);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('sekret-value-42');
    const back = await readPlanFile(file);
    expect(back.checksum).toBe(SUM);
    expect(back.created_at).toBe('2026-01-01T00:00:00.000Z');
    expect(back.changes).toHaveLength(1);
  });

  it('names a directory given as --out, leaving no temp file behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'planfile-'));
    dirs.push(dir);
    const target = path.join(dir, 'a-folder');
    await mkdir(target);
    const plan = buildPlanFile({ workspace: 'acme', configHash: 'c'.repeat(64), checksum: SUM, summary: {}, changes: [] });
    await expect(writePlanFile(target, plan)).rejects.toThrow(/cannot write the plan file .*a-folder: EISDIR/);
    expect(await readdir(dir)).toEqual(['a-folder']);
  });

  it('refuses a missing file, non-JSON, a foreign JSON file and another major format', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'planfile-'));
    dirs.push(dir);
    await expect(readPlanFile(path.join(dir, 'nope.json'))).rejects.toThrow(/does not exist/);
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{nope');
    await expect(readPlanFile(bad)).rejects.toBeInstanceOf(StateError);
    expect(() => parsePlanFile('{"format_version":"1.0","changes":[]}')).toThrow(/not a plan file of audiences/);
    expect(() => parsePlanFile('{"tool":"audiences","format_version":"2.0","checksum":"x","config_hash":"y","changes":[]}')).toThrow(/format 2.0/);
    expect(() => parsePlanFile('{"tool":"audiences","format_version":"1.3","config_hash":"y","changes":[]}')).toThrow(/damaged/);
  });
});

describe('assertPlanFresh', () => {
  it('passes when config and checksum match (case and whitespace of the checksum do not matter)', () => {
    expect(() => assertPlanFresh({ checksum: ` ${SUM.toUpperCase()} `, configHash: 'h', source: 'plan.json' }, { checksum: SUM, configHash: 'h' })).not.toThrow();
  });

  it('refuses a plan made from another config', () => {
    expect(() => assertPlanFresh({ checksum: SUM, configHash: 'old', source: 'plan.json' }, { checksum: SUM, configHash: 'new' })).toThrow(
      /stale plan: plan.json was made from a different audiences.yaml/,
    );
  });

  it('refuses a checksum that no longer matches, naming both', () => {
    let err: unknown;
    try {
      assertPlanFresh({ checksum: SUM, source: '--checksum' }, { checksum: 'b'.repeat(64), configHash: 'h' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GuardError);
    expect((err as GuardError).message).toMatch(/stale plan: the platforms changed since --checksum was made \(checksum aaaaaaaaaaaa… planned, bbbbbbbbbbbb… now\)/);
    expect((err as GuardError).hint).toMatch(/Nothing was applied/);
  });

  it('refuses a checksum that is not 64 hex digits', () => {
    expect(() => assertPlanFresh({ checksum: 'abc', source: '--checksum' }, { checksum: SUM, configHash: 'h' })).toThrow(/not a sha256 checksum/);
  });
});
