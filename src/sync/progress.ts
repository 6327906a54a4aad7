// Progress of a sync on stderr: a redrawn bar on a terminal, plain lines otherwise (CI logs).
import type { Output } from '../cli/io.js';

export interface SyncProgress {
  /** A new stage; `total` when the amount of work is known. */
  stage(name: string, total?: number): void;
  /** `n` more units of the current stage done. */
  tick(n: number): void;
  /** A one-off line (resumed batch, rejected ids). */
  note(text: string): void;
  /** Ends the current stage. */
  done(): void;
}

export const silentProgress: SyncProgress = { stage() {}, tick() {}, note() {}, done() {} };

/** Picks the bar on a TTY, plain lines otherwise. */
export function outputProgress(output: Output, now: () => number = Date.now): SyncProgress {
  return output.isTTY ? new BarProgress(output, now) : new LineProgress(output, now);
}

class LineProgress implements SyncProgress {
  private name = '';
  private total?: number;
  private count = 0;
  private lastAt = 0;
  private started = 0;
  constructor(
    private readonly output: Output,
    private readonly now: () => number,
  ) {}
  stage(name: string, total?: number): void {
    this.name = name;
    this.total = total;
    this.count = 0;
    this.started = this.now();
    this.lastAt = this.started;
    this.output.err(`sync: ${name}${total !== undefined ? ` (${total.toLocaleString('en-US')})` : ''}\n`);
  }
  tick(n: number): void {
    this.count += n;
    // At most one line every 5 seconds: readable CI logs.
    if (this.now() - this.lastAt >= 5000) {
      this.lastAt = this.now();
      this.output.err(`sync: ${this.name}: ${this.describe()}\n`);
    }
  }
  note(text: string): void {
    this.output.err(`sync: ${text}\n`);
  }
  done(): void {
    this.output.err(`sync: ${this.name}: done, ${this.describe()} in ${((this.now() - this.started) / 1000).toFixed(1)}s\n`);
  }
  private describe(): string {
    const c = this.count.toLocaleString('en-US');
    return this.total ? `${c} of ${this.total.toLocaleString('en-US')}` : c;
  }
}

class BarProgress implements SyncProgress {
  private name = '';
  private total?: number;
  private count = 0;
  private lastAt = 0;
  constructor(
    private readonly output: Output,
    private readonly now: () => number,
  ) {}
  stage(name: string, total?: number): void {
    this.name = name;
    this.total = total;
    this.count = 0;
    this.draw(true);
  }
  tick(n: number): void {
    this.count += n;
    this.draw(false);
  }
  note(text: string): void {
    this.output.err(`\r\x1b[2K${text}\n`);
    this.draw(true);
  }
  done(): void {
    this.draw(true);
    this.output.err('\n');
  }
  private draw(force: boolean): void {
    if (!force && this.now() - this.lastAt < 100) return;
    this.lastAt = this.now();
    const width = 30;
    let bar = '';
    if (this.total) {
      const filled = Math.min(width, Math.round((width * this.count) / this.total));
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.count.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')}`;
    } else {
      bar = this.count.toLocaleString('en-US');
    }
    this.output.err(`\r\x1b[2K${this.name.padEnd(12)} ${bar}`);
  }
}
