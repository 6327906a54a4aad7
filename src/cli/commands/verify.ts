// `audiences verify`: moves one test profile out of, into and out of a manual segment, syncs it,
// and checks that Adobe Target serves what the contract says at each step.
import { Option, type Command } from 'commander';
import { GuardError, UsageError } from '../../model/errors.js';
import type { SyncSession } from '../../sync/session.js';
import type { CommandContext, CommandRegistrar } from '../main.js';

export interface VerifyFlags {
  profile?: string;
  segment?: string;
  location?: string;
  config?: string;
  sandbox?: boolean;
  format: 'human' | 'json';
  timeout: string;
}

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('verify')
    .description('Check end to end that Target serves what the contract says for one test profile')
    .requiredOption('--profile <id>', 'Customer.io identifier of a test profile (per identity.customerio)')
    .option('--segment <key>', 'manual segment to move the profile through (default: the first one an activity uses)')
    .option('--location <mbox>', 'location to ask Delivery about (default: that of the first activity using the segment)')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .option('--sandbox', 'run against an in-process sandbox instead of the real platforms')
    .option('--timeout <seconds>', 'how long to wait for each propagation step', '120')
    .addOption(new Option('--format <format>', 'report format').choices(['human', 'json']).default('human'))
    .addHelpText('after', '\nExit codes: 0 Target serves what the contract says before, in and after the segment; 1 it does not, or an error.')
    .action(async (flags: VerifyFlags) => {
      ctx.exitCode = await runVerifyCommand(flags, ctx);
    });
};

export async function runVerifyCommand(
  flags: VerifyFlags,
  ctx: CommandContext,
  extra: { env?: NodeJS.ProcessEnv; ensureApplied?: (session: SyncSession) => Promise<void> } = {},
): Promise<number> {
  if (!flags.profile) throw new UsageError('--profile is required.', { hint: 'Pass the Customer.io id of a test profile.' });
  const timeout = Number(flags.timeout ?? '120');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a number of seconds, got "${flags.timeout}".`);
  const { openSyncSession } = await import('../../sync/session.js');
  const { runVerify, renderVerifyHuman } = await import('../../sync/verify.js');
  const { targetVerifyProbe, customerioManualMembership } = await import('../../sync/adapters.js');
  const { redactValue } = await import('../../model/secrets.js');
  const session = await openSyncSession({ configFile: flags.config, sandbox: flags.sandbox, env: extra.env });
  try {
    const report = await runVerify({
      config: session.config,
      store: session.store,
      sources: session.sources,
      workDir: session.workDir,
      membership: customerioManualMembership(session.cio, session.config.identity),
      target: targetVerifyProbe(session.target),
      profile: flags.profile,
      segment: flags.segment,
      location: flags.location,
      timeoutMs: timeout * 1000,
      ensureApplied: () => (extra.ensureApplied ? extra.ensureApplied(session) : ensureApplied(session, { apply: Boolean(flags.sandbox) })),
      onPhase: (p) => {
        if (flags.format === 'human') ctx.output.err(`verify: ${p.name}: ${p.ok ? 'ok' : 'mismatch'}\n`);
      },
    });
    if (flags.format === 'json') ctx.output.out(`${JSON.stringify(redactValue(report), null, 2)}\n`);
    else ctx.output.out(renderVerifyHuman(report));
    return report.ok ? 0 : 1;
  } finally {
    await session.close();
  }
}

/**
 * Verify tests the contract only if the platforms carry it. Against the sandbox it applies the
 * config itself (the sandbox is disposable); against the real platforms it only checks, and
 * refuses when a plan would change something: `audiences apply` is the reviewed way to change them.
 */
export async function ensureApplied(session: SyncSession, opts: { apply: boolean }): Promise<void> {
  const { openSession } = await import('../session.js');
  const { refreshPlan, knownIdsOf } = await import('../../apply/refresh-plan.js');
  const { applyPlan } = await import('../../apply/apply-plan.js');
  const s = await openSession({ configFile: session.configFile, runningSandbox: session.sandbox });
  try {
    const refreshed = await refreshPlan(s.config, s.providers, s.platforms);
    const pending = refreshed.plan.changes.filter((c) => c.action !== 'manual');
    if (pending.length === 0) return;
    if (!opts.apply) {
      throw new GuardError(`The platforms do not match ${session.configFile} yet (${pending.length} pending change(s)), so verify would test something else.`, {
        hint: 'Run `audiences plan` and `audiences apply` first, then verify.',
      });
    }
    const results = await applyPlan(refreshed.plan.changes, s.providers, knownIdsOf(refreshed.existing), { workspace: s.config.workspace });
    const failed = results.filter((r) => r.status === 'failed');
    const after = await refreshPlan(s.config, s.providers, s.platforms);
    const left = after.plan.changes.filter((c) => c.action !== 'manual');
    if (failed.length > 0 || left.length > 0) {
      throw new GuardError(`Applying the config to the sandbox did not converge (${failed.length} failed, ${left.length} left).`, {
        hint: 'Run `audiences apply --sandbox` to see the details.',
      });
    }
  } finally {
    await s.close();
  }
}
