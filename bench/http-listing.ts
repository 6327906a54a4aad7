// Bench: list and read 500 audiences and 500 activities through the Target client against an
// in-process sandbox with 50 ms injected latency; wall time vs the ideal floor. Run: npx tsx bench/http-listing.ts
import { performance } from 'node:perf_hooks';
import { AdobeTargetClient } from '../src/providers/adobe-target/client.js';
import { createTargetEmulator, type TargetEmulator } from '../src/sandbox/adobe-target/index.js';
import { startSandbox } from '../src/sandbox/index.js';
import type { AttemptEvent } from '../src/http/types.js';

const AUDIENCES = 500;
const ACTIVITIES = 500;
const LATENCY_MS = 50;
const CONCURRENCY = 8;

interface Scenario {
  label: string;
  /** Admin API requests per second (the provider's rate_limit). */
  rateLimit: number;
}

const SCENARIOS: Scenario[] = [
  { label: 'concurrency-bound (rate_limit 1000/s)', rateLimit: 1000 },
  { label: 'rate-limit-bound (rate_limit 50/s)', rateLimit: 50 },
];

async function runScenario(s: Scenario): Promise<void> {
  const sandbox = await startSandbox({
    seed: 'none',
    faults: { latencyMs: LATENCY_MS },
    record: false,
    emulators: [{ name: 'adobe_target', create: (ctx) => createTargetEmulator(ctx) }],
  });
  try {
    const emulator = sandbox.emulators.adobe_target as TargetEmulator;
    const offer = emulator.state.seedOffer({ name: 'bench offer', content: '<p>bench</p>' });
    for (let i = 0; i < AUDIENCES; i++) emulator.state.seedAudience({ name: `bench audience ${i}`, targetRule: { profile: `seg_${i}`, equals: ['true'] } });
    const audienceIds = emulator.state.audiences().map((a) => a.id);
    for (let i = 0; i < ACTIVITIES; i++) {
      emulator.state.seedActivity(i % 2 ? 'ab' : 'xt', {
        name: `bench activity ${i}`,
        thirdPartyId: `bench/${i}`,
        options: [{ optionLocalId: 0, offerId: offer.id }],
        locations: { mboxes: [{ locationLocalId: 0, name: `mbox-${i}` }] },
        experiences: [
          { experienceLocalId: 0, name: 'e', audienceIds: i % 2 ? [] : [audienceIds[i % AUDIENCES]], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
        ],
      });
    }

    const attempts: AttemptEvent[] = [];
    const client = new AdobeTargetClient({
      provider: { ...sandbox.providers.adobe_target, rate_limit: s.rateLimit },
      http: { concurrency: CONCURRENCY, onAttempt: (e) => attempts.push(e) },
    });

    const t0 = performance.now();
    const [audiences, activities] = await Promise.all([client.listAudiences(), client.listActivities()]);
    const [fullAudiences, fullActivities] = await Promise.all([
      Promise.all(audiences.map((a) => client.getAudience(a.id))),
      Promise.all(activities.map((a) => client.getActivity(a.type === 'ab' ? 'ab' : 'xt', a.id))),
    ]);
    const wallMs = performance.now() - t0;

    const complete = fullAudiences.filter((a) => a?.targetRule).length === AUDIENCES && fullActivities.filter((a) => a?.experiences).length === ACTIVITIES;
    const calls = attempts.length;
    const adminCalls = attempts.filter((e) => e.api === 'admin').length;
    const retries = attempts.filter((e) => e.attempt > 1).length;
    // The ideal floor: every call's latency spread over the concurrency, or the rate limit where it binds.
    const latencyFloorMs = (calls * LATENCY_MS) / CONCURRENCY;
    const rateFloorMs = (adminCalls / s.rateLimit) * 1000;
    const floorMs = Math.max(latencyFloorMs, rateFloorMs);
    const binding = rateFloorMs > latencyFloorMs ? 'rate limit' : 'latency ÷ concurrency';
    console.log(`\n${s.label}`);
    console.log(`  objects read         ${audiences.length} audiences, ${activities.length} activities (complete: ${complete ? 'yes' : 'NO'})`);
    console.log(`  HTTP calls           ${calls} (${adminCalls} Admin, ${calls - adminCalls} IMS; ${retries} retries)`);
    console.log(`  wall time            ${(wallMs / 1000).toFixed(2)} s`);
    console.log(`  ideal floor          ${(floorMs / 1000).toFixed(2)} s (${binding}: ${calls} × ${LATENCY_MS} ms ÷ ${CONCURRENCY} = ${(latencyFloorMs / 1000).toFixed(2)} s; ${adminCalls} ÷ ${s.rateLimit}/s = ${(rateFloorMs / 1000).toFixed(2)} s)`);
    console.log(`  ratio to floor       ${(wallMs / floorMs).toFixed(2)}×`);
    if (!complete) process.exitCode = 1;
  } finally {
    await sandbox.close();
  }
}

console.log(`Target listing bench: ${AUDIENCES} audiences + ${ACTIVITIES} activities, list + get each, ${LATENCY_MS} ms injected latency, concurrency ${CONCURRENCY}`);
for (const s of SCENARIOS) await runScenario(s);
