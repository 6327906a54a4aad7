// The CLI entry: commander wiring only. Each command lives in src/cli/commands/<name>.ts and loads
// its heavy modules lazily inside its action, so `audiences --help` stays fast. This is the only
// file that calls process.exit.
import { Command, CommanderError } from 'commander';
import { processOutput, type Output } from './io.js';
import { redact } from '../model/secrets.js';
import { isAudiencesError } from '../model/errors.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerApply } from './commands/apply.js';
import { register as registerDrift } from './commands/drift.js';
import { register as registerSandbox } from './commands/sandbox.js';
import { register as registerSync } from './commands/sync.js';
import { register as registerVerify } from './commands/verify.js';
import { register as registerImport } from './commands/import.js';

/** A command's action returns the exit code it wants; thrown errors are reported by main. */
export type CommandResult = number | void;

export interface CommandContext {
  output: Output;
  /** Set by the action: the exit code main applies when the command resolves. */
  exitCode: number;
}

export type CommandRegistrar = (program: Command, ctx: CommandContext) => void;

export async function main(argv: string[]): Promise<void> {
  const ctx: CommandContext = { output: processOutput(), exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    ctx.exitCode = reportError(err, ctx.output);
  }
  process.exitCode = ctx.exitCode;
  // Let pending stdout drain; then exit so stray timers/sockets never keep the process alive.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(ctx.exitCode);
}

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command();
  program
    .name('audiences')
    .description('Audience contracts as code for Customer.io and Adobe Target')
    .version(readVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.output.out(s),
      writeErr: (s) => ctx.output.err(s),
    });
  for (const register of registrars()) register(program, ctx);
  return program;
}

function registrars(): CommandRegistrar[] {
  return [registerValidate, registerPlan, registerApply, registerDrift, registerImport, registerSandbox, registerSync, registerVerify];
}

function readVersion(): string {
  return '0.1.0';
}

/** Turns any error into a message on stderr (never a stack trace for user errors) and an exit code. */
export function reportError(err: unknown, output: Output): number {
  if (err instanceof CommanderError) {
    // --help and --version end through exitOverride with code 0.
    return err.exitCode === 0 ? 0 : 1;
  }
  if (isAudiencesError(err)) {
    output.err(`Error: ${err.message}\n`);
    if (err.hint) output.err(`  ${err.hint}\n`);
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  output.err(`Error: unexpected failure: ${redact(msg)}\n`);
  if (process.env.AUDIENCES_DEBUG && err instanceof Error && err.stack) output.err(`${err.stack}\n`);
  output.err('  This is a bug in audiences; set AUDIENCES_DEBUG=1 for details and report it.\n');
  return 1;
}
