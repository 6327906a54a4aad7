// Opens what sync and verify work on: the config, both platform clients (real credentials, or an
// in-process sandbox), the sync state store, and the sources built over them.
import path from 'node:path';
import type { Config, ResolvedAdobeTarget, ResolvedCustomerio } from '../config/types.js';
import type { HttpClientOptions } from '../http/types.js';
import { UsageError } from '../model/errors.js';
import type { CustomerioClient } from '../providers/customerio/client.js';
import type { AdobeTargetClient } from '../providers/adobe-target/client.js';
import type { RunningSandbox } from '../sandbox/index.js';
import type { SyncSources } from './sources.js';
import type { SyncStore } from './state/types.js';

export interface SyncSessionOptions {
  /** -c FILE (default ./audiences.yaml). */
  configFile?: string;
  sandbox?: boolean;
  env?: NodeJS.ProcessEnv;
  /** A sandbox the caller runs (tests, bench): used instead of starting one, and not closed. */
  runningSandbox?: RunningSandbox;
  /** Sync state file (default `.audiences/sync.db` beside the config; `.audiences/sandbox/sync.db` with a sandbox). */
  storeFile?: string;
  http?: Partial<Pick<HttpClientOptions, 'retry' | 'sleep' | 'onAttempt' | 'timeoutMs' | 'concurrency'>>;
}

export interface SyncSession {
  config: Config;
  configFile: string;
  cio: CustomerioClient;
  target: AdobeTargetClient;
  store: SyncStore;
  storeFile: string;
  /** Folder only this state's runs use (the state's own; they hold its lock): where batch files go. */
  workDir: string;
  sources: SyncSources;
  sandbox?: RunningSandbox;
  close(): Promise<void>;
}

export async function openSyncSession(opts: SyncSessionOptions): Promise<SyncSession> {
  const configFile = path.resolve(opts.configFile ?? 'audiences.yaml');
  const { loadConfig, resolveProviders, stateDir } = await import('../config/index.js');
  const { config } = await loadConfig(configFile, { env: opts.env });
  if (!config.providers.customerio || !config.providers.adobe_target) {
    throw new UsageError(`${configFile} must declare both providers (customerio and adobe_target) to sync.`, {
      hint: 'Add providers.customerio and providers.adobe_target (see docs/config.md#providers).',
    });
  }

  let resolved: { customerio?: ResolvedCustomerio; adobe_target?: ResolvedAdobeTarget };
  let sandbox: RunningSandbox | undefined = opts.runningSandbox;
  let closeSandbox = async () => {};
  let sandboxDir: string | undefined;
  if (sandbox) {
    resolved = sandbox.providers;
  } else if (opts.sandbox) {
    const { sandboxProviders, defaultSandboxStateDir } = await import('../sandbox/index.js');
    sandboxDir = defaultSandboxStateDir(configFile);
    const started = await sandboxProviders({ configFile, stateDir: sandboxDir });
    sandbox = started.sandbox;
    resolved = started.providers;
    closeSandbox = started.close;
  } else {
    resolved = resolveProviders(config, ['customerio', 'adobe_target'], opts.env ?? process.env);
  }

  try {
    const { CustomerioClient } = await import('../providers/customerio/client.js');
    const { AdobeTargetClient } = await import('../providers/adobe-target/client.js');
    const { customerioSources, targetProfileSink } = await import('./adapters.js');
    const { openSqliteStore } = await import('./state/sqlite.js');
    const cio = new CustomerioClient({ provider: resolved.customerio as ResolvedCustomerio, http: opts.http });
    const target = new AdobeTargetClient({ provider: resolved.adobe_target as ResolvedAdobeTarget, http: opts.http });
    // The sandbox keeps its own sync state, so trying the sandbox never touches the real one.
    const storeFile =
      opts.storeFile ?? (sandboxDir ? path.join(sandboxDir, 'sync.db') : sandbox ? path.join(stateDir(config), 'sandbox', 'sync.db') : path.join(stateDir(config), 'sync.db'));
    const store = openSqliteStore(storeFile);
    const cioSources = customerioSources(cio, config.identity);
    const writeback = Object.values(config.holdouts).some((h) => h.writeback);
    const sources: SyncSources = {
      membership: cioSources,
      traits: cioSources,
      profiles: targetProfileSink(target),
      writeback: writeback ? cioSources : undefined,
    };
    return {
      config,
      configFile,
      cio,
      target,
      store,
      storeFile,
      workDir: path.dirname(storeFile),
      sources,
      sandbox,
      close: async () => {
        store.close();
        await closeSandbox();
      },
    };
  } catch (err) {
    await closeSandbox();
    throw err;
  }
}
