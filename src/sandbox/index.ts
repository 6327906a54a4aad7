// The sandbox's public API: start the loopback server with both platforms' emulators, seeded and
// persisted, and hand out provider settings that point every client at it.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ResolvedAdobeTarget, ResolvedCustomerio } from '../config/types.js';
import { DEFAULT_FAULTS, mergeFaults } from './faults.js';
import { startSandboxServer, type RecordedExchange } from './server.js';
import { buildDefaultSeed, FIXTURE_SEED_SOURCE, seedSourceFromConfig, type SeedSource } from './seed.js';
import { readJsonFile, writeJsonFile } from './state.js';
import { createCustomerioEmulator, type CustomerioEmulator } from './customerio/index.js';
import { createTargetEmulator, type TargetEmulator } from './adobe-target/index.js';
import {
  HOST_PREFIX,
  SANDBOX_CREDENTIALS,
  type Emulator,
  type EmulatorFactory,
  type FaultSettings,
  type SandboxCredentials,
  type SandboxSeed,
} from './types.js';

export type { RecordedExchange } from './server.js';
export { DEFAULT_FAULTS } from './faults.js';
export { buildDefaultSeed, readSeedSource, seedSourceFromConfig, FIXTURE_SEED_SOURCE, type SeedSource } from './seed.js';

export interface SandboxProviders {
  customerio: ResolvedCustomerio;
  adobe_target: ResolvedAdobeTarget;
}

export interface StartSandboxOptions {
  /** Folder of the persisted state; undefined keeps everything in memory (tests). */
  stateDir?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
  faults?: Partial<FaultSettings>;
  /**
   * What a fresh state dir starts with: 'default' (built from `config`, or a small built-in program),
   * 'none' (empty platforms) or an explicit seed. Ignored when the state dir already holds state.
   */
  seed?: SandboxSeed | 'default' | 'none';
  /** Config the default seed is built from: a file path or a config object (raw or normalized). */
  config?: string | Record<string, unknown>;
  /** Emulators to mount (default: every platform's emulator). */
  emulators?: EmulatorFactory[];
  credentials?: Partial<{ [K in keyof SandboxCredentials]: Partial<SandboxCredentials[K]> }>;
  /** Clock for emulators (tests). */
  now?: () => number;
  /** Record every exchange in `requests` (default true; `sandbox start` turns it off). */
  record?: boolean;
}

export interface RunningSandbox {
  /** Base URL of the server, e.g. http://127.0.0.1:41234 (each host is mounted under HOST_PREFIX). */
  readonly url: string;
  /** Provider settings pointing at this sandbox, with its fake credentials. */
  readonly providers: SandboxProviders;
  /** The live fault settings. */
  readonly faults: Readonly<FaultSettings>;
  /** Changes fault settings from now on (a new seed restarts the fault sequence). */
  setFaults(partial: Partial<FaultSettings>): void;
  /** Every emulator by factory name. */
  readonly emulators: Record<string, Emulator>;
  /** The Customer.io emulator, when mounted. */
  readonly customerio?: CustomerioEmulator;
  /** The Adobe Target emulator, when mounted. */
  readonly adobeTarget?: TargetEmulator;
  /** Every exchange so far (when recording). */
  readonly requests: RecordedExchange[];
  /** Stops serving and writes pending state. */
  close(): Promise<void>;
}

/** Marker written in a seeded state dir: its presence means "load, do not seed". */
const MARKER_FILE = 'sandbox.json';

export const CUSTOMERIO_EMULATOR: EmulatorFactory = { name: 'customerio', create: (ctx) => createCustomerioEmulator(ctx) };

export const ADOBE_TARGET_EMULATOR: EmulatorFactory = {
  name: 'adobe_target',
  create: (ctx) => {
    const emulator = createTargetEmulator(ctx);
    // The Target emulator writes profiles in the background; close waits for them.
    return Object.assign(emulator, { close: emulator.close ?? (() => emulator.flush()) });
  },
};

/** The emulators of every platform that has one. */
export function defaultEmulators(): EmulatorFactory[] {
  return [CUSTOMERIO_EMULATOR, ADOBE_TARGET_EMULATOR];
}

/** The default state folder of a config: `.audiences/sandbox/` beside it. */
export function defaultSandboxStateDir(configFile: string): string {
  return join(dirname(resolve(configFile)), '.audiences', 'sandbox');
}

