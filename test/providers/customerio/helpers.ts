// Builders for Customer.io tests against the sandbox: a started sandbox with a small seed, a client
// with fast retries, and sliding-window counting of server-side timestamps.
import { afterEach } from 'vitest';
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../../src/sandbox/index.js';
import { CUSTOMERIO_EMULATOR } from '../../../src/sandbox/index.js';
import { CustomerioClient, type CustomerioClientOptions } from '../../../src/providers/customerio/client.js';
import type { CustomerioSeed, SandboxSeed } from '../../../src/sandbox/types.js';
import { clearSecrets } from '../../../src/model/secrets.js';

const running: RunningSandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  clearSecrets();
});

/** A seed with `people` customers cust_000001… and the given segments (members by 1-based index range). */
export function buildSeed(opts: {
  people?: number;
  segments?: Array<{ id: number; name: string; type?: 'dynamic' | 'manual'; members?: [number, number] }>;
} = {}): SandboxSeed {
  const n = opts.people ?? 50;
  const people: CustomerioSeed['people'] = [];
  for (let i = 1; i <= n; i++) {
    people.push({
      id: customerId(i),
      email: `person${i}@example.com`,
      created_at: 1735689600 + i,
      attributes: { plan: i % 3 === 0 ? 'pro' : 'basic', lifetime_value: i * 10, vip: i % 10 === 0 },
    });
  }
  const segments = (opts.segments ?? []).map((s) => {
    const [from, to] = s.members ?? [1, 0];
    const members: string[] = [];
    for (let i = from; i <= to; i++) members.push(customerId(i));
    return { id: s.id, name: s.name, type: s.type ?? 'dynamic', members };
  });
  return { customerio: { people, segments } };
}

export function customerId(i: number): string {
  return `cust_${String(i).padStart(6, '0')}`;
}

/** Starts a Customer.io-only sandbox (closed after each test). */
export async function startCioSandbox(opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const sb = await startSandbox({ emulators: [CUSTOMERIO_EMULATOR], seed: buildSeed(), ...opts });
  running.push(sb);
  return sb;
}

/** A client on the sandbox with short backoffs, so retry tests stay fast. */
export function buildClient(sb: RunningSandbox, over: Partial<CustomerioClientOptions> = {}): CustomerioClient {
  return new CustomerioClient({
    provider: sb.providers.customerio,
    http: { retry: { baseDelayMs: 5, maxDelayMs: 50 }, timeoutMs: 5000 },
    exportPoll: { intervalMs: 50, timeoutMs: 5000 },
    ...over,
  });
}

/** The most requests whose arrival times fall inside any window of `windowMs`. */
export function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi] - t[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
