// `audiences apply`: plans afresh, refuses stale plans and guarded changes, asks (or needs --auto-approve / a plan file), applies, and re-plans to confirm convergence.
import path from 'node:path';
import type { Command } from 'commander';
import type { PlanFile } from '../../apply/plan-file.js';
import { AudiencesError, GuardError, StateError, UsageError } from '../../model/errors.js';
import type { GuardOptions, Refusal } from '../../plan/guards.js';
import type { PlatformName } from '../../plan/types.js';
import { askLine, type Output } from '../io.js';
import type { CommandContext, CommandRegistrar } from '../main.js';
import type { Session } from '../session.js';
import type { CommandDeps } from './plan.js';

export interface ApplyFlags {
  config?: string;
  sandbox?: boolean;
  autoApprove?: boolean;
  checksum?: string;
  force?: boolean;
  /** The drift history the empty-read guard takes its evidence from (default: drift's default). */
  history?: string;
}

export interface ApplyDeps extends CommandDeps {
  /** Whether a person can answer the prompt (default: stdin is a terminal). */
  interactive?: boolean;
  /** Asks the question and returns the answer (default: a line from stdin). */
  prompt?: (question: string) => Promise<string>;
  /** Changes in flight at once. */
  concurrency?: number;
}

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('apply')
    .description('Apply audiences.yaml to Customer.io and Adobe Target (or exactly a saved plan)')
    .argument('[planfile]', 'a plan saved by `audiences plan --out FILE`; applied only if a fresh plan still matches it')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .option('--sandbox', 'run against an in-process sandbox instead of the real platforms')
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--checksum <sha>', 'apply only if the fresh plan has this checksum (from `audiences plan`)')
    .option('--force', 'override the safety guards (mass changes, destructive replaces, live activities, empty reads)')
    .option('--history <file>', 'drift history whose managed-object counts the empty-read guard checks (default: the one `audiences drift` keeps)')
    .addHelpText(
      'after',
      '\nExit codes: 0 applied (or nothing to do), 1 error, refusal, cancelled, a failed change, or changes that did not converge.',
    )
    .action(async (planfile: string | undefined, flags: ApplyFlags) => {
      ctx.exitCode = await runApply(planfile, flags, ctx);
    });
};

