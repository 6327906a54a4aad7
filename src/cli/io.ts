// Process-facing output for commands: every write is redacted; the exit code is decided here and
// applied only by main.ts (the one place that calls process.exit).
import { createInterface } from 'node:readline/promises';
import { redact } from '../model/secrets.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal and colour is allowed (NO_COLOR unset, FORCE_COLOR not 0). */
  readonly color: boolean;
  readonly isTTY: boolean;
}

export function processOutput(): Output {
  const isTTY = Boolean(process.stdout.isTTY);
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const forced = process.env.FORCE_COLOR;
  const color = forced !== undefined ? forced !== '0' && forced !== 'false' : isTTY && !noColor;
  return {
    out: (text) => void process.stdout.write(redact(text)),
    err: (text) => void process.stderr.write(redact(text)),
    color,
    isTTY,
  };
}

/** Output captured in memory (tests, and commands that compose others). */
export function memoryOutput(opts: { color?: boolean; isTTY?: boolean } = {}): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    color: opts.color ?? false,
    isTTY: opts.isTTY ?? false,
    out(text: string) {
      o.stdout += redact(text);
    },
    err(text: string) {
      o.stderr += redact(text);
    },
  };
  return o;
}

/** Asks on stderr, so the question shows even when stdout is piped (`apply | tee apply.log`, `import > x.yaml`). */
export async function askLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
