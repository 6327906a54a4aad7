// `audiences plan`: reads both platforms, compares them with audiences.yaml and shows what apply would change; never writes to a platform.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CommandContext, CommandRegistrar } from '../main.js';
import type { SessionOptions } from '../session.js';

export type PlanFormat = 'human' | 'markdown' | 'json';
export const PLAN_FORMATS: readonly PlanFormat[] = ['human', 'markdown', 'json'];

export interface PlanFlags {
  config?: string;
  sandbox?: boolean;
  out?: string;
  format?: PlanFormat;
  detailedExitcode?: boolean;
}

/** What tests (and composing commands) may inject instead of the process defaults. */
export type CommandDeps = Pick<SessionOptions, 'runningSandbox' | 'env' | 'http'>;

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('plan')
    .description('Show what apply would change on Customer.io and Adobe Target (reads only)')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .option('--sandbox', 'run against an in-process sandbox instead of the real platforms')
    .option('--out <file>', 'save the plan to FILE for `audiences apply FILE`')
    .addOption(new Option('--format <format>', 'output format').choices([...PLAN_FORMATS]).default('human'))
    .option('--detailed-exitcode', 'exit 2 when there are changes')
    .addHelpText('after', '\nExit codes: 0 succeeded (no changes, or changes without --detailed-exitcode), 1 error, 2 changes present (--detailed-exitcode).')
    .action(async (flags: PlanFlags) => {
      ctx.exitCode = await runPlan(flags, ctx);
    });
};

/** Plans and prints; returns the exit code. */
export async function runPlan(flags: PlanFlags, ctx: CommandContext, deps: CommandDeps = {}): Promise<number> {
  const format = flags.format ?? 'human';
  if (!PLAN_FORMATS.includes(format)) {
    throw new UsageError(`Unknown format "${String(format)}".`, { hint: 'Use --format human, markdown or json.' });
  }
  const { withSession } = await import('../session.js');
  const { refreshPlan } = await import('../../apply/refresh-plan.js');
  const { renderPlan } = await import('../render-plan.js');

  return withSession({ configFile: flags.config, sandbox: flags.sandbox, ...deps }, async (session) => {
    const refreshed = await refreshPlan(session.config, session.providers, session.platforms);
    const { plan } = refreshed;
    ctx.output.out(await renderPlan(plan, format, ctx.output.color));
    // Notes go to stderr when stdout carries a machine-readable or PR-comment format.
    const note = (text: string) => (format === 'human' ? ctx.output.out(text) : ctx.output.err(text));
    if (flags.out) {
      const { buildPlanFile, hashConfig, writePlanFile } = await import('../../apply/plan-file.js');
      const { countManaged } = await import('../../plan/guards.js');
      const file = path.resolve(flags.out);
      await writePlanFile(
        file,
        buildPlanFile({
          workspace: session.config.workspace,
          configHash: hashConfig(session.config),
          checksum: plan.checksum,
          summary: { ...plan.summary },
          managedObjects: countManaged(refreshed.existing, session.platforms),
          changes: plan.changes,
        }),
      );
      note(`\nSaved the plan to ${flags.out}. To perform exactly these changes, run: audiences apply ${flags.out}\n`);
    } else if (plan.changes.length > 0) {
      note(`\nPlan checksum: ${plan.checksum}\nTo apply only if nothing changed meanwhile, run: audiences apply --checksum ${plan.checksum}\n`);
    }
    if (plan.changes.length === 0) return 0;
    return flags.detailedExitcode ? 2 : 0;
  });
}