export async function runApply(planfile: string | undefined, flags: ApplyFlags, ctx: CommandContext, deps: ApplyDeps = {}): Promise<number> {
  if (flags.checksum !== undefined && !/^[0-9a-f]{64}$/i.test(flags.checksum.trim())) {
    throw new UsageError(`--checksum is not a sha256 checksum (64 hex digits): "${flags.checksum.slice(0, 80)}"`, {
      hint: 'Copy the checksum printed by `audiences plan` (or the "checksum" of `plan --format json`).',
    });
  }
  const interactive = deps.interactive ?? Boolean(process.stdin.isTTY);
  const needsConfirmation = !flags.autoApprove && planfile === undefined;
  if (needsConfirmation && !interactive) {
    throw new UsageError('apply needs a confirmation, and there is no terminal to ask on', {
      hint: 'Pass --auto-approve, or apply a reviewed plan file: `audiences plan --out plan.json` then `audiences apply plan.json`.',
    });
  }

  const out = ctx.output;
  const { withSession } = await import('../session.js');
  const { refreshPlan, knownIdsOf } = await import('../../apply/refresh-plan.js');
  const { applyPlan } = await import('../../apply/apply-plan.js');
  const { assertPlanFresh, assertPlanIntact, hashConfig, readPlanFile } = await import('../../apply/plan-file.js');
  const { checkGuards } = await import('../../plan/guards.js');
  const { renderPlanHuman } = await import('../../render/plan-human.js');
  const { renderResultTable, countResults } = await import('../../apply/result-table.js');

  // Read the saved plan before touching any platform, so a wrong path or an edited file fails fast.
  const saved = planfile !== undefined ? await readPlanFile(planfile) : undefined;
  if (saved) assertPlanIntact(saved, planfile!);

  return withSession({ configFile: flags.config, sandbox: flags.sandbox, ...deps }, async (session) => {
    const refreshed = await refreshPlan(session.config, session.providers, session.platforms);
    const { plan } = refreshed;
    const guards = checkGuards(plan, refreshed.existing, {
      force: Boolean(flags.force),
      desired: refreshed.desired,
      readPlatforms: refreshed.platforms,
      evidence: await emptyReadEvidence(session, saved && { file: planfile!, plan: saved }, flags.history, out),
    });
    const refuse = (refusals: Refusal[]): never => {
      out.err('\n');
      for (const r of refusals) out.err(`Refused (${r.guard}): ${r.message}\n  ${r.hint}\n`);
      throw new GuardError(`apply refused by ${refusals.length} safety guard${refusals.length === 1 ? '' : 's'}; nothing was applied`, {
        hint: 'Change audiences.yaml, or review the plan and run apply again with --force.',
      });
    };
    // A read of the wrong account explains a saved plan gone stale better than "the platforms changed".
    const emptyReads = guards.refusals.filter((r) => r.guard === 'empty_read');
    if (emptyReads.length > 0) refuse(emptyReads);

    const fresh = { checksum: plan.checksum, configHash: hashConfig(session.config) };
    if (saved) assertPlanFresh({ checksum: saved.checksum, configHash: saved.config_hash, source: planfile! }, fresh);
    if (flags.checksum !== undefined) assertPlanFresh({ checksum: flags.checksum, source: '--checksum' }, fresh);

    out.out(renderPlanHuman(plan, { color: out.color }));
    const actionable = plan.changes.filter((c) => c.action !== 'manual');
    if (actionable.length === 0) {
      out.out(plan.changes.length === 0 ? '\nNothing to apply.\n' : `\nNothing to apply: ${plan.changes.length} manual action(s) above need a person.\n`);
      return 0;
    }

    if (!guards.ok) refuse(guards.refusals);
    for (const r of guards.overridden) out.err(`Warning: --force overrides ${r.guard}: ${r.message}\n`);

    if (needsConfirmation) {
      const ask = deps.prompt ?? askLine;
      const answer = await ask('\nDo you want to apply these changes? Only "yes" is accepted: ');
      if (answer.trim() !== 'yes') throw new AudiencesError('apply cancelled; nothing was applied');
    }

    out.err(`\nApplying ${actionable.length} change${actionable.length === 1 ? '' : 's'}…\n`);
    const results = await applyPlan(plan.changes, session.providers, knownIdsOf(refreshed.existing), {
      workspace: session.config.workspace,
      concurrency: deps.concurrency,
      onResult: (r) => out.err(`  ${r.status === 'succeeded' ? 'done' : r.status}: ${r.action} ${r.address}\n`),
    });
    // The table first: whatever happens next, the user sees what was done.
    out.out(`\n${renderResultTable(results)}`);
    const counts = countResults(results.filter((r) => r.action !== 'manual'));

    let after;
    try {
      after = await refreshPlan(session.config, session.providers, session.platforms);
    } catch (err) {
      out.out(`Re-plan failed, so convergence is unknown: ${err instanceof Error ? err.message : String(err)}\nRun \`audiences plan\` to see what is left.\n`);
      return 1;
    }
    const unconverged = after.plan.changes.filter((c) => c.action !== 'manual');
    const manual = after.plan.changes.filter((c) => c.action === 'manual');
    if (unconverged.length === 0) {
      out.out('Re-plan: no changes left; the platforms match audiences.yaml.\n');
    } else {
      out.out(`Re-plan: ${unconverged.length} change${unconverged.length === 1 ? '' : 's'} did not converge:\n`);
      for (const c of unconverged) {
        const fields = c.fields.map((f) => f.path).join(', ');
        out.out(`  ${c.action} ${c.address}${fields ? ` (${fields})` : ''}\n`);
      }
      out.out(counts.failed > 0 ? 'Fix the failures above and run apply again: completed changes are kept.\n' : 'Run `audiences plan` to see them.\n');
    }
    if (manual.length > 0) out.out(`${manual.length} manual action(s) remain; see \`audiences plan\`.\n`);
    return counts.failed > 0 || counts.skipped > 0 || unconverged.length > 0 ? 1 : 0;
  });
}

/**
 * What says a platform held objects of ours before this apply read it: the counts the plan file
 * recorded, and those of the newest drift run in the history. The larger count per platform wins.
 * An unreadable history is reported and skipped: a damaged CI cache must not block every apply.
 */
async function emptyReadEvidence(
  session: Session,
  saved: { file: string; plan: PlanFile } | undefined,
  historyFlag: string | undefined,
  out: Output,
): Promise<GuardOptions['evidence']> {
  const evidence: NonNullable<GuardOptions['evidence']> = {};
  const offer = (p: PlatformName, count: number | undefined, source: string) => {
    if (count !== undefined && count > (evidence[p]?.count ?? 0)) evidence[p] = { count, source };
  };
  if (saved) {
    const { managedObjectsOf } = await import('../../apply/plan-file.js');
    for (const [p, n] of Object.entries(managedObjectsOf(saved.plan))) offer(p as PlatformName, n, `the plan file ${saved.file} (made ${saved.plan.created_at})`);
  }
  const history = await import('../../drift/history.js');
  const file = path.resolve(historyFlag ?? history.defaultHistoryFile(session.config.source.dir, session.sandbox !== undefined));
  try {
    const latest = history.latestManagedCounts(await history.readHistory(file));
    for (const [p, n] of Object.entries(latest?.counts ?? {})) offer(p as PlatformName, n, `the drift run of ${latest!.at}`);
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    out.err(`Warning: ${err.message}; the empty-read guard goes without it.\n`);
  }
  return evidence;
}

