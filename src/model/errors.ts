// The few typed errors of the tool. User-facing messages say what happened and what to do next;
// the CLI prints message (+ hint) and never a stack trace for these.
import type { Diagnostic } from './diagnostic.js';

export class AudiencesError extends Error {
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number = 1;
  /** What the user should do next, printed after the message. */
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad command-line usage (unknown flag combination, missing argument). */
export class UsageError extends AudiencesError {}

/** The config (or another input file) cannot be used; carries every diagnostic found. */
export class ConfigError extends AudiencesError {
  readonly diagnostics: Diagnostic[];
  constructor(message: string, diagnostics: Diagnostic[] = [], options?: { hint?: string }) {
    super(message, options);
    this.diagnostics = diagnostics;
  }
}

/** A file the tool keeps (plan file, history, sync state) is unreadable or inconsistent. */
export class StateError extends AudiencesError {}

/** A guard refused an operation (stale plan, mass delete, live activity change) without --force. */
export class GuardError extends AudiencesError {}

export function isAudiencesError(err: unknown): err is AudiencesError {
  return err instanceof AudiencesError;
}
