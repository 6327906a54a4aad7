// Child process of bench/sync.ts: serves a sandbox seeded with N profiles across 6 segments, so the
// parent's peak RSS measures the sync alone. Prints {"url", "providers"} on stdout, stops when stdin closes.
import { sandboxProvidersAt, startSandbox } from '../src/sandbox/index.js';
import type { SandboxSeed } from '../src/sandbox/types.js';

export const BENCH_SEGMENTS = 6;
export const BENCH_SEGMENT_BASE_ID = 201;

/** Profile i is in segment i % 6; every fourth is also in the next one (≈1.25 memberships each). */
export function benchMemberships(i: number): number[] {
  const s = i % BENCH_SEGMENTS;
  return i % 4 === 0 ? [s, (s + 1) % BENCH_SEGMENTS] : [s];
}

export function benchId(i: number): string {
  return `c${String(i).padStart(8, '0')}`;
}

function buildSeed(n: number): SandboxSeed {
  const people: NonNullable<SandboxSeed['customerio']>['people'] = [];
  const members: string[][] = Array.from({ length: BENCH_SEGMENTS }, () => []);
  for (let i = 0; i < n; i++) {
    const id = benchId(i);
    people.push({ id, email: `${id}@bench.test`, attributes: { lifetime_value: String((i * 37) % 1000), orders_count: String(i % 7) } });
    for (const s of benchMemberships(i)) (members[s] as string[]).push(id);
  }
  return {
    customerio: {
      people,
      segments: members.map((m, s) => ({ id: BENCH_SEGMENT_BASE_ID + s, name: `Bench segment ${s + 1}`, type: 'dynamic' as const, members: m })),
    },
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? '1000000');
  const sandbox = await startSandbox({ seed: buildSeed(n), record: false, faults: { latencyMs: 0 } });
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, providers: sandboxProvidersAt(sandbox.url) })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void sandbox.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
}

void main();
