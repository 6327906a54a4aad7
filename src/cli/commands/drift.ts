// `audiences drift`: compares the platforms with audiences.yaml and audience sizes with recent runs; keeps a small history; notifies a webhook when the status changes.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { Config } from '../../config/types.js';
import type { Resource } from '../../plan/types.js';
import type { CommandContext, CommandRegistrar } from '../main.js';
import type { CommandDeps } from './plan.js';

export type DriftFormat = 'human' | 'markdown' | 'json';
const FORMATS: readonly DriftFormat[] = ['human', 'markdown', 'json'];

export interface DriftFlags {
  config?: string;
  sandbox?: boolean;
  format?: DriftFormat;
  history?: string;
  notify?: string;
  /** Runs kept in the history file. */
  keep?: string | number;
}

export interface DriftDeps extends CommandDeps {
  now?: () => Date;
}

export { HISTORY_FILE_NAME } from '../../drift/history.js';

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('drift')
    .description('Detect out-of-band changes, missing objects, name collisions and audience size swings')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .option('--sandbox', 'run against an in-process sandbox instead of the real platforms')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('human'))
    .option('--history <file>', 'history of recent runs (default .audiences/drift-history.json beside the config; .audiences/sandbox/ with --sandbox)')
    .option('--keep <n>', 'runs kept in the history file', '30')
    .option('--notify <url>', 'post the Markdown summary to a Slack-compatible webhook when the status changed since the last run')
    .addHelpText('after', '\nExit codes: 0 no drift, 2 drift, 1 error (including a failed notification).')
    .action(async (flags: DriftFlags) => {
      ctx.exitCode = await runDrift(flags, ctx);
    });
};

export async function runDrift(flags: DriftFlags, ctx: CommandContext, deps: DriftDeps = {}): Promise<number> {
  const format = flags.format ?? 'human';
  if (!FORMATS.includes(format)) throw new UsageError(`Unknown format "${String(format)}".`, { hint: 'Use --format human, markdown or json.' });
  const keep = Number(flags.keep ?? 30);
  if (!Number.isInteger(keep) || keep < 1 || keep > 1000) throw new UsageError(`--keep must be a whole number from 1 to 1000, not "${String(flags.keep)}"`);
  if (flags.notify !== undefined) {
    // Registered before anything can fail: the webhook URL is a credential. Checked up front, so a
    // wrong URL fails the first run rather than the first run whose status changes.
    const { registerSecret } = await import('../../model/secrets.js');
    registerSecret(flags.notify);
    const { checkWebhookUrl } = await import('../../drift/notify.js');
    checkWebhookUrl(flags.notify);
  }
  const now = deps.now ?? (() => new Date());
  const { withSession } = await import('../session.js');
  const { refreshPlan } = await import('../../apply/refresh-plan.js');
  const history = await import('../../drift/history.js');
  const report = await import('../../drift/report.js');
  const { postNotification } = await import('../../drift/notify.js');

  return withSession({ configFile: flags.config, sandbox: flags.sandbox, ...deps }, async (session) => {
    const historyFile = path.resolve(flags.history ?? history.defaultHistoryFile(session.config.source.dir, session.sandbox !== undefined));
    const past = await history.readHistory(historyFile);

    /** Posts when the status changed; returns false when the post failed (reported on stderr). */
    const notify = async (h: typeof past, current: { status: 'clean' | 'drift' | 'error'; fingerprint: string }, text: string) => {
      if (flags.notify === undefined || !history.shouldNotify(h, current)) return { h, ok: true };
      try {
        await postNotification(flags.notify, text);
        ctx.output.err(`Notified the webhook: status is now "${current.status}".\n`);
        return { h: { ...h, last_notified: { ...current, at: now().toISOString() } }, ok: true };
      } catch (err) {
        ctx.output.err(`Error: the drift notification failed: ${err instanceof Error ? err.message : String(err)}\n`);
        return { h, ok: false };
      }
    };

    let refreshed;
    try {
      refreshed = await refreshPlan(session.config, session.providers, session.platforms);
    } catch (err) {
      // A check that cannot run is a status of its own: recorded, and announced once.
      const message = err instanceof Error ? err.message : String(err);
      const run = { at: now().toISOString(), status: 'error' as const, fingerprint: '', findings: 0, sizes: {} };
      const { h } = await notify(past, run, `**audiences drift check failed** in \`${session.config.workspace}\`: ${message}`);
      await history.writeHistory(historyFile, history.appendRun(h, run, keep));
      throw err;
    }

    const sizes = segmentSizes(session.config, refreshed.existing);
    const result = report.buildDriftReport({
      workspace: session.config.workspace,
      plan: refreshed.plan,
      sizes,
      runs: past.runs,
      sizeSwingPct: session.config.sync.size_swing_pct,
      now: now(),
    });
    ctx.output.out(
      format === 'json' ? report.renderDriftJson(result) : format === 'markdown' ? report.renderDriftMarkdown(result) : report.renderDriftHuman(result),
    );

    const { countManaged } = await import('../../plan/guards.js');
    const run = {
      at: result.checked_at,
      status: result.status,
      fingerprint: result.fingerprint,
      findings: result.findings.length,
      sizes,
      managed: countManaged(refreshed.existing, session.platforms),
    };
    const { h, ok } = await notify(past, run, report.renderDriftMarkdown(result));
    await history.writeHistory(historyFile, history.appendRun(h, run, keep));
    if (!ok) return 1;
    return result.status === 'drift' ? 2 : 0;
  });
}

/**
 * Customer.io customer_count of each declared segment, by YAML key: data-driven ones found by id
 * (or by name when declared without one), manual ones by their ownership marker.
 */
export function segmentSizes(config: Config, existing: readonly Resource[]): Record<string, number> {
  const segments = existing.filter((r) => r.platform === 'customerio' && r.kind === 'segment');
  const sizes: Record<string, number> = {};
  for (const s of Object.values(config.segments)) {
    const match =
      s.type === 'manual'
        ? segments.find((r) => r.owned && r.key === s.key)
        : s.id !== undefined
          ? segments.find((r) => String(r.id) === String(s.id))
          : segments.find((r) => r.attrs.name === s.name && r.attrs.type === 'dynamic');
    const size = match?.meta.size;
    if (typeof size === 'number' && Number.isFinite(size)) sizes[s.key] = size;
  }
  return sizes;
}
