// Opens what a platform command works on: the loaded config, its providers (real credentials, or an in-process sandbox with --sandbox), and a way to close them.
import path from 'node:path';
import type { Config, ResolvedAdobeTarget, ResolvedCustomerio } from '../config/types.js';
import type { HttpClientOptions } from '../http/types.js';
import { UsageError } from '../model/errors.js';
import type { PlatformName } from '../plan/types.js';
import type { Provider } from '../providers/types.js';
import type { RunningSandbox } from '../sandbox/index.js';

export interface SessionOptions {
  /** -c FILE; default ./audiences.yaml. */
  configFile?: string;
  /** --sandbox: run against an in-process sandbox instead of the real platforms. */
  sandbox?: boolean;
  /** Environment for credentials (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A sandbox the caller already runs (tests): used instead of starting one, and not closed. */
  runningSandbox?: RunningSandbox;
  /** HTTP overrides passed to every client (tests and bench: retry timings, observers). */
  http?: Partial<Pick<HttpClientOptions, 'retry' | 'sleep' | 'onAttempt' | 'timeoutMs' | 'concurrency'>>;
}

export interface Session {
  config: Config;
  configFile: string;
  /** Platforms the config declares a provider for (and so the plan covers). */
  platforms: PlatformName[];
  providers: Partial<Record<PlatformName, Provider>>;
  sandbox?: RunningSandbox;
  close(): Promise<void>;
}

/** The config path a command reads: -c FILE, or ./audiences.yaml. */
export function resolveConfigPath(file: string | undefined): string {
  return path.resolve(file ?? 'audiences.yaml');
}

/**
 * Loads the config, then opens a provider for each platform it declares. With --sandbox the
 * providers point at an in-process sandbox (state in `.audiences/sandbox` beside the config, seeded
 * from the config the first time) and no credential is needed; otherwise credentials are resolved
 * from the environment for exactly those platforms.
 */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const configFile = resolveConfigPath(opts.configFile);
  const { loadConfig, resolveProviders } = await import('../config/index.js');
  const { config } = await loadConfig(configFile, { env: opts.env });
  const platforms = (['customerio', 'adobe_target'] as const).filter((p) => config.providers[p] !== undefined);
  if (platforms.length === 0) {
    throw new UsageError(`${configFile} declares no provider`, {
      hint: 'Add a `providers:` section with `customerio` and/or `adobe_target` (see docs/config.md#providers).',
    });
  }

  let resolved: { customerio?: ResolvedCustomerio; adobe_target?: ResolvedAdobeTarget };
  let sandbox: RunningSandbox | undefined;
  let closeSandbox = async () => {};
  if (opts.runningSandbox) {
    sandbox = opts.runningSandbox;
    resolved = sandbox.providers;
  } else if (opts.sandbox) {
    const { sandboxProviders } = await import('../sandbox/index.js');
    const started = await sandboxProviders({ configFile, config: config as unknown as Record<string, unknown> });
    sandbox = started.sandbox;
    resolved = started.providers;
    closeSandbox = started.close;
  } else {
    resolved = resolveProviders(config, platforms, opts.env ?? process.env);
  }

  try {
    const providers: Partial<Record<PlatformName, Provider>> = {};
    if (platforms.includes('customerio')) {
      const { CustomerioClient } = await import('../providers/customerio/client.js');
      const { CustomerioProvider } = await import('../providers/customerio/provider.js');
      providers.customerio = new CustomerioProvider({
        client: new CustomerioClient({ provider: resolved.customerio!, http: opts.http }),
        declared: Object.values(config.segments).map((s) => ({ key: s.key, name: s.name, id: s.id })),
      });
    }
    if (platforms.includes('adobe_target')) {
      const { createAdobeTargetProvider } = await import('../providers/adobe-target/provider.js');
      providers.adobe_target = createAdobeTargetProvider({ provider: resolved.adobe_target!, http: opts.http });
    }
    return { config, configFile, platforms, providers, sandbox, close: closeSandbox };
  } catch (err) {
    await closeSandbox();
    throw err;
  }
}

/** Runs `fn` with an open session and always closes it (the sandbox writes its state on close). */
export async function withSession<T>(opts: SessionOptions, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(opts);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
