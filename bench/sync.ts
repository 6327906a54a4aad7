// Bench of `audiences sync`: N profiles (default 1,000,000) across 6 segments, against the sandbox
// served from a CHILD process so the peak RSS printed is the sync's own. Prints wall time, rows per
// second, peak RSS (goal < 300 MB) and the rows a following no-change sync uploads (goal 0).
//   npx tsx bench/sync.ts [--profiles 1000000] [--fields] [--heap-mb N] [--in-process [--mem]] [--keep]
// By default it measures the sync as users run it: `npm run build`, then `node bin/audiences.js
// sync` (compiled JavaScript, Node's default heap settings) against the sandbox child, twice.
// `--in-process` runs runSync inside this tsx process instead (the tsx loader adds ~35 MB of RSS);
// with `--mem` it prints the time and peak memory of each stage. `--heap-mb N` runs the sync under
// --max-old-space-size=N: a sync whose live set grew with the population would die there.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { AdobeTargetClient } from '../src/providers/adobe-target/client.js';
import { CustomerioClient } from '../src/providers/customerio/client.js';
import type { ResolvedAdobeTarget, ResolvedCustomerio } from '../src/config/types.js';
import { customerioSources, targetProfileSink } from '../src/sync/adapters.js';
import type { SyncProgress } from '../src/sync/progress.js';
import { runSync } from '../src/sync/run-sync.js';
import { SqliteSyncStore } from '../src/sync/state/sqlite.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const profiles = Number(value('--profiles', '1000000').replace(/_/g, ''));
const withFields = flag('--fields');
if (!Number.isInteger(profiles) || profiles <= 0) throw new Error('--profiles must be a positive integer');

const SEGMENTS = 6;
const heapMb = Number(value('--heap-mb', '0'));
const sampleMem = flag('--mem') || Boolean(process.env.BENCH_MEM);

/** The bench program; with `urls`, the providers point at the sandbox child (for the real CLI). */
function configYaml(urls?: ChildProviders): string {
  const segs = Array.from({ length: SEGMENTS }, (_, s) => `  seg${s + 1}: { name: "Bench segment ${s + 1}", type: data_driven, id: ${201 + s} }`).join('\n');
  const auds = Array.from({ length: SEGMENTS }, (_, s) => `  aud${s + 1}: { name: "Bench audience ${s + 1}", segment: seg${s + 1} }`).join('\n');
  return `version: 1
workspace: bench
providers:
  customerio:
    region: us
    app_api_key: \${CIO_KEY}
    site_id: \${CIO_SITE}
    track_api_key: \${CIO_TRACK}${urls ? `\n    app_url: ${urls.customerio.app_url}\n    track_url: ${urls.customerio.track_url}` : ''}
  adobe_target:
    tenant: bench
    client_code: ${urls ? urls.adobe_target.client_code : 'bench'}
    client_id: \${AT_ID}
    client_secret: \${AT_SECRET}${urls ? `\n    profile_token: \${AT_TOKEN}\n    admin_url: ${urls.adobe_target.admin_url}\n    edge_url: ${urls.adobe_target.edge_url}\n    ims_url: ${urls.adobe_target.ims_url}` : ''}
identity: { customerio: id, hash: none }
${withFields ? 'fields:\n  lifetime_value: { type: number }\n  orders_count: { type: integer }\n' : ''}segments:
${segs}
audiences:
${auds}
holdouts:
  control: { percent: 10, salt: "bench" }
`;
}

type ChildProviders = { customerio: ResolvedCustomerio; adobe_target: ResolvedAdobeTarget };

