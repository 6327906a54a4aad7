// `audiences sandbox start|seed|reset`: serves the embedded Customer.io and Adobe Target emulators
// on 127.0.0.1 with persisted state, and manages that state (seed from the config, or delete it).
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CommandContext, CommandRegistrar } from '../main.js';
import type { FaultSettings } from '../../sandbox/types.js';

export interface SandboxFlags {
  config?: string;
  state?: string;
  port?: string;
  faults?: string;
}

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  const sandbox = program
    .command('sandbox')
    .description('Run and manage the embedded sandbox that emulates Customer.io and Adobe Target on 127.0.0.1');

  sandbox
    .command('start')
    .description('Serve the sandbox until Ctrl-C (state persists in .audiences/sandbox beside the config)')
    .option('-c, --config <file>', 'config the first seed is built from', 'audiences.yaml')
    .option('--port <n>', 'port to listen on (default: any free port)')
    .option('--state <dir>', 'state folder (default: .audiences/sandbox beside the config)')
    .option('--faults <json>', 'fault settings as JSON, e.g. \'{"errorRate":0.1,"latencyMs":50}\'')
    .action(async (flags: SandboxFlags) => {
      ctx.exitCode = await runSandboxStart(flags, ctx);
    });

  sandbox
    .command('seed')
    .description('Replace the sandbox state with a fresh seed built from the config')
    .option('-c, --config <file>', 'config to seed from', 'audiences.yaml')
    .option('--state <dir>', 'state folder (default: .audiences/sandbox beside the config)')
    .action(async (flags: SandboxFlags) => {
      ctx.exitCode = await runSandboxSeed(flags, ctx);
    });

  sandbox
    .command('reset')
    .description('Delete the sandbox state; the next start or --sandbox run seeds afresh')
    .option('-c, --config <file>', 'config whose sandbox state to delete', 'audiences.yaml')
    .option('--state <dir>', 'state folder (default: .audiences/sandbox beside the config)')
    .action(async (flags: SandboxFlags) => {
      ctx.exitCode = await runSandboxReset(flags, ctx);
    });
};

/** Serves until SIGINT/SIGTERM (or `stop` resolves, for tests); returns the exit code. */
export async function runSandboxStart(flags: SandboxFlags, ctx: CommandContext, stop?: Promise<void>): Promise<number> {
  const port = parsePort(flags.port);
  const faults = parseFaults(flags.faults);
  const configFile = path.resolve(flags.config ?? 'audiences.yaml');
  const { startSandbox, defaultSandboxStateDir } = await import('../../sandbox/index.js');
  const stateDir = path.resolve(flags.state ?? defaultSandboxStateDir(configFile));
  const sb = await startSandbox({ stateDir, port, faults, config: existsSync(configFile) ? configFile : undefined, record: false }).catch((err: unknown) => {
    throw listenError(err, port) ?? err;
  });
  const cio = sb.providers.customerio;
  const at = sb.providers.adobe_target;
  ctx.output.out(
    [
      `Sandbox listening on ${sb.url} (state: ${path.relative(process.cwd(), stateDir) || '.'})`,
      '',
      `  Customer.io App API    ${cio.app_url}/v1`,
      `  Customer.io Track API  ${cio.track_url}/api/v1`,
      `  Adobe Target IMS       ${at.ims_url}`,
      `  Adobe Target Admin     ${at.admin_url}`,
      `  Adobe Target edge      ${at.edge_url}`,
      '',
      'To point a config at it, use these providers (credentials are the sandbox\'s fixed fake ones):',
      '',
      'providers:',
      '  customerio:',
      `    app_url: ${cio.app_url}`,
      `    track_url: ${cio.track_url}`,
      '    app_api_key: ${CUSTOMERIO_APP_API_KEY}',
      '    site_id: ${CUSTOMERIO_SITE_ID}',
      '    track_api_key: ${CUSTOMERIO_TRACK_API_KEY}',
      '  adobe_target:',
      `    tenant: ${at.tenant}`,
      `    client_code: ${at.client_code}`,
      `    admin_url: ${at.admin_url}`,
      `    edge_url: ${at.edge_url}`,
      `    ims_url: ${at.ims_url}`,
      '    client_id: ${ADOBE_CLIENT_ID}',
      '    client_secret: ${ADOBE_CLIENT_SECRET}',
      '',
      `export CUSTOMERIO_APP_API_KEY=${cio.app_api_key} CUSTOMERIO_SITE_ID=${cio.site_id} CUSTOMERIO_TRACK_API_KEY=${cio.track_api_key}`,
      `export ADOBE_CLIENT_ID=${at.client_id} ADOBE_CLIENT_SECRET=${at.client_secret}`,
      '',
      'Or run any command with --sandbox to use an in-process sandbox on the same state. Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    void stop?.then(done);
  });
  await sb.close();
  ctx.output.out('\nSandbox stopped; state saved.\n');
  return 0;
}

