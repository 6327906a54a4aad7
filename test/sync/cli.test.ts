// The sync and verify commands end to end against the sandbox (state in a throwaway folder).
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryOutput } from '../../src/cli/io.js';
import { runSyncCommand } from '../../src/cli/commands/sync.js';
import { runVerifyCommand } from '../../src/cli/commands/verify.js';
import { clearSecrets } from '../../src/model/secrets.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/types.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sync-cli-'));
  file = join(dir, 'audiences.yaml');
  copyFileSync(fileURLToPath(new URL('./fixtures/verify.yaml', import.meta.url)), file);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  clearSecrets();
});

const ctx = () => ({ output: memoryOutput(), exitCode: 0 });
const secrets = [SANDBOX_CREDENTIALS.customerio.app_api_key, SANDBOX_CREDENTIALS.customerio.track_api_key, SANDBOX_CREDENTIALS.adobe_target.client_secret];

describe('audiences sync (sandbox)', () => {
  it('syncs the root program, then has nothing to do; json report; no secret in any output', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    copyFileSync(join(root, 'audiences.yaml'), file);
    cpSync(join(root, 'offers'), join(dir, 'offers'), { recursive: true });
    const c1 = ctx();
    expect(await runSyncCommand({ config: file, sandbox: true, format: 'human' }, c1)).toBe(0);
    expect(c1.output.stdout).toMatch(/Sync complete: \d+ profiles uploaded in 1 batch\(es\)/);
    expect(c1.output.stdout).toContain('seg_vip_high_ltv');
    expect(c1.output.stderr).toContain('sync: diff');
    const c2 = ctx();
    expect(await runSyncCommand({ config: file, sandbox: true, format: 'json' }, c2)).toBe(0);
    const report = JSON.parse(c2.output.stdout);
    expect(report).toMatchObject({ status: 'ok', profiles: { changed: 0, uploaded: 0 }, batches: [] });
    const c3 = ctx();
    expect(await runSyncCommand({ config: file, sandbox: true, format: 'human', full: true, dryRun: true }, c3)).toBe(0);
    expect(c3.output.stdout).toContain('Dry run:');
    for (const c of [c1, c2, c3]) for (const s of secrets) expect(c.output.stdout + c.output.stderr).not.toContain(s);
  });
});

describe('audiences verify (sandbox)', () => {
  it('applies the contract to the sandbox, then shows the experience switching with the segment', async () => {
    const c = ctx();
    const code = await runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', format: 'human', timeout: '20' }, c);
    expect(c.output.stdout).toContain('Verified: Target serves what the contract says, and the experience switches with the segment.');
    expect(code).toBe(0);
    expect(c.output.stdout).toMatch(/ok {3}in {5}in segment .*served qa_banner/);
    // json report, second run (already applied)
    const j = ctx();
    expect(await runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', format: 'json', timeout: '20' }, j)).toBe(0);
    const r = JSON.parse(j.output.stdout);
    expect(r.phases.map((p: { served: { offer?: string } }) => p.served.offer)).toEqual(['default_hero', 'qa_banner', 'default_hero']);
    expect(r.switched).toBe(true);
    for (const s of secrets) expect(c.output.stdout + c.output.stderr + j.output.stdout).not.toContain(s);
  });

  it('verifies the QA program of examples/verify-qa.yaml: the experience switches before, in and after', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    copyFileSync(join(root, 'examples', 'verify-qa.yaml'), file);
    const c = ctx();
    const code = await runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', format: 'json', timeout: '20' }, c);
    const r = JSON.parse(c.output.stdout);
    expect(r).toMatchObject({ segment: 'qa_testers', location: 'audiences-verify', switched: true, ok: true });
    expect(r.phases.map((p: { name: string; member: boolean; targetFlag?: string; served: { offer?: string } }) => [p.name, p.member, p.targetFlag, p.served.offer])).toEqual([
      ['before', false, 'false', 'qa_out'],
      ['in', true, 'true', 'qa_in'],
      ['after', false, 'false', 'qa_out'],
    ]);
    expect(code).toBe(0);
  });

  it('on a program without a manual segment (the root audiences.yaml), says how to verify', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    copyFileSync(join(root, 'audiences.yaml'), file);
    cpSync(join(root, 'offers'), join(dir, 'offers'), { recursive: true });
    const err = await runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', format: 'human', timeout: '5' }, ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.stringMatching(/No manual segment drives an activity/), hint: expect.stringContaining('examples/verify-qa.yaml') });
  });

  it('exits 1 when Target does not serve what the contract says', async () => {
    expect(await runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', format: 'json', timeout: '20' }, ctx())).toBe(0);
    // The contract now promises another offer to QA testers, but Target still has the applied one.
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ audience: qa, offer: qa_banner }', '{ audience: qa, offer: vip_hero }'));
    const c = ctx();
    const code = await runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', format: 'human', timeout: '1' }, c, {
      ensureApplied: async () => {},
    });
    expect(code).toBe(1);
    expect(c.output.stdout).toContain('NOT verified');
    expect(c.output.stdout).toContain('Delivery served offer qa_banner, the contract says offer vip_hero');
  });

  it('refuses to run against platforms that do not match the contract (no apply outside the sandbox)', async () => {
    const { ensureApplied } = await import('../../src/cli/commands/verify.js');
    const { openSyncSession } = await import('../../src/sync/session.js');
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const sandbox = await startSandbox({ config: file, record: false });
    const session = await openSyncSession({ configFile: file, runningSandbox: sandbox, storeFile: join(dir, 's.db') });
    try {
      // Outside --sandbox the platforms are only checked, never applied to.
      await expect(ensureApplied(session, { apply: false })).rejects.toThrow(/do not match/);
    } finally {
      await session.close();
      await sandbox.close();
    }
  });

  it('refuses a data-driven segment', async () => {
    await expect(
      runVerifyCommand({ config: file, sandbox: true, profile: 'cust_000001', segment: 'vip_high_ltv', format: 'human', timeout: '5' }, ctx()),
    ).rejects.toThrow(/data-driven/);
  });
});
