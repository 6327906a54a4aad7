// Read → plan: refreshes both platforms concurrently and diffs them against the compiled config; the ids apply needs.
import type { Config } from '../config/types.js';
import { compileDesired } from '../plan/compile.js';
import { diffResources } from '../plan/diff.js';
import type { Plan, PlatformName, Resource } from '../plan/types.js';
import type { Provider } from '../providers/types.js';

export type ProviderSet = Partial<Record<PlatformName, Provider>>;

export interface RefreshedPlan {
  plan: Plan;
  desired: Resource[];
  existing: Resource[];
  platforms: PlatformName[];
}

/**
 * Reads every platform at once (each client paces itself within its own rate limit), then diffs.
 * A read failure fails the whole plan: a partial read must never look like "nothing exists".
 */
export async function refreshPlan(config: Config, providers: ProviderSet, platforms: PlatformName[]): Promise<RefreshedPlan> {
  const desired = compileDesired(config);
  const noIds = { idOf: () => undefined };
  const reads = await Promise.all(platforms.map((p) => providers[p]!.populate({ workspace: config.workspace, ids: noIds })));
  const existing = reads.flat();
  const plan = diffResources(desired, existing, { platforms });
  return { plan, desired, existing, platforms };
}

/** Server ids of the objects this workspace owns, by address: what activities need to reference them. */
export function knownIdsOf(existing: readonly Resource[]): Map<string, string | number> {
  const ids = new Map<string, string | number>();
  for (const r of existing) {
    if (r.owned && r.id !== undefined && !ids.has(r.address)) ids.set(r.address, r.id);
  }
  return ids;
}
