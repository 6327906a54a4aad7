// `audiences import`: prints YAML for platform objects this workspace does not manage yet; with
// --adopt, takes over the unowned objects whose names match declared ones (writes our marker);
// with ADDRESS=ID arguments, takes over exactly those objects.
import { Option, type Command } from 'commander';
import { AudiencesError, UsageError } from '../../model/errors.js';
import type { Change, Plan, PlatformName, Resource, ResourceKind } from '../../plan/types.js';
import { askLine } from '../io.js';
import type { CommandContext, CommandRegistrar } from '../main.js';
import type { Session } from '../session.js';
import type { CommandDeps } from './plan.js';

const KINDS: readonly ResourceKind[] = ['segment', 'audience', 'offer', 'activity'];

export interface ImportFlags {
  config?: string;
  sandbox?: boolean;
  kind?: ResourceKind[];
  adopt?: boolean;
  autoApprove?: boolean;
  /** Explicit adoptions: `<platform>.<kind>.<key>=<server id>`. */
  addresses?: string[];
}

export interface ImportDeps extends CommandDeps {
  /** Whether a person can answer the prompt (default: stdin is a terminal). */
  interactive?: boolean;
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
    .argument('[address...]', 'adopt exactly these objects: <platform>.<kind>.<key>=<server id>, e.g. adobe_target.audience.vip=1234')
    .option('--auto-approve', 'adopt without asking')
    .addHelpText(
      'after',
      '\nWorkflow: `audiences import > imported.yaml`, merge the sections into audiences.yaml (keys may be renamed),\n' +
        'then `audiences import --adopt` so the next plan updates those objects instead of creating duplicates.\n' +
        'Or name objects explicitly: `audiences import adobe_target.audience.vip=1234` adopts audience 1234 as `vip`\n' +
        '(declared already), or prints its YAML under that key (not declared yet).',
    )
    .action(async (addresses: string[], flags: ImportFlags) => {
      ctx.exitCode = await runImport({ ...flags, addresses }, ctx);
    });
};

export async function runImport(flags: ImportFlags, ctx: CommandContext, deps: ImportDeps = {}): Promise<number> {
  const kinds = flags.kind ?? [...KINDS];
  for (const k of kinds) if (!KINDS.includes(k)) throw new UsageError(`Unknown kind "${String(k)}".`, { hint: `Use ${KINDS.join(', ')}.` });
  const out = ctx.output;
  const explicit = parseAddresses(flags.addresses ?? []);
  if (explicit.length > 0 && (flags.adopt || flags.kind !== undefined)) {
    throw new UsageError(`ADDRESS=ID arguments name exactly what to adopt; they cannot be combined with ${flags.adopt ? '--adopt' : '--kind'}`, {
      hint: 'Run `audiences import ADDRESS=ID …` alone, or `audiences import --adopt [--kind KIND]` without addresses.',
    });
  }
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

    if (explicit.length > 0) {
      return adoptExplicit(explicit, existing, session, flags, ctx, deps);
    }

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
    // Adoptions are independent of each other except activities after what they use (dependsOn).
    const inPlan = new Set(adoptions.map((c) => c.address));
    const changes = adoptions.map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => inPlan.has(d)) }));
    const { knownIdsOf } = await import('../../apply/refresh-plan.js');
    return confirmAndAdopt(changes, knownIdsOf(existing), session, flags, ctx, deps);
  });
}

/**
 * Shows the adoptions as a plan, asks (unless --auto-approve), writes them, and prints the result
 * table; exit 1 when any failed or was skipped. Shared by `--adopt` and explicit ADDRESS=ID.
 */
async function confirmAndAdopt(
  adoptions: Change[],
  ids: Map<string, string | number>,
  session: Session,
  flags: ImportFlags,
  ctx: CommandContext,
  deps: ImportDeps,
): Promise<number> {
  const out = ctx.output;
  const { renderPlanHuman } = await import('../../render/plan-human.js');
  const { summarize, planChecksum } = await import('../../plan/diff.js');
  const subset: Plan = { format_version: '1.0', changes: adoptions, warnings: [], summary: summarize(adoptions), checksum: planChecksum(adoptions) };
  out.out(renderPlanHuman(subset, { color: out.color }));
  if (!flags.autoApprove) {
    if (!deps.prompt && !(deps.interactive ?? Boolean(process.stdin.isTTY))) {
      throw new UsageError('adopting these objects needs a confirmation, and there is no terminal to ask on; nothing was changed', {
        hint: 'Review the list above, then run the same command with --auto-approve.',
      });
    }
    const ask = deps.prompt ?? askLine;
    const answer = await ask('\nAdopt these objects (their fields are set to audiences.yaml too)? Only "yes" is accepted: ');
    if (answer.trim() !== 'yes') throw new AudiencesError('import cancelled; nothing was changed');
  }
  const { applyPlan } = await import('../../apply/apply-plan.js');
  const { renderResultTable, countResults } = await import('../../apply/result-table.js');
  const results = await applyPlan(adoptions, session.providers, ids, { workspace: session.config.workspace });
  out.out(`\n${renderResultTable(results)}`);
  out.out('Run `audiences plan` to see what is left to change.\n');
  const counts = countResults(results);
  return counts.failed > 0 || counts.skipped > 0 ? 1 : 0;
}

