// True end-to-end runs of `node bin/audiences.js` (built by `npm run build`) on a copy of the root program with --sandbox: exit codes, messages, no stack traces.
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'audiences.js');
let dir: string;

/** Runs the CLI with no credentials in the environment and stdin not a terminal. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CUSTOMERIO_|ADOBE_|FORCE_COLOR)/.test(k)));
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: { ...clean, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // tsc emits even when some file in the tree has a type error; the runs below show whether the CLI works.
  }
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiences-cli-'));
  await cp(path.join(ROOT, 'audiences.yaml'), path.join(dir, 'audiences.yaml'));
  await cp(path.join(ROOT, 'offers'), path.join(dir, 'offers'), { recursive: true });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('node bin/audiences.js', () => {
  it('plan --sandbox shows the root program and exits 2 with --detailed-exitcode', () => {
    const r = cli(['plan', '--sandbox', '--detailed-exitcode']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Plan: 25 to create, 0 to update, 0 to delete, 0 to replace, 0 manual.');
    expect(cli(['plan', '--sandbox']).code).toBe(0);
  });

  it('apply refuses without a terminal or --auto-approve, then applies, and the next plan is empty', () => {
    const refused = cli(['apply', '--sandbox']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error: apply needs a confirmation, and there is no terminal to ask on');
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const applied = cli(['apply', '--sandbox', '--auto-approve']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Apply: 25 succeeded, 0 failed, 0 skipped.');
    expect(applied.stdout).toContain('Re-plan: no changes left');

    const after = cli(['plan', '--sandbox', '--detailed-exitcode']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('Read-only references (Customer.io data-driven segments');
    expect(after.stdout.endsWith('\nNo changes. The platforms match audiences.yaml.\n')).toBe(true);
    const drift = cli(['drift', '--sandbox']);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toMatch(/^No drift/);
  });

  it('refuses a stale plan file with exit 1', async () => {
    expect(cli(['plan', '--sandbox', '--out', 'plan.json']).code).toBe(0);
    const yaml = await readFile(path.join(dir, 'audiences.yaml'), 'utf8');
    await writeFile(path.join(dir, 'audiences.yaml'), yaml.replace('"Default hero"', '"Default hero v2"'));
    const r = cli(['apply', '--sandbox', 'plan.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: stale plan: plan\.json was made from a different audiences\.yaml/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const drift = cli(['drift', '--sandbox']);
    expect(drift.code).toBe(2);
    await writeFile(path.join(dir, 'audiences.yaml'), yaml);
  });

  it('errors are one clear message with exit 1: missing file, missing credentials', () => {
    const missing = cli(['plan', '-c', 'nope.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);

    const noCreds = cli(['plan']);
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toContain('Missing provider settings');
    expect(noCreds.stderr).toContain('CUSTOMERIO_APP_API_KEY');
    expect(noCreds.stderr).not.toMatch(/\n\s+at /);
  });
});
