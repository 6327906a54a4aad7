// The sync and verify commands end to end against the sandbox (state in a throwaway folder).
import { closeSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryOutput } from '../../src/cli/io.js';
import { runSyncCommand } from '../../src/cli/commands/sync.js';
import { runVerifyCommand } from '../../src/cli/commands/verify.js';
import { buildProgram, reportError } from '../../src/cli/main.js';
import { clearSecrets } from '../../src/model/secrets.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/types.js';
import { SqliteSyncStore } from '../../src/sync/state/sqlite.js';

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
    // Batch files were written beside the state and are gone.
    expect(readdirSync(join(dir, '.audiences', 'sandbox')).filter((n) => n.startsWith('audiences-sync-'))).toEqual([]);
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

describe('sync and verify on bad input: exit 1, a clear message, no stack trace', () => {
  /** Runs the program in-process as main() would, with no platform credentials in the environment. */
  async function cli(args: string[]) {
    const output = memoryOutput();
    const c = { output, exitCode: 0 };
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (/^(CUSTOMERIO_|ADOBE_)/.test(k)) delete process.env[k];
    try {
      await buildProgram(c).parseAsync(['node', 'audiences', ...args]);
    } catch (err) {
      c.exitCode = reportError(err, output);
    } finally {
      process.env = saved;
    }
    expect(output.stderr).not.toMatch(/\n\s+at |This is a bug/);
    return { code: c.exitCode, stderr: output.stderr };
  }
  const stateFile = () => join(dir, '.audiences', 'sandbox', 'sync.db');

  it('a missing config', async () => {
    const r = await cli(['sync', '-c', join(dir, 'nope.yaml')]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('nope.yaml does not exist') });
  });

  it('missing credentials without --sandbox (sync and verify)', async () => {
    for (const args of [['sync'], ['verify', '--profile', 'cust_000001']]) {
      const r = await cli([...args, '-c', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Environment variable CUSTOMERIO_APP_API_KEY is not set');
    }
  });

  it('a state file that is not a database, or is damaged deep inside', async () => {
    mkdirSync(join(dir, '.audiences', 'sandbox'), { recursive: true });
    writeFileSync(stateFile(), 'not a database '.repeat(300));
    const r = await cli(['sync', '-c', file, '--sandbox']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot open the sync state');
    expect(r.stderr).toContain('file is not a database');
    rmSync(stateFile());

    // 3 (incomplete): the manual segment is not applied in this sandbox yet; the state is written anyway.
    expect((await cli(['sync', '-c', file, '--sandbox'])).code).toBe(3);
    // Damage every other page after the header: found when the state is opened, before any upload.
    const size = statSync(stateFile()).size;
    const fd = openSync(stateFile(), 'r+');
    for (let off = 8192; off + 4096 < size; off += 8192) writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, off);
    closeSync(fd);
    const damaged = await cli(['sync', '-c', file, '--sandbox']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/Cannot open the sync state .*malformed/);
  });

  it('a state file in use by another process', async () => {
    const held = new SqliteSyncStore(stateFile());
    try {
      const r = await cli(['sync', '-c', file, '--sandbox']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('is in use by another audiences process');
    } finally {
      held.close();
    }
  });
});
