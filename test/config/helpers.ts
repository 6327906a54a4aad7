// Test builders for configs: a clean base program as data, temp folders, and a one-call check.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { stringify } from 'yaml';
import { checkConfig } from '../../src/config/index.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';

const dirs: string[] = [];

/** A throwaway folder, removed after the test. */
export function makeTempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'audiences-config-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

/** Writes `text` (or a config object as YAML) to `<dir>/<name>` and returns the path. */
export function writeConfig(dir: string, content: string | object | Buffer, name = 'audiences.yaml'): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' || Buffer.isBuffer(content) ? content : stringify(content));
  return file;
}

/** A small, clean program: two segments, two audiences on one location, a holdout. */
export function buildBase(): Record<string, any> {
  return {
    version: 1,
    workspace: 'test',
    segments: {
      cart_abandoned_4h: { name: 'Cart Abandoned (4h)', type: 'data_driven', id: 101, window: '4h' },
      vip_high_ltv: { name: 'High LTV VIP', type: 'data_driven', id: 104, window: '365d' },
    },
    audiences: {
      cart_abandoners: { name: 'Cart Abandoners', segment: 'cart_abandoned_4h' },
      vip: { name: 'VIP', segment: 'vip_high_ltv' },
    },
    precedence: ['cart_abandoners', 'vip'],
    holdouts: { control: { percent: 10, salt: '2026-q4' } },
    offers: {
      cart_resume: { name: 'Cart resume', content: '<div>Your cart</div>' },
      vip_access: { name: 'VIP early access', content: '<div>Early access</div>' },
    },
    activities: {
      hero: {
        name: 'Homepage hero',
        type: 'xt',
        location: 'homepage-hero',
        state: 'approved',
        holdout: 'control',
        experiences: [
          { audience: 'cart_abandoners', offer: 'cart_resume', lasts: '4h' },
          { audience: 'vip', offer: 'vip_access' },
        ],
      },
    },
  };
}

/** Writes the config to a temp folder and checks it. */
export async function checkObject(
  config: object | string,
  opts: { env?: NodeJS.ProcessEnv; files?: Record<string, string> } = {},
): Promise<{ diagnostics: Diagnostic[]; file: string; dir: string; config?: import('../../src/config/types.js').Config }> {
  const dir = makeTempDir();
  for (const [name, text] of Object.entries(opts.files ?? {})) writeConfig(dir, text, name);
  const file = writeConfig(dir, config);
  const result = await checkConfig(file, { env: opts.env ?? {} });
  return { ...result, file, dir };
}

export function rulesOf(diagnostics: readonly Diagnostic[]): string[] {
  return [...new Set(diagnostics.map((d) => d.rule))].sort();
}