export async function startSandbox(opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const faults = mergeFaults(DEFAULT_FAULTS, opts.faults);
  const credentials = mergeCredentials(opts.credentials);
  const factories = opts.emulators ?? defaultEmulators();
  const server = await startSandboxServer({
    factories,
    faults,
    credentials,
    stateDir: opts.stateDir,
    port: opts.port,
    now: opts.now,
    record: opts.record,
  });
  try {
    const fresh = !opts.stateDir || (await readJsonFile(join(opts.stateDir, MARKER_FILE))) === undefined;
    if (fresh) {
      const seed = await resolveSeed(opts.seed ?? 'default', opts.config);
      for (const e of Object.values(server.emulators)) e.applySeed?.(seed);
      if (opts.stateDir) {
        for (const e of Object.values(server.emulators)) await e.close?.();
        await writeJsonFile(join(opts.stateDir, MARKER_FILE), opts.stateDir, { version: 1, seeded_at: new Date().toISOString() });
      }
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    url: server.url,
    providers: sandboxProvidersAt(server.url, credentials),
    faults,
    setFaults(partial) {
      const merged = mergeFaults(faults, partial);
      Object.assign(faults, merged);
      if (partial.seed !== undefined) server.reseed();
    },
    emulators: server.emulators,
    customerio: server.emulators.customerio as CustomerioEmulator | undefined,
    adobeTarget: server.emulators.adobe_target as TargetEmulator | undefined,
    requests: server.requests,
    close: () => server.close(),
  };
}

/** Provider settings for a sandbox served at `url` (e.g. one started with `audiences sandbox start`). */
export function sandboxProvidersAt(url: string, credentials: SandboxCredentials = SANDBOX_CREDENTIALS): SandboxProviders {
  const base = url.replace(/\/+$/, '');
  const cio = credentials.customerio;
  const at = credentials.adobe_target;
  return {
    customerio: {
      region: 'us',
      app_api_key: cio.app_api_key,
      site_id: cio.site_id,
      track_api_key: cio.track_api_key,
      app_url: `${base}${HOST_PREFIX['cio-app']}`,
      track_url: `${base}${HOST_PREFIX['cio-track']}`,
      rate_limit: 10,
    },
    adobe_target: {
      tenant: at.tenant,
      client_code: at.client_code,
      client_id: at.client_id,
      client_secret: at.client_secret,
      profile_token: at.profile_token,
      admin_url: `${base}${HOST_PREFIX['target-admin']}`,
      edge_url: `${base}${HOST_PREFIX['target-edge']}`,
      ims_url: `${base}${HOST_PREFIX['target-ims']}`,
      rate_limit: 5,
    },
  };
}

/**
 * What `--sandbox` uses: an in-process sandbox with the config's persisted sandbox state (seeded
 * from that config the first time), and providers that replace the config's own.
 */
export async function sandboxProviders(opts: {
  configFile: string;
  config?: Record<string, unknown>;
  stateDir?: string;
  faults?: Partial<FaultSettings>;
}): Promise<{ providers: SandboxProviders; sandbox: RunningSandbox; close: () => Promise<void> }> {
  const sandbox = await startSandbox({
    stateDir: opts.stateDir ?? defaultSandboxStateDir(opts.configFile),
    config: opts.config ?? opts.configFile,
    seed: 'default',
    faults: opts.faults,
    record: false,
  });
  return { providers: sandbox.providers, sandbox, close: () => sandbox.close() };
}

/** Replaces a state dir's content with a fresh seed (what `audiences sandbox seed` does). */
export async function seedSandbox(opts: { stateDir: string; seed?: SandboxSeed | 'default' | 'none'; config?: string | Record<string, unknown> }): Promise<void> {
  await resetSandbox(opts.stateDir);
  const sandbox = await startSandbox({ stateDir: opts.stateDir, seed: opts.seed ?? 'default', config: opts.config, record: false });
  await sandbox.close();
}

/** Deletes a state dir (what `audiences sandbox reset` does); the next start seeds afresh. */
export async function resetSandbox(stateDir: string): Promise<boolean> {
  if (!existsSync(stateDir)) return false;
  await rm(stateDir, { recursive: true, force: true });
  return true;
}

async function resolveSeed(seed: SandboxSeed | 'default' | 'none', config: string | Record<string, unknown> | undefined): Promise<SandboxSeed> {
  if (seed === 'none') return {};
  if (seed !== 'default') return seed;
  let source: SeedSource = FIXTURE_SEED_SOURCE;
  if (typeof config === 'string') {
    // The config layer validates the file first, so a broken config is reported, not half-seeded.
    const { loadConfig } = await import('../config/index.js');
    source = seedSourceFromConfig((await loadConfig(config)).config as unknown as Record<string, unknown>);
  } else if (config) source = seedSourceFromConfig(config);
  return buildDefaultSeed(source);
}

function mergeCredentials(partial: StartSandboxOptions['credentials']): SandboxCredentials {
  return {
    customerio: { ...SANDBOX_CREDENTIALS.customerio, ...(partial?.customerio ?? {}) },
    adobe_target: { ...SANDBOX_CREDENTIALS.adobe_target, ...(partial?.adobe_target ?? {}) },
  };
}
