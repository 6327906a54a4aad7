// `audiences validate` end to end: the built CLI spawned as users run it (exit codes, formats,
// bad input without stack traces, no credentials), and every examples/ file through the program.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, reportError, type CommandContext } from '../../src/cli/main.js';
import { memoryOutput } from '../../src/cli/io.js';
import { LINT_RULES } from '../../src/config/rules/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BAD_DIR = path.join(ROOT, 'examples', 'bad');
const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

let install: string; // a private build: <tmp>/{bin,dist,schema,node_modules→repo}
let work: string; // throwaway inputs

beforeAll(() => {
  install = mkdtempSync(path.join(tmpdir(), 'audiences-cli-'));
  work = mkdtempSync(path.join(tmpdir(), 'audiences-cli-work-'));
  // Build once into a private folder so parallel test files never race on dist/. Type errors in
  // files other teams are editing must not block this suite, so success is judged by the output.
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(install, 'dist')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  for (const built of ['cli/main.js', 'cli/commands/validate.js', 'config/index.js', 'render/diagnostics.js']) {
    if (!existsSync(path.join(install, 'dist', built))) throw new Error(`build did not produce dist/${built}`);
  }
  cpSync(path.join(ROOT, 'bin'), path.join(install, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'schema'), path.join(install, 'schema'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(install, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(install, 'node_modules'), 'dir');
}, 120_000);

afterAll(() => {
  rmSync(install, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** Runs the built CLI with a minimal environment: no credentials, no colour. */
function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const res = spawnSync(process.execPath, [path.join(install, 'bin', 'audiences.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...opts.env },
    timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, all: `${res.stdout}\n${res.stderr}` };
}

/** Runs the program in-process (fast), as main() would, and returns exit code and output. */
async function runInProcess(args: string[]) {
  const output = memoryOutput();
  const ctx: CommandContext = { output, exitCode: 0 };
  try {
    await buildProgram(ctx).parseAsync(['node', 'audiences', ...args]);
  } catch (err) {
    ctx.exitCode = reportError(err, output);
  }
  return { code: ctx.exitCode, stdout: output.stdout, stderr: output.stderr };
}

function writeInput(name: string, content: string | Buffer): string {
  const file = path.join(work, name);
  writeFileSync(file, content);
  return file;
}

describe('validate on good configs', () => {
  it('accepts the root audiences.yaml with no credentials in the environment (spawned)', () => {
    const res = runCli(['validate', '--strict']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('audiences.yaml is valid: no problems found.\n');
    expect(res.code).toBe(0);
  });

  it('defaults to ./audiences.yaml and accepts -c', () => {
    expect(runCli(['validate', '-c', path.join(ROOT, 'audiences.yaml')], { cwd: work }).code).toBe(0);
    const missing = runCli(['validate'], { cwd: work });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/audiences\.yaml does not exist/);
  });

  const examples = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));
  it('has examples to check', () => expect(examples.length).toBeGreaterThanOrEqual(2));
  for (const example of examples) {
    it(`accepts examples/${example} (strict)`, async () => {
      const res = await runInProcess(['validate', '-c', path.join(ROOT, 'examples', example), '--strict']);
      expect(res.stdout).toMatch(/is valid: no problems found/);
      expect(res.code).toBe(0);
    });
  }
});

describe('validate on examples/bad', () => {
  const files = readdirSync(BAD_DIR).sort();
  it('has one file per lint rule and per problem category', () => {
    const prefixes = new Set(files.map((f) => f.split('-')[0]));
    for (const rule of LINT_RULES) expect(prefixes.has(rule.id), `examples/bad lacks ${rule.id}-${rule.name}.yaml`).toBe(true);
    for (const category of ['input', 'yaml', 'schema', 'reference', 'semantic']) expect(prefixes.has(category)).toBe(true);
  });

  for (const name of files) {
    // The intended rule is the file name's prefix: AUD003-missing-precedence.yaml → AUD003.
    const intended = name.split('-')[0];
    it(`${name} fails naming ${intended}`, async () => {
      const res = await runInProcess(['validate', '-c', path.join(BAD_DIR, name), '--format', 'json', '--strict']);
      expect(res.code).toBe(1);
      const { diagnostics } = JSON.parse(res.stdout) as { diagnostics: Array<{ rule: string; severity: string; message: string; line: number }> };
      expect(diagnostics.map((d) => d.rule)).toContain(intended);
      // Nothing else is wrong with the file: every error is the intended one.
      expect(diagnostics.filter((d) => d.severity === 'error' && d.rule !== intended)).toEqual([]);
      for (const d of diagnostics) expect(d.message.length).toBeGreaterThan(20);
      if (diagnostics.some((d) => d.severity === 'error')) {
        // Errors fail even without --strict.
        expect((await runInProcess(['validate', '-c', path.join(BAD_DIR, name)])).code).toBe(1);
      }
    });
  }
});

describe('bad input: a clear message, exit 1, never a stack trace (spawned)', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['malformed YAML', () => writeInput('malformed.yaml', 'version: 1\nworkspace: "unterminated\n  x: [\n'), /:\d+:\d+ +error +yaml[\s\S]*quot/],
    ['wrong types', () => writeInput('types.yaml', 'version: "1"\nworkspace: [a, b]\n'), /`version` must be 1[\s\S]*`workspace` must be a string/],
    [
      'an alias bomb',
      () => {
        let text = 'version: 1\nworkspace: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
        for (let i = 1; i < 12; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
        return writeInput('bomb.yaml', text);
      },
      /alias bomb/,
    ],
    ['a 10 MB file', () => writeInput('huge.yaml', Buffer.alloc(10 * 1024 * 1024 + 10, 'a')), /over the 10 MB limit/],
    ['binary garbage', () => writeInput('garbage.yaml', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 31 + 7) % 256))), /not a UTF-8 text file/],
    ['an empty file', () => writeInput('empty.yaml', ''), /is empty/],
    [
      'a directory',
      () => {
        const dir = path.join(work, 'a-folder');
        mkdirSync(dir, { recursive: true });
        return dir;
      },
      /is a directory, not a config file/,
    ],
    ['a missing file', () => path.join(work, 'missing.yaml'), /does not exist/],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      const res = runCli(['validate', '-c', make()]);
      expect(res.code).toBe(1);
      expect(res.all).toMatch(message);
      expect(res.all).not.toMatch(STACK_TRACE);
      expect(res.all).not.toMatch(/unexpected failure|This is a bug/);
    });
  }

  it('rejects an unknown format with the allowed choices', () => {
    const res = runCli(['validate', '--format', 'xml']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/human, json, sarif/);
    expect(res.all).not.toMatch(STACK_TRACE);
  });
});

