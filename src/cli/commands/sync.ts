// `audiences sync`: pushes segment membership, exported fields and holdouts into Adobe Target
// profiles (only what changed since the last confirmed sync), and reports what it did.
import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CommandContext, CommandRegistrar } from '../main.js';

export interface SyncFlags {
  config?: string;
  sandbox?: boolean;
  full?: boolean;
  dryRun?: boolean;
  format: 'human' | 'json';
}

const FORMATS = ['human', 'json'] as const;

/** Exit code when some batch is not confirmed complete (stuck, slow, failed upload): run again to resume. */
export const EXIT_INCOMPLETE = 3;

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('sync')
    .description('Push segment membership, exported fields and holdouts into Adobe Target profiles')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .option('--sandbox', 'run against an in-process sandbox instead of the real platforms')
    .option('--full', 'push every value again, not only what changed since the last sync')
    .option('--dry-run', 'compute and report what would be pushed; upload nothing')
    .addOption(new Option('--format <format>', 'report format').choices([...FORMATS]).default('human'))
    .addHelpText(
      'after',
      '\nExit codes: 0 every batch confirmed (or dry run), 1 error, 3 some batch not confirmed yet (run sync again to resume).\nState: .audiences/sync.db beside the config (.audiences/sandbox/sync.db with --sandbox).',
    )
    .action(async (flags: SyncFlags) => {
      ctx.exitCode = await runSyncCommand(flags, ctx);
    });
};

export async function runSyncCommand(flags: SyncFlags, ctx: CommandContext, extra: { env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  if (!FORMATS.includes(flags.format)) throw new UsageError(`Unknown format "${flags.format}".`, { hint: 'Use --format human or json.' });
  const { openSyncSession } = await import('../../sync/session.js');
  const { runSync } = await import('../../sync/run-sync.js');
  const { outputProgress } = await import('../../sync/progress.js');
  const { renderSyncHuman } = await import('../../sync/report.js');
  const { redactValue } = await import('../../model/secrets.js');
  const session = await openSyncSession({ configFile: flags.config, sandbox: flags.sandbox, env: extra.env });
  try {
    const report = await runSync({
      config: session.config,
      sources: session.sources,
      store: session.store,
      full: flags.full,
      dryRun: flags.dryRun,
      progress: outputProgress(ctx.output),
      // Batch files go beside the locked state: never left in a shared temp folder by a killed run.
      workDir: session.workDir,
    });
    if (flags.format === 'json') ctx.output.out(`${JSON.stringify(redactValue(report), null, 2)}\n`);
    else ctx.output.out(renderSyncHuman(report));
    return report.status === 'incomplete' ? EXIT_INCOMPLETE : 0;
  } finally {
    await session.close();
  }
}
