// `audiences import`: prints YAML for platform objects this workspace does not manage yet; with
// --adopt, takes over the unowned objects whose names match declared ones (writes our marker).
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { AudiencesError, UsageError } from '../../model/errors.js';
import type { ResourceKind } from '../../plan/types.js';
import type { CommandContext, CommandRegistrar } from '../main.js';
import type { CommandDeps } from './plan.js';

const KINDS: readonly ResourceKind[] = ['segment', 'audience', 'offer', 'activity'];

export interface ImportFlags {
  config?: string;
  sandbox?: boolean;
  kind?: ResourceKind[];
  adopt?: boolean;
  autoApprove?: boolean;
}

export interface ImportDeps extends CommandDeps {
  prompt?: (question: string) => Promise<string>;
}

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('import')
    .description('Print YAML for existing platform objects not managed yet; --adopt takes over those declared by name')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .option('--sandbox', 'run against an in-process sandbox instead of the real platforms')
    .addOption(new Option('--kind <kind...>', 'only these kinds').choices([...KINDS]))
    .option('--adopt', 'write our marker onto unowned objects whose name matches a declared object')
    .option('--auto-approve', 'adopt without asking')
    .addHelpText(
      'after',
      '\nWorkflow: `audiences import > imported.yaml`, merge the sections into audiences.yaml (keys may be renamed),\n' +
        'then `audiences import --adopt` so the next plan updates those objects instead of creating duplicates.',
    )
    .action(async (flags: ImportFlags) => {
      ctx.exitCode = await runImport(flags, ctx);
    });
};

export async function runImport(flags: ImportFlags, ctx: CommandContext, deps: ImportDeps = {}): Promise<number> {
  const kinds = flags.kind ?? [...KINDS];
  for (const k of kinds) if (!KINDS.includes(k)) throw new UsageError(`Unknown kind "${String(k)}".`, { hint: `Use ${KINDS.join(', ')}.` });
  const out = ctx.output;
  const { withSession } = await import('../session.js');
  const { compileDesired } = await import('../../plan/compile.js');
  const { diffResources } = await import('../../plan/diff.js');
  const { importExisting } = await import('../../plan/import.js');

  return withSession({ configFile: flags.config, sandbox: flags.sandbox, ...deps }, async (session) => {
    const noIds = { idOf: () => undefined };
    // Import converts and compares unowned objects too, so it reads every one in full.
    const detail = 'all' as const;
    const reads = await Promise.all(
      session.platforms.map((p) => session.providers[p]!.populate({ workspace: session.config.workspace, ids: noIds, detail })),
    );
    const existing = reads.flat();

    if (!flags.adopt) {
      const result = importExisting(existing, { config: session.config, select: (r) => kinds.includes(r.kind) });
      for (const s of result.skipped) out.err(`skipped ${s.address} "${s.name}": ${s.reason}\n`);
      if (!result.yaml) {
        out.err('Nothing to import: every object is managed already, or none can be expressed in audiences.yaml.\n');
        return 0;
      }
      out.out(`# Imported by \`audiences import\` from ${session.platforms.join(' and ')}: merge into ${session.configFile},\n`);
      out.out('# then run `audiences import --adopt` so the next plan manages these objects instead of duplicating them.\n');
      out.out(result.yaml);
      return 0;
    }

    // Adopt: the declared objects a plan would create, matched by name to unowned ones.
    const plan = diffResources(compileDesired(session.config), existing, { platforms: session.platforms, adopt: true });
    const adoptions = plan.changes.filter((c) => c.previousKey?.startsWith('#') && kinds.includes(c.kind));
    if (adoptions.length === 0) {
      out.out('Nothing to adopt: no unowned object carries the exact name of a declared one that is missing.\n');
      return 0;
    }
    const { renderPlanHuman } = await import('../../render/plan-human.js');
    const { summarize, planChecksum } = await import('../../plan/diff.js');
    const subset = { ...plan, changes: adoptions, warnings: [], summary: summarize(adoptions), checksum: planChecksum(adoptions) };
    out.out(renderPlanHuman(subset, { color: out.color }));
    if (!flags.autoApprove) {
      const ask = deps.prompt ?? promptLine;
      const answer = await ask('\nAdopt these objects (their fields are set to audiences.yaml too)? Only "yes" is accepted: ');
      if (answer.trim() !== 'yes') throw new AudiencesError('import --adopt cancelled; nothing was changed');
    }
    const { applyPlan } = await import('../../apply/apply-plan.js');
    const { knownIdsOf } = await import('../../apply/refresh-plan.js');
    const { renderResultTable, countResults } = await import('../../apply/result-table.js');
    // Adoptions are independent of each other except activities after what they use (dependsOn).
    const inPlan = new Set(adoptions.map((c) => c.address));
    const changes = adoptions.map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => inPlan.has(d)) }));
    const results = await applyPlan(changes, session.providers, knownIdsOf(existing), { workspace: session.config.workspace });
    out.out(`\n${renderResultTable(results)}`);
    const counts = countResults(results);
    out.out('Run `audiences plan` to see what is left to change.\n');
    return counts.failed > 0 || counts.skipped > 0 ? 1 : 0;
  });
}

async function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
