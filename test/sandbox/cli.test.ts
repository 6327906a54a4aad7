// `audiences sandbox start|seed|reset` in-process: the printed URLs and providers snippet, a
// server that answers, seeding from the root config into a state folder, reset, and flag errors.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryOutput } from '../../src/cli/io.js';
import { buildProgram, reportError, type CommandContext } from '../../src/cli/main.js';
import { runSandboxReset, runSandboxSeed, runSandboxStart } from '../../src/cli/commands/sandbox.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'audiences-sandbox-cli-'));
  dirs.push(d);
  return d;
}

function buildCtx(): CommandContext & { output: ReturnType<typeof memoryOutput> } {
  return { output: memoryOutput(), exitCode: 0 };
}

describe('audiences sandbox', () => {
  it('start prints the base URLs and a providers snippet, serves, and saves state on stop', async () => {
    const state = await tempDir();
    const ctx = buildCtx();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const running = runSandboxStart({ config: 'audiences.yaml', state, faults: '{"latencyMs":1}' }, ctx, stopped);
    for (let i = 0; i < 100 && !ctx.output.stdout.includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(ctx.output.stdout)![1];
    expect(ctx.output.stdout).toContain(`Customer.io App API    ${url}/cio/app/v1`);
    expect(ctx.output.stdout).toContain(`    app_url: ${url}/cio/app`);
    expect(ctx.output.stdout).toContain('    app_api_key: ${CUSTOMERIO_APP_API_KEY}');
    expect(ctx.output.stdout).toContain(`    admin_url: ${url}/target/admin`);
    const res = await fetch(`${url}/cio/app/v1/segments/104`, { headers: { authorization: 'Bearer sandbox-cio-app-key' } });
    expect(((await res.json()) as { segment: { name: string } }).segment.name).toBe('High LTV VIP');
    stop();
    expect(await running).toBe(0);
    expect(ctx.output.stdout).toContain('Sandbox stopped; state saved.');
    expect(JSON.parse(readFileSync(join(state, 'customerio', 'customerio.json'), 'utf8')).segments).toHaveLength(7);
  });

  it('seed builds the state from the config; reset deletes it', async () => {
    const state = await tempDir();
    const ctx = buildCtx();
    expect(await runSandboxSeed({ config: 'audiences.yaml', state }, ctx)).toBe(0);
    expect(ctx.output.stdout).toMatch(/Seeded the sandbox in .+ from audiences\.yaml: 7 data-driven segments with members\./);
    expect(existsSync(join(state, 'sandbox.json'))).toBe(true);
    expect(await runSandboxReset({ config: 'audiences.yaml', state }, ctx)).toBe(0);
    expect(existsSync(state)).toBe(false);
    expect(ctx.output.stdout).toContain('the next start seeds afresh');
    await runSandboxReset({ config: 'audiences.yaml', state }, ctx);
    expect(ctx.output.stdout).toContain('nothing to reset');
  });

  it('rejects bad flags with a usage error', async () => {
    for (const [flags, message] of [
      [{ faults: '{oops' }, /--faults is not valid JSON/],
      [{ faults: '{"errorRat":0.1}' }, /unknown key errorRat/],
      [{ faults: '{"errorRate":3}' }, /errorRate must be between 0 and 1/],
      [{ port: 'eighty' }, /--port must be a number/],
    ] as const) {
      const ctx = buildCtx();
      const err = await runSandboxStart({ ...flags, state: await tempDir() }, ctx).catch((e: unknown) => e);
      const out = memoryOutput();
      expect(reportError(err, out)).toBe(1);
      expect(out.stderr).toMatch(message);
      expect(out.stderr).not.toMatch(/bug in audiences/);
    }
  });

  it('says a port is in use instead of reporting a bug', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const err = await runSandboxStart({ port: String(port), state: await tempDir() }, buildCtx()).catch((e: unknown) => e);
      const out = memoryOutput();
      expect(reportError(err, out)).toBe(1);
      expect(out.stderr).toContain(`Error: port ${port} on 127.0.0.1 is already in use`);
      expect(out.stderr).toContain('pick another --port');
      expect(out.stderr).not.toMatch(/bug in audiences|EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('is wired into the CLI', () => {
    const program = buildProgram(buildCtx());
    const sandbox = program.commands.find((c) => c.name() === 'sandbox')!;
    expect(sandbox.commands.map((c) => c.name())).toEqual(['start', 'seed', 'reset']);
  });
});
