// Starts a loopback sandbox with only the Target emulator and builds clients pointed at it.
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { createTargetEmulator, type TargetEmulator, type TargetEmulatorOptions } from '../../../src/sandbox/adobe-target/index.js';
import type { FaultSettings, SandboxCredentials } from '../../../src/sandbox/types.js';
import { AdobeTargetClient, type AdobeTargetClientOptions } from '../../../src/providers/adobe-target/client.js';
import type { ResolvedAdobeTarget } from '../../../src/config/types.js';

export interface TargetSandbox {
  sandbox: RunningSandbox;
  emulator: TargetEmulator;
  provider: ResolvedAdobeTarget;
  client: (over?: Partial<AdobeTargetClientOptions>) => AdobeTargetClient;
  close: () => Promise<void>;
}

export async function startTargetSandbox(
  opts: { faults?: Partial<FaultSettings>; emulator?: TargetEmulatorOptions; credentials?: Partial<SandboxCredentials['adobe_target']> } = {},
): Promise<TargetSandbox> {
  const sandbox = await startSandbox({
    seed: 'none',
    faults: opts.faults,
    credentials: opts.credentials ? { adobe_target: opts.credentials } : undefined,
    emulators: [{ name: 'adobe_target', create: (ctx) => createTargetEmulator(ctx, { batchDelayMs: 100, ...opts.emulator }) }],
  });
  const emulator = sandbox.emulators.adobe_target as TargetEmulator;
  const provider = { ...sandbox.providers.adobe_target, rate_limit: 1000 };
  return {
    sandbox,
    emulator,
    provider,
    client: (over = {}) =>
      new AdobeTargetClient({
        provider,
        http: { retry: { baseDelayMs: 5, maxDelayMs: 40 }, ...over.http },
        batchPoll: { intervalMs: 30, timeoutMs: 5000 },
        ...over,
      }),
    close: () => sandbox.close(),
  };
}

/** A small XT activity body: audience → first offer, everyone else → second offer. */
export function buildXtActivity(o: { name: string; thirdPartyId: string; mbox: string; audienceId: number; offerA: number; offerB: number; priority?: number }) {
  return {
    name: o.name,
    thirdPartyId: o.thirdPartyId,
    priority: o.priority ?? 50,
    options: [
      { optionLocalId: 0, offerId: o.offerA },
      { optionLocalId: 1, offerId: o.offerB },
    ],
    locations: { mboxes: [{ locationLocalId: 0, name: o.mbox }] },
    experiences: [
      { experienceLocalId: 0, name: 'Audience', audienceIds: [o.audienceId], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] },
      { experienceLocalId: 1, name: 'Everyone else', audienceIds: [], optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
    ],
    metrics: [
      { metricLocalId: 32767, name: 'primary', conversion: true, action: { type: 'count_once' as const }, mboxes: [{ name: 'order-complete', successEvent: 'mbox_shown' as const }] },
    ],
  };
}
