// Bad input never crashes the loader: each case yields one clear diagnostic, and no config.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig, loadConfig } from '../../src/config/index.js';
import { MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { ConfigError } from '../../src/model/errors.js';
import { buildBase, makeTempDir, writeConfig } from './helpers.js';
import { stringify } from 'yaml';

async function checkOnly(file: string) {
  const result = await checkConfig(file, { env: {} });
  expect(result.config).toBeUndefined();
  expect(result.diagnostics).toHaveLength(1);
  return result.diagnostics[0];
}

describe('reading the file', () => {
  it('reports a missing file with what to do', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(path.join(dir, 'nope.yaml'));
    expect(d).toMatchObject({ rule: 'input', severity: 'error', line: 1, column: 1 });
    expect(d.message).toMatch(/does not exist.*-c FILE/);
  });

  it('reports a directory and suggests the file inside it', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(dir);
    expect(d.rule).toBe('input');
    expect(d.message).toContain('is a directory');
    expect(d.message).toContain(path.join(dir, 'audiences.yaml'));
  });

  it('reports an empty file and a comments-only file as empty', async () => {
    const dir = makeTempDir();
    for (const text of ['', '\n\n   \n', '# just a comment\n', '---\n']) {
      const d = await checkOnly(writeConfig(dir, text));
      expect(d.rule).toBe('input');
      expect(d.message).toMatch(/is empty.*version: 1/);
    }
  });

  it('rejects binary garbage before parsing', async () => {
    const dir = makeTempDir();
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const d = await checkOnly(writeConfig(dir, garbage));
    expect(d.rule).toBe('input');
    expect(d.message).toMatch(/not a UTF-8 text file/);
  });

  it('rejects invalid UTF-8 even without NUL bytes', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(writeConfig(dir, Buffer.from([0x76, 0x65, 0x72, 0xc3, 0x28, 0x0a])));
    expect(d.message).toMatch(/not a UTF-8 text file/);
  });

  it('rejects a file over 10 MB without reading it as YAML', async () => {
    const dir = makeTempDir();
    const big = Buffer.alloc(MAX_CONFIG_BYTES + 1, 'a');
    const d = await checkOnly(writeConfig(dir, big));
    expect(d.rule).toBe('input');
    expect(d.message).toMatch(/over the 10 MB limit/);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const dir = makeTempDir();
    const file = writeConfig(dir, `\ufeff${stringify(buildBase())}`);
    const result = await checkConfig(file, { env: {} });
    expect(result.diagnostics).toEqual([]);
    expect(result.config?.workspace).toBe('test');
  });
});

describe('parsing YAML', () => {
  it('places a syntax error at its line', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(writeConfig(dir, 'version: 1\nworkspace: x\nsegments:\n  a: { name: "A", type: manual\nb: 1\n'));
    expect(d.rule).toBe('yaml');
    expect(d.line).toBeGreaterThan(1);
    expect(d.message).toMatch(/indentation|quoting|syntax/);
  });

  it('treats duplicate keys as errors naming the key', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(writeConfig(dir, 'version: 1\nworkspace: x\nworkspace: y\n'));
    expect(d).toMatchObject({ rule: 'yaml', line: 3, column: 1 });
    expect(d.message).toContain('`workspace` appears twice');
  });

  it('stops an alias bomb without expanding it', async () => {
    const dir = makeTempDir();
    let text = 'version: 1\nworkspace: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 12; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    const started = Date.now();
    const d = await checkOnly(writeConfig(dir, text));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(d.rule).toBe('yaml');
    expect(d.message).toMatch(/alias bomb/);
  });

  it('allows a few aliases for DRY configs', async () => {
    const dir = makeTempDir();
    const text = stringify(buildBase()).replace('salt: 2026-q4', 'salt: &salt 2026-q4') + 'workspace_alias_check: null\n';
    // The unknown key proves parsing got past aliases to the schema.
    const result = await checkConfig(writeConfig(dir, text), { env: {} });
    expect(result.diagnostics.map((x) => x.rule)).toEqual(['schema']);
  });

  it('reports absurd nesting as a YAML problem, not a crash', async () => {
    const dir = makeTempDir();
    const file = writeConfig(dir, `version: 1\nworkspace: x\nsegments: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const { config, diagnostics } = await checkConfig(file, { env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.every((d) => d.rule === 'yaml' && d.severity === 'error')).toBe(true);
    expect(diagnostics.some((d) => /nested too deeply/.test(d.message))).toBe(true);
  });

  it('rejects several documents in one file', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(writeConfig(dir, 'version: 1\nworkspace: a\n---\nversion: 1\nworkspace: b\n'));
    expect(d.message).toMatch(/more than one YAML document/);
  });

  it('rejects tab indentation with a fix', async () => {
    const dir = makeTempDir();
    const d = await checkOnly(writeConfig(dir, 'version: 1\n\tworkspace: x\n'));
    expect(d.message).toMatch(/spaces, not tabs/);
  });
});

describe('loadConfig', () => {
  it('throws a ConfigError that carries every error diagnostic', async () => {
    const dir = makeTempDir();
    const base = buildBase();
    base.audiences.vip.segment = 'nope';
    base.activities.hero.holdout = 'nope';
    const file = writeConfig(dir, base);
    const err = await loadConfig(file, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.diagnostics.filter((d) => d.severity === 'error').map((d) => d.rule)).toEqual(['reference', 'reference']);
    expect(ce.message).toContain('2 errors');
    expect(ce.message).toMatch(/audiences\.yaml:\d+:\d+ reference/);
    expect(ce.hint).toContain('audiences validate');
  });

  it('says plainly when the file cannot be read, without a line number or a pointer to validate', async () => {
    const missing = path.join(makeTempDir(), 'audiences.yaml');
    const err = (await loadConfig(missing, { env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`${missing} does not exist. Create it (examples/minimal.yaml is a starting point) or pass the right path with \`-c FILE\`.`);
    expect(err.hint).toBeUndefined();
  });

  it('returns warnings with the config', async () => {
    const dir = makeTempDir();
    const base = buildBase();
    delete base.activities.hero.holdout;
    const { config, diagnostics } = await loadConfig(writeConfig(dir, base), { env: {} });
    expect(config.activities.hero.state).toBe('approved');
    expect(diagnostics.map((d) => d.rule)).toEqual(['AUD005']);
  });

  it('reads a file given relative to the working directory', async () => {
    const dir = makeTempDir();
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'audiences.yaml'), stringify(buildBase()));
    const rel = path.relative(process.cwd(), path.join(dir, 'sub', 'audiences.yaml'));
    const { config } = await loadConfig(rel, { env: {} });
    expect(config.source.dir).toBe(path.join(dir, 'sub'));
    expect(config.source.file).toBe(rel);
  });
});
