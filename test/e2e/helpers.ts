// Builders for the end-to-end tests: a throwaway folder with a config, a sandbox on its state dir, command contexts with captured output.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { memoryOutput } from '../../src/cli/io.js';
import type { CommandContext } from '../../src/cli/main.js';
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../src/sandbox/index.js';

export interface TestWorkspace {
  dir: string;
  configFile: string;
  sandbox: RunningSandbox;
  /** Rewrites the config (and optional extra files) in place. */
  writeConfig(yaml: string, files?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

const open: TestWorkspace[] = [];

/** A temp folder with `audiences.yaml` and a sandbox seeded from it (state in .audiences/sandbox). */
export async function openWorkspace(
  yaml: string,
  opts: { files?: Record<string, string>; sandbox?: Omit<StartSandboxOptions, 'stateDir' | 'config'> } = {},
): Promise<TestWorkspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'audiences-e2e-'));
  const configFile = path.join(dir, 'audiences.yaml');
  const writeConfig = async (text: string, files: Record<string, string> = {}) => {
    await writeFile(configFile, text);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
  };
  await writeConfig(yaml, opts.files);
  const started = await startSandbox({ stateDir: path.join(dir, '.audiences', 'sandbox'), config: configFile, seed: 'default', ...opts.sandbox });
  // The Target emulator enforces no rate limit (Adobe documents none), so tests pace its admin API
  // at 50/s instead of the default 5/s; Customer.io keeps its real (and emulated) 10/s.
  const sandbox: RunningSandbox = {
    ...started,
    providers: { ...started.providers, adobe_target: { ...started.providers.adobe_target, rate_limit: 50 } },
  };
  const ws: TestWorkspace = {
    dir,
    configFile,
    sandbox,
    writeConfig,
    close: async () => {
      await started.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  open.push(ws);
  return ws;
}

export async function closeWorkspaces(): Promise<void> {
  await Promise.all(open.splice(0).map((w) => w.close()));
}

export type TestContext = CommandContext & { output: ReturnType<typeof memoryOutput> };

export function buildContext(): TestContext {
  return { output: memoryOutput(), exitCode: 0 };
}

/** HTTP settings that keep retries fast in tests (the sandbox's faults are deterministic). */
export const FAST_HTTP = { retry: { baseDelayMs: 2, maxDelayMs: 10 } };

/** Removes ANSI colour codes (renderers colour only when asked, but be safe in snapshots). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