describe('formats and flags', () => {
  it('--format json prints exactly the diagnostics report', () => {
    const res = runCli(['validate', '-c', path.join(BAD_DIR, 'AUD003-missing-precedence.yaml'), '--format', 'json']);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(Object.keys(report)).toEqual(['diagnostics']);
    expect(Object.keys(report.diagnostics[0])).toEqual(['rule', 'severity', 'message', 'path', 'line', 'column', 'file']);
    expect(report.diagnostics[0]).toMatchObject({ rule: 'AUD003', severity: 'error', path: 'activities.hero.experiences.1.audience' });
  });

  it('--format sarif prints a SARIF 2.1.0 log with repository-relative locations', () => {
    const res = runCli(['validate', '-c', 'examples/bad/AUD006-incentive-stacking.yaml', '--format', 'sarif'], {
      env: { AUDIENCES_RULES_URL: 'https://docs.example.test/rules.md' },
    });
    expect(res.code).toBe(1);
    const log = JSON.parse(res.stdout);
    expect(log.version).toBe('2.1.0');
    const result = log.runs[0].results[0];
    expect(result.ruleId).toBe('AUD006');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('examples/bad/AUD006-incentive-stacking.yaml');
    const rule = log.runs[0].tool.driver.rules[result.ruleIndex];
    expect(rule.helpUri).toBe('https://docs.example.test/rules.md#aud006-incentive-stacking');
  });

  it('warnings pass by default and fail with --strict', () => {
    const file = path.join(BAD_DIR, 'AUD005-no-holdout.yaml');
    const relaxed = runCli(['validate', '-c', file]);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toMatch(/warning +AUD005 no-holdout[\s\S]*is valid, with 1 warning/);
    const strict = runCli(['validate', '-c', file, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/--strict: warnings fail/);
  });

  it('human output prints file:line:col, rule, path and fix, without colour under NO_COLOR', () => {
    const res = runCli(['validate', '-c', 'examples/bad/reference-dangling-segment.yaml']);
    expect(res.stdout).toMatch(/examples\/bad\/reference-dangling-segment\.yaml:8:56 +error +reference +at audiences\.cart_abandoners\.segment\n +Segment `cart_abandoned_4hr` is not declared under `segments`\. Did you mean `cart_abandoned_4h`\?/);
    expect(res.stdout).not.toMatch(/\u001b\[/);
  });

  it('never prints a literal credential found in the config', () => {
    const file = writeInput(
      'literal.yaml',
      readFileSync(path.join(ROOT, 'examples/minimal.yaml'), 'utf8') + 'providers:\n  customerio:\n    app_api_key: sk-live-do-not-print-42\n',
    );
    for (const format of ['human', 'json', 'sarif']) {
      const res = runCli(['validate', '-c', file, '--format', format]);
      expect(res.code).toBe(1);
      expect(res.all).toMatch(/AUD010/);
      expect(res.all).not.toContain('sk-live-do-not-print-42');
    }
  });

  it('--help is fast because validate loads yaml and ajv lazily', () => {
    const source = readFileSync(path.join(ROOT, 'src/cli/commands/validate.ts'), 'utf8');
    const staticImports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(staticImports.filter((m) => /yaml|ajv|config\/|render\//.test(m))).toEqual([]);
    const started = Date.now();
    const res = runCli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/validate/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
