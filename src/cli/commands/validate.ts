// `audiences validate`: checks audiences.yaml (schema, references, lint rules) and reports every
// problem at once as human text, JSON or SARIF. Needs no credentials and no network.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CommandContext, CommandRegistrar } from '../main.js';

export interface ValidateFlags {
  config?: string;
  format: 'human' | 'json' | 'sarif';
  strict?: boolean;
}

const FORMATS = ['human', 'json', 'sarif'] as const;

/** The package root (two levels above src/cli/commands and dist/cli/commands). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const register: CommandRegistrar = (program: Command, ctx: CommandContext) => {
  program
    .command('validate')
    .description('Check audiences.yaml: schema, references and lint rules (no credentials needed)')
    .option('-c, --config <file>', 'config file', 'audiences.yaml')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('human'))
    .option('--strict', 'fail on warnings too')
    .addHelpText(
      'after',
      '\nExit codes: 0 no errors (warnings allowed unless --strict), 1 errors found or the file cannot be read.\nRules: docs/rules.md. Language: docs/config.md.',
    )
    .action(async (flags: ValidateFlags) => {
      ctx.exitCode = await runValidate(flags, ctx);
    });
};

/** Runs the check and writes the report; returns the exit code. */
export async function runValidate(flags: ValidateFlags, ctx: CommandContext): Promise<number> {
  if (!FORMATS.includes(flags.format)) {
    throw new UsageError(`Unknown format "${flags.format}".`, { hint: 'Use --format human, json or sarif.' });
  }
  const file = flags.config ?? 'audiences.yaml';
  // Heavy modules (yaml, ajv) load here, not at startup, so `audiences --help` stays fast.
  const { checkConfig } = await import('../../config/index.js');
  const render = await import('../../render/diagnostics.js');
  const { diagnostics } = await checkConfig(file);

  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const failed = errors > 0 || (Boolean(flags.strict) && diagnostics.length > 0);
  if (flags.format === 'json') {
    ctx.output.out(render.renderDiagnosticsJson(diagnostics));
  } else if (flags.format === 'sarif') {
    ctx.output.out(
      render.renderDiagnosticsSarif(diagnostics, {
        rulesUrl: process.env.AUDIENCES_RULES_URL || pathToFileURL(path.join(PACKAGE_ROOT, 'docs', 'rules.md')).href,
        version: '0.1.0',
        toArtifactUri: (f) => path.relative(process.cwd(), path.resolve(f)).split(path.sep).join('/'),
      }),
    );
  } else {
    ctx.output.out(render.renderDiagnosticsHuman(diagnostics, { color: ctx.output.color, file, strict: flags.strict }));
  }
  return failed ? 1 : 0;
}