interface ExplicitAddress {
  platform: PlatformName;
  kind: ResourceKind;
  key: string;
  address: string;
  id: string;
}

const KIND_PLATFORM: Record<ResourceKind, PlatformName> = { segment: 'customerio', audience: 'adobe_target', offer: 'adobe_target', activity: 'adobe_target' };

/** `adobe_target.audience.vip=1234` → its parts; every malformed argument is reported at once. */
export function parseAddresses(args: readonly string[]): ExplicitAddress[] {
  const out: ExplicitAddress[] = [];
  const bad: string[] = [];
  for (const arg of args) {
    const m = /^(customerio|adobe_target)\.(segment|audience|offer|activity)\.([^=\s]+)=(\d+)$/.exec(arg);
    if (!m || KIND_PLATFORM[m[2] as ResourceKind] !== m[1]) {
      bad.push(arg);
      continue;
    }
    out.push({ platform: m[1] as PlatformName, kind: m[2] as ResourceKind, key: m[3]!, address: `${m[1]}.${m[2]}.${m[3]}`, id: m[4]! });
  }
  if (bad.length > 0) {
    throw new UsageError(`Not an address=id: ${bad.map((b) => `"${b}"`).join(', ')}`, {
      hint: 'Write <platform>.<kind>.<key>=<server id>, e.g. adobe_target.audience.vip=1234 or adobe_target.activity.hero=5678.',
    });
  }
  return out;
}

/**
 * Explicit adoption: each named object must exist and be unowned. A key the config declares is
 * adopted (an update that writes our marker and sets the declared fields); a key it does not
 * declare is printed as YAML under that key, to declare first (adopting it now would make the next
 * plan delete it as "owned but not declared").
 */
async function adoptExplicit(
  explicit: ExplicitAddress[],
  existing: Resource[],
  session: Session,
  flags: ImportFlags,
  ctx: CommandContext,
  deps: ImportDeps,
): Promise<number> {
  const out = ctx.output;
  const { compileDesired } = await import('../../plan/compile.js');
  const { diffAttrs } = await import('../../plan/diff.js');
  const { importExisting } = await import('../../plan/import.js');
  const desired = new Map(compileDesired(session.config).map((r) => [r.address, r]));
  const problems: string[] = [];
  const adoptions: Change[] = [];
  const undeclared: Array<{ spec: ExplicitAddress; resource: Resource }> = [];
  for (const spec of explicit) {
    if (!session.platforms.includes(spec.platform)) {
      problems.push(`${spec.address}: ${session.configFile} declares no ${spec.platform} provider`);
      continue;
    }
    const found = existing.find((r) => r.platform === spec.platform && r.kind === spec.kind && String(r.id) === spec.id);
    if (!found) {
      problems.push(`${spec.address}: no ${spec.kind} with id ${spec.id} exists`);
      continue;
    }
    if (found.owned) {
      problems.push(`${spec.address}: ${spec.kind} ${spec.id} is managed already, as ${found.address}`);
      continue;
    }
    if (found.meta.owner) {
      problems.push(`${spec.address}: ${spec.kind} ${spec.id} belongs to workspace "${String(found.meta.owner)}"; it is left alone`);
      continue;
    }
    if (spec.kind === 'segment') {
      problems.push(`${spec.address}: Customer.io segments cannot carry a marker written by API (no update endpoint); declare data-driven ones by \`id: ${spec.id}\``);
      continue;
    }
    const want = desired.get(spec.address);
    if (!want) {
      undeclared.push({ spec, resource: found });
      continue;
    }
    const fields = [{ path: 'key', before: found.key, after: spec.key }, ...diffAttrs(found.attrs, want.attrs)];
    adoptions.push({
      address: spec.address,
      platform: spec.platform,
      kind: spec.kind,
      key: spec.key,
      action: 'update',
      id: found.id,
      previousKey: found.key,
      before: found.attrs,
      after: want.attrs,
      fields,
      reason: `adopt existing ${spec.kind} ${spec.id}`,
      dependsOn: [],
    });
  }
  if (problems.length > 0) {
    throw new UsageError(`Cannot import:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: 'Run `audiences import` without arguments to list the objects not managed yet, with their ids.',
    });
  }

  for (const { spec, resource } of undeclared) {
    const result = importExisting(existing, { config: session.config, select: (r) => r === resource });
    const generated = result.keys.get(resource.address);
    if (!result.yaml || generated === undefined) {
      const why = result.skipped.find((x) => x.address === resource.address)?.reason ?? 'it cannot be expressed in audiences.yaml';
      out.err(`skipped ${spec.address}: ${why}\n`);
      continue;
    }
    out.out(`# ${spec.kind} ${spec.id} is not declared yet: merge this into ${session.configFile},\n# then run \`audiences import ${spec.address}=${spec.id}\` to adopt it.\n`);
    out.out(result.yaml.replace(new RegExp(`^(  )${escapeRegExp(generated)}:`, 'm'), `$1${spec.key}:`));
  }
  if (adoptions.length === 0) return undeclared.length > 0 ? 0 : 1;

  const { knownIdsOf } = await import('../../apply/refresh-plan.js');
  // Adopted audiences and offers keep their ids under their new addresses, for adopted activities.
  const ids = knownIdsOf(existing);
  for (const c of adoptions) if (c.id !== undefined) ids.set(c.address, c.id);
  return confirmAndAdopt(adoptions, ids, session, flags, ctx, deps);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
