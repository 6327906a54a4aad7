// The apply engine: runs a plan's changes through the providers in dependency order, carrying ids created earlier in the run to later changes.
import { redact } from '../model/secrets.js';
import type { Change, PlatformName } from '../plan/types.js';
import type { IdLookup, Provider } from '../providers/types.js';
import type { ChangeResult } from './result-table.js';

/** What the engine needs of a provider: perform one change (src/providers/types.ts). */
export type ChangeApplier = Pick<Provider, 'apply'>;

export interface ApplyPlanOptions {
  /** The config's workspace, handed to providers for markers and thirdPartyIds. */
  workspace: string;
  /** Changes in flight at once (the HTTP layer paces each platform's own rate limit under this). */
  concurrency?: number;
  /** Called after each change finishes (progress lines). */
  onResult?: (result: ChangeResult) => void;
}

export const DEFAULT_APPLY_CONCURRENCY = 4;

/**
 * Executes `changes` (already ordered, each with `dependsOn`): a change starts once every change it
 * depends on succeeded; a change whose dependency failed or was skipped is skipped; independent
 * changes go on after a failure. `manual` changes are never attempted. Never throws for a change's
 * own failure: every outcome is in the returned list, in plan order.
 */
export async function applyPlan(
  changes: readonly Change[],
  appliers: Partial<Record<PlatformName, ChangeApplier>>,
  knownIds: ReadonlyMap<string, string | number>,
  opts: ApplyPlanOptions,
): Promise<ChangeResult[]> {
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_APPLY_CONCURRENCY);
  const ids = new Map(knownIds);
  const registry: IdLookup = { idOf: (address) => ids.get(address) };
  // Results by position: one address can carry two changes (a duplicate owned object is deleted
  // while its twin is updated), so addresses alone do not identify a change.
  const results: Array<ChangeResult | undefined> = changes.map(() => undefined);
  const byAddress = new Map<string, number[]>();
  changes.forEach((c, i) => byAddress.set(c.address, [...(byAddress.get(c.address) ?? []), i]));
  const pending: number[] = [];
  const running = new Set<Promise<void>>();

  const finish = (i: number, result: ChangeResult) => {
    results[i] = result;
    opts.onResult?.(result);
  };

  changes.forEach((c, i) => {
    if (c.action === 'manual') {
      results[i] = { address: c.address, action: c.action, status: 'skipped', message: c.reason ?? 'manual action required' };
    } else {
      pending.push(i);
    }
  });

  const run = async (i: number): Promise<void> => {
    const c = changes[i]!;
    const applier = appliers[c.platform];
    const started = performance.now();
    if (!applier) {
      finish(i, { address: c.address, action: c.action, status: 'failed', message: `no provider for ${c.platform} is configured` });
      return;
    }
    try {
      const out = await applier.apply(c, { workspace: opts.workspace, ids: registry });
      const durationMs = Math.round(performance.now() - started);
      if (out.status !== 'succeeded') {
        finish(i, { address: c.address, action: c.action, status: out.status, message: redact(out.message ?? `${c.action} ${out.status}`), durationMs });
        return;
      }
      if (c.action === 'delete') {
        if (ids.get(c.address) === c.id) ids.delete(c.address);
      } else if (out.id !== undefined) ids.set(c.address, out.id);
      finish(i, {
        address: c.address,
        action: c.action,
        status: 'succeeded',
        id: c.action === 'delete' ? undefined : (out.id ?? c.id),
        durationMs,
      });
    } catch (err) {
      // Providers resolve with status "failed"; a throw is still contained to this one change.
      finish(i, {
        address: c.address,
        action: c.action,
        status: 'failed',
        message: redact(err instanceof Error ? err.message : String(err)),
        durationMs: Math.round(performance.now() - started),
      });
    }
  };

  /** Positions of the writes this run performs that change `i` waits for (never manual ones). */
  const depsOf = (i: number): number[] =>
    changes[i]!.dependsOn.flatMap((d) => byAddress.get(d) ?? []).filter((j) => j !== i && changes[j]!.action !== 'manual');

  while (pending.length > 0 || running.size > 0) {
    let progressed = false;
    for (let k = 0; k < pending.length && running.size < concurrency; ) {
      const i = pending[k]!;
      const deps = depsOf(i);
      const blocked = deps.find((j) => results[j] !== undefined && results[j]!.status !== 'succeeded');
      if (blocked !== undefined) {
        const r = results[blocked]!;
        const c = changes[i]!;
        finish(i, {
          address: c.address,
          action: c.action,
          status: 'skipped',
          message: `depends on ${r.action} ${r.address}, which ${r.status === 'failed' ? 'failed' : 'was skipped'}`,
        });
        pending.splice(k, 1);
        progressed = true;
        continue;
      }
      if (!deps.every((j) => results[j] !== undefined)) {
        k++;
        continue;
      }
      pending.splice(k, 1);
      const p: Promise<void> = run(i).finally(() => running.delete(p));
      running.add(p);
      progressed = true;
    }
    if (running.size > 0) {
      await Promise.race(running);
    } else if (!progressed && pending.length > 0) {
      // A dependency cycle (the planner never makes one): report it instead of hanging.
      for (const i of pending.splice(0)) {
        const c = changes[i]!;
        finish(i, { address: c.address, action: c.action, status: 'skipped', message: `waits on a dependency cycle: ${c.dependsOn.join(', ')}` });
      }
    }
  }

  return results.map((r) => r!);
}
