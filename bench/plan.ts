// Bench: `plan` over 300 managed objects against the sandbox at 50 ms injected latency, as wall time and as a ratio to the ideal floor. Run: npx tsx bench/plan.ts
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyPlan } from '../src/apply/apply-plan.js';
import { knownIdsOf, refreshPlan } from '../src/apply/refresh-plan.js';
import { openSession } from '../src/cli/session.js';
import type { AttemptEvent } from '../src/http/types.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';

const PER_KIND = 100; // audiences, offers, activities: 300 managed objects
const SEGMENTS = 4;
const LATENCY_MS = 50;
/** HttpClient's default number of requests in flight per API. */
const CONCURRENCY = 8;

function buildConfig(): string {
  const lines = ['version: 1', 'workspace: bench', 'providers:', '  customerio: { region: us, app_api_key: "${CIO_KEY}" }', '  adobe_target: { tenant: bench, client_code: bench, client_id: "${ID}", client_secret: "${SECRET}" }', 'segments:'];
  for (let s = 0; s < SEGMENTS; s++) lines.push(`  seg_${s}: { name: "Segment ${s}", type: data_driven, id: ${101 + s} }`);
  lines.push('audiences:');
  for (let i = 0; i < PER_KIND; i++) lines.push(`  aud_${i}: { name: "Audience ${i}", segment: seg_${i % SEGMENTS} }`);
  lines.push('offers:');
  for (let i = 0; i < PER_KIND; i++) lines.push(`  offer_${i}: { name: "Offer ${i}", content: '<div class="o${i}">Offer ${i}</div>' }`);
  lines.push('activities:');
  for (let i = 0; i < PER_KIND; i++) {
    lines.push(`  act_${i}:`, `    name: "Activity ${i}"`, '    type: xt', `    location: loc-${i}`, '    state: saved', `    experiences: [ { audience: aud_${i}, offer: offer_${i} } ]`);
  }
  return `${lines.join('\n')}\n`;
}

/** The sandbox with Target's admin API paced at `rate` per second (the CLI's --sandbox uses 5). */
function withTargetRate(sandbox: RunningSandbox, rate: number): RunningSandbox {
  return { ...sandbox, providers: { ...sandbox.providers, adobe_target: { ...sandbox.providers.adobe_target, rate_limit: rate } } };
}

async function measure(configFile: string, sandbox: RunningSandbox, targetRate: number): Promise<void> {
  const attempts: AttemptEvent[] = [];
  const session = await openSession({ configFile, runningSandbox: withTargetRate(sandbox, targetRate), http: { onAttempt: (e) => attempts.push(e) } });
  const t0 = performance.now();
  const { plan, existing } = await refreshPlan(session.config, session.providers, session.platforms);
  const wall = (performance.now() - t0) / 1000;
  const managed = existing.filter((r) => r.owned).length;

  // Ideal floor: the APIs run in parallel with each other; within one API, calls go CONCURRENCY at
  // a time at LATENCY_MS each, unless its rate limit is the tighter bound. Ratio 1.0 is perfect.
  const rates: Record<string, number> = { 'customerio/app': 10, 'adobe_target/admin': targetRate, 'adobe_target/ims': Infinity };
  const byApi = new Map<string, number>();
  for (const a of attempts) byApi.set(`${a.platform}/${a.api}`, (byApi.get(`${a.platform}/${a.api}`) ?? 0) + 1);
  let floor = 0;
  const parts: string[] = [];
  for (const [api, calls] of byApi) {
    const latencyBound = (calls * LATENCY_MS) / 1000 / CONCURRENCY;
    // A sliding window lets the first `rate` calls start at once, then `rate` more each second.
    const rate = rates[api] ?? Infinity;
    const rateBound = Number.isFinite(rate) ? Math.max(0, calls - rate) / rate + LATENCY_MS / 1000 : 0;
    const bound = Math.max(latencyBound, rateBound, LATENCY_MS / 1000);
    floor = Math.max(floor, bound);
    parts.push(`${api} ${calls} calls (${rateBound > latencyBound ? `rate ${rates[api]}/s binds` : `latency×${calls}/${CONCURRENCY}`}: ${bound.toFixed(2)} s)`);
  }
  console.log(`Target admin at ${targetRate}/s: ${managed} managed objects, ${attempts.length} calls, plan ${plan.changes.length} changes`);
  console.log(`  ${parts.join('; ')}`);
  console.log(`  wall ${wall.toFixed(2)} s, ideal floor ${floor.toFixed(2)} s, ratio ${(wall / floor).toFixed(2)}×`);
  await session.close();
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'audiences-bench-'));
  const configFile = path.join(dir, 'audiences.yaml');
  await writeFile(configFile, buildConfig());
  const sandbox = await startSandbox({ config: configFile, seed: 'default', record: false });
  try {
    // Setup (no latency): apply the 300 objects once.
    const setup = await openSession({ configFile, runningSandbox: withTargetRate(sandbox, 1000) });
    const first = await refreshPlan(setup.config, setup.providers, setup.platforms);
    const results = await applyPlan(first.plan.changes, setup.providers, knownIdsOf(first.existing), { workspace: setup.config.workspace, concurrency: 16 });
    const failed = results.filter((r) => r.status !== 'succeeded');
    if (failed.length > 0) throw new Error(`setup apply failed: ${failed[0]!.address}: ${failed[0]!.message}`);
    await setup.close();

    sandbox.setFaults({ latencyMs: LATENCY_MS });
    console.log(`plan over ${PER_KIND * 3} managed objects (+${SEGMENTS} data-driven segments), ${LATENCY_MS} ms latency per request, ${CONCURRENCY} requests in flight per API`);
    await measure(configFile, sandbox, 1000);
    await measure(configFile, sandbox, 5);
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
