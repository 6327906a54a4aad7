// Progress output: a redrawn bar on a terminal, plain lines otherwise; both on stderr only.
import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../../src/cli/io.js';
import { outputProgress } from '../../src/sync/progress.js';

describe('sync progress', () => {
  it('writes plain lines when not a TTY', () => {
    const out = memoryOutput({ isTTY: false });
    let t = 0;
    const p = outputProgress(out, () => t);
    p.stage('diff', 10);
    t = 6000;
    p.tick(4);
    p.done();
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('sync: diff (10)\nsync: diff: 4 of 10\nsync: diff: done, 4 of 10 in 6.0s\n');
    expect(out.stderr).not.toContain('\r');
  });

  it('redraws a bar on a TTY', () => {
    const out = memoryOutput({ isTTY: true });
    let t = 0;
    const p = outputProgress(out, () => t);
    p.stage('upload', 4);
    t = 1000;
    p.tick(2);
    p.done();
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('\r');
    expect(out.stderr).toContain('[###############---------------] 2/4');
  });
});