export async function runSandboxSeed(flags: SandboxFlags, ctx: CommandContext): Promise<number> {
  const configFile = path.resolve(flags.config ?? 'audiences.yaml');
  const { seedSandbox, defaultSandboxStateDir } = await import('../../sandbox/index.js');
  const { loadConfig } = await import('../../config/index.js');
  const { config } = await loadConfig(configFile);
  const stateDir = path.resolve(flags.state ?? defaultSandboxStateDir(configFile));
  await seedSandbox({ stateDir, seed: 'default', config: config as unknown as Record<string, unknown> });
  const segments = Object.values(config.segments).filter((s) => s.type === 'data_driven').length;
  ctx.output.out(`Seeded the sandbox in ${path.relative(process.cwd(), stateDir) || '.'} from ${flags.config ?? 'audiences.yaml'}: ${segments} data-driven segment${segments === 1 ? '' : 's'} with members.\n`);
  return 0;
}

export async function runSandboxReset(flags: SandboxFlags, ctx: CommandContext): Promise<number> {
  const configFile = path.resolve(flags.config ?? 'audiences.yaml');
  const { resetSandbox, defaultSandboxStateDir } = await import('../../sandbox/index.js');
  const stateDir = path.resolve(flags.state ?? defaultSandboxStateDir(configFile));
  const removed = await resetSandbox(stateDir);
  const where = path.relative(process.cwd(), stateDir) || '.';
  ctx.output.out(removed ? `Deleted the sandbox state in ${where}; the next start seeds afresh.\n` : `No sandbox state in ${where}; nothing to reset.\n`);
  return 0;
}

/** A clear message for the listen errors a user can cause (a port in use, a privileged port). */
export function listenError(err: unknown, port: number | undefined): UsageError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new UsageError(`port ${port} on 127.0.0.1 is already in use`, {
      hint: 'Stop what is listening there, pick another --port, or leave --port out to take any free port.',
    });
  }
  if (code === 'EACCES') {
    return new UsageError(`port ${port} on 127.0.0.1 needs more privileges than this user has`, {
      hint: 'Pick a port above 1023, or leave --port out to take any free port.',
    });
  }
  return undefined;
}

function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${raw}".`);
  return Number(raw);
}

const FAULT_KEYS: Array<keyof FaultSettings> = [
  'seed',
  'latencyMs',
  'errorRate',
  'errorStatuses',
  'resetRate',
  'hangRate',
  'hangMs',
  'malformedRate',
  'burst429',
  'quota429',
  'tokenTtlSec',
  'stuckBatchRate',
  'lastPageNext',
  'createStatus',
];

function parseFaults(raw: string | undefined): Partial<FaultSettings> | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError('--faults is not valid JSON.', { hint: `Example: --faults '{"errorRate":0.1,"latencyMs":50}'. Keys: ${FAULT_KEYS.join(', ')}.` });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--faults must be a JSON object.');
  const unknown = Object.keys(value).filter((k) => !FAULT_KEYS.includes(k as keyof FaultSettings));
  if (unknown.length > 0) throw new UsageError(`--faults has unknown key${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}.`, { hint: `Keys: ${FAULT_KEYS.join(', ')}.` });
  return value as Partial<FaultSettings>;
}