/** Starts the sandbox child; it answers with its URL and providers, so this process never loads the sandbox's code. */
async function startChild(): Promise<{ url: string; providers: ChildProviders; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sync-sandbox-child.ts', import.meta.url)), String(profiles)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const { url, providers } = await new Promise<{ url: string; providers: ChildProviders }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox child exited with ${code}`)));
    lines.once('line', (l) => resolve(JSON.parse(l) as { url: string; providers: ChildProviders }));
  });
  return {
    url,
    providers,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Peak memory of each stage (sampled every 20 ms), for --mem. */
interface StagePeak {
  stage: string;
  started: number;
  ms: number;
  /** The process's peak RSS so far when the stage ended: catches peaks inside synchronous calls the timer cannot sample. */
  hwm: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}
const stagePeaks: StagePeak[] = [];
let current: StagePeak | undefined;
function enterStage(stage: string): void {
  if (!sampleMem) return;
  if (current) {
    current.ms = performance.now() - current.started;
    sample();
  }
  current = { stage, started: performance.now(), ms: 0, hwm: 0, rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  stagePeaks.push(current);
  sample();
}
function sample(): void {
  if (!current) return;
  current.hwm = process.resourceUsage().maxRSS * 1024;
  const m = process.memoryUsage();
  if (m.rss > current.rss) Object.assign(current, { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external });
}
if (sampleMem) setInterval(sample, 20).unref();

/** Plain progress lines on stderr, at most one every 5 seconds per stage. */
function progressLines(run: string): SyncProgress {
  let name = '';
  let n = 0;
  let last = 0;
  return {
    stage(s) {
      name = s;
      n = 0;
      last = Date.now();
      enterStage(`${run}: ${s}`);
      process.stderr.write(`  ${s}…\n`);
    },
    tick(k) {
      n += k;
      if (Date.now() - last > 5000) {
        last = Date.now();
        process.stderr.write(`  ${name}: ${n.toLocaleString('en-US')}\n`);
      }
    },
    note(t) {
      process.stderr.write(`  ${t}\n`);
    },
    done() {
      sample();
      if (current) current.ms = performance.now() - current.started;
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
  const file = join(dir, 'audiences.yaml');
  writeFileSync(file, configYaml());
  const { config } = await loadConfig(file, { env: {} });

  process.stderr.write(`Seeding a sandbox with ${profiles.toLocaleString('en-US')} profiles in a child process…\n`);
  const tSeed = Date.now();
  const child = await startChild();
  process.stderr.write(`  ready in ${((Date.now() - tSeed) / 1000).toFixed(1)}s at ${child.url}\n`);
  const { providers } = child;
  const http = { timeoutMs: 300_000 };
  const cio = new CustomerioClient({ provider: providers.customerio, http });
  const target = new AdobeTargetClient({ provider: providers.adobe_target, http });
  const src = customerioSources(cio, config.identity);
  const store = new SqliteSyncStore(join(dir, 'sync.db'));
  const sources = { membership: src, traits: src, profiles: targetProfileSink(target) };
  const rssBefore = process.memoryUsage().rss;

  try {
    process.stderr.write('First sync…\n');
    const t0 = performance.now();
    const first = await runSync({ config, sources, store, progress: progressLines('first'), poll: { intervalMs: 250, timeoutMs: 30 * 60_000 } });
    const wall = (performance.now() - t0) / 1000;
    const peakRss = process.resourceUsage().maxRSS * 1024;

    process.stderr.write('Second sync (no changes)…\n');
    const t1 = performance.now();
    const second = await runSync({ config, sources, store, progress: progressLines('no-change') });
    const wall2 = (performance.now() - t1) / 1000;
    const peakRss2 = process.resourceUsage().maxRSS * 1024;

    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const memberships = first.segments.reduce((a, s) => a + s.members, 0);
    const lines = [
      '',
      `bench/sync: ${profiles.toLocaleString('en-US')} profiles, ${SEGMENTS} segments (${memberships.toLocaleString('en-US')} memberships)${withFields ? ', 2 exported fields' : ''}, 1 holdout; ${capped ? `V8 old space capped at ${capped} MB (--heap-mb)` : "Node's default heap settings"}`,
      `  first sync         ${wall.toFixed(1)} s wall, ${first.profiles.uploaded.toLocaleString('en-US')} rows uploaded in ${first.batches.length} batch(es), status ${first.status}`,
      `  rows per second    ${Math.round(first.profiles.uploaded / wall).toLocaleString('en-US')} (start to confirmed: ${first.confirmedMs !== undefined ? (first.confirmedMs / 1000).toFixed(1) : '-'} s)`,
      `  peak RSS           ${mb(peakRss)} after the first sync (goal < 300 MB; ${mb(rssBefore)} before it), ${mb(peakRss2)} after the second`,
      `  no-change sync     ${second.profiles.uploaded} rows uploaded (goal 0), ${wall2.toFixed(1)} s wall`,
      `  holdout            ${first.holdouts.map((h) => `${h.key} ${((100 * h.heldOut) / Math.max(1, h.of)).toFixed(2)}% of ${h.of.toLocaleString('en-US')} (declared ${h.percent}%)`).join(', ')}`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    if (sampleMem) {
      const rows = stagePeaks.map((p) => `  ${p.stage.padEnd(34)} ${`${(p.ms / 1000).toFixed(1)} s`.padStart(7)} ${mb(p.rss).padStart(7)} ${mb(p.heapUsed).padStart(7)} ${mb(p.heapTotal).padStart(7)} ${mb(p.external).padStart(7)} ${mb(p.hwm).padStart(7)}`);
      process.stdout.write(`peak memory per stage (sampled every 20 ms)\n  ${'stage'.padEnd(34)} ${'time'.padStart(7)} ${'rss'.padStart(7)} ${'heap'.padStart(7)} ${'of'.padStart(7)} ${'ext'.padStart(7)} ${'max so far'.padStart(7)}\n${rows.join('\n')}\n`);
    }
  } finally {
    store.close();
    await child.stop();
    if (!flag('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `node bin/audiences.js sync` as users do; its peak RSS comes from a preload that reports it at exit. */
async function runCli(file: string, env: NodeJS.ProcessEnv): Promise<{ report: CliReport; wall: number; peakRss: number }> {
  const rssFile = join(dirname(file), 'max-rss');
  const root = fileURLToPath(new URL('../', import.meta.url));
  const flags = heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : [];
  const t0 = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, '--require', join(root, 'bench', 'max-rss.cjs'), join(root, 'bin', 'audiences.js'), 'sync', '-c', file, '--format', 'json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...env, BENCH_MAX_RSS_FILE: rssFile },
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`audiences sync exited with ${code}`))));
  });
  const wall = (performance.now() - t0) / 1000;
  return { report: JSON.parse(out) as CliReport, wall, peakRss: Number(readFileSync(rssFile, 'utf8')) * 1024 };
}

type CliReport = Awaited<ReturnType<typeof runSync>>;

async function mainCli(): Promise<void> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  process.stderr.write('Building dist/ (npm run build)…\n');
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  } catch {
    // tsc emits even when some file elsewhere in the tree has a type error; the run shows whether sync works.
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
  process.stderr.write(`Seeding a sandbox with ${profiles.toLocaleString('en-US')} profiles in a child process…\n`);
  const child = await startChild();
  const file = join(dir, 'audiences.yaml');
  writeFileSync(file, configYaml(child.providers));
  const p = child.providers;
  const env = {
    ...process.env,
    NO_COLOR: '1',
    CIO_KEY: p.customerio.app_api_key,
    CIO_SITE: p.customerio.site_id,
    CIO_TRACK: p.customerio.track_api_key,
    AT_ID: p.adobe_target.client_id,
    AT_SECRET: p.adobe_target.client_secret,
    AT_TOKEN: p.adobe_target.profile_token,
  };
  try {
    process.stderr.write('First sync (node bin/audiences.js sync)…\n');
    const first = await runCli(file, env);
    process.stderr.write('Second sync (no changes)…\n');
    const second = await runCli(file, env);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const memberships = first.report.segments.reduce((a, s) => a + s.members, 0);
    process.stdout.write(
      [
        '',
        `bench/sync: ${profiles.toLocaleString('en-US')} profiles, ${SEGMENTS} segments (${memberships.toLocaleString('en-US')} memberships)${withFields ? ', 2 exported fields' : ''}, 1 holdout; node bin/audiences.js sync, ${heapMb > 0 ? `--max-old-space-size=${heapMb}` : "Node's default heap settings"}`,
        `  first sync         ${first.wall.toFixed(1)} s wall (process start to exit), ${first.report.profiles.uploaded.toLocaleString('en-US')} rows uploaded in ${first.report.batches.length} batch(es), status ${first.report.status}`,
        `  rows per second    ${Math.round(first.report.profiles.uploaded / first.wall).toLocaleString('en-US')} (start to confirmed: ${first.report.confirmedMs !== undefined ? (first.report.confirmedMs / 1000).toFixed(1) : '-'} s)`,
        `  peak RSS           ${mb(first.peakRss)} first sync, ${mb(second.peakRss)} no-change sync (goal < 300 MB)`,
        `  no-change sync     ${second.report.profiles.uploaded} rows uploaded (goal 0), ${second.wall.toFixed(1)} s wall`,
        `  holdout            ${first.report.holdouts.map((h) => `${h.key} ${((100 * h.heldOut) / Math.max(1, h.of)).toFixed(2)}% of ${h.of.toLocaleString('en-US')} (declared ${h.percent}%)`).join(', ')}`,
        '',
      ].join('\n'),
    );
  } finally {
    await child.stop();
    if (!flag('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

/** Reruns this script under the heap cap (once), passing the arguments through. */
function rerunCapped(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
      stdio: 'inherit',
      env: { ...process.env, AUDIENCES_BENCH_CAPPED: String(heapMb) },
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const capped = process.env.AUDIENCES_BENCH_CAPPED;
const start = !flag('--in-process') ? mainCli() : heapMb > 0 && !capped ? rerunCapped().then((code) => process.exit(code)) : main();
start.catch((err: unknown) => {
  process.stderr.write(`bench/sync failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
