// Orders a plan's changes so dependencies hold: segments, audiences and offers are created or
// updated before the activities that use them; deletes run after, in reverse (activities first).
import { cmp } from './canonicalize.js';
import { KIND_RANK, type Change, type Resource } from './types.js';

/** Sorts changes and fills each change's dependsOn with the addresses of changes it must wait for. */
export function orderChanges(changes: Change[], desired: Resource[], existing: Resource[]): Change[] {
  const phase = (c: Change) => (c.action === 'delete' ? 1 : 0);
  const rank = (c: Change) => (c.action === 'delete' ? -KIND_RANK[c.kind] : KIND_RANK[c.kind]);
  const sorted = [...changes].sort(
    (a, b) => phase(a) - phase(b) || rank(a) - rank(b) || cmp(a.platform, b.platform) || cmp(a.address, b.address),
  );

  const writes = new Set(sorted.filter((c) => c.action !== 'delete' && c.action !== 'manual').map((c) => c.address));
  const touchedActivities = new Set(
    sorted.filter((c) => c.kind === 'activity' && c.action !== 'manual').map((c) => c.address),
  );
  const desiredRefs = new Map(desired.map((r) => [r.address, r.refs ?? []]));
  // Who references what today (any owner): an audience or offer is deleted only after its users changed.
  const users = new Map<string, string[]>();
  for (const r of existing) {
    for (const ref of r.refs ?? []) users.set(ref, [...(users.get(ref) ?? []), r.address]);
  }

  return sorted.map((c) => {
    let deps: string[] = [];
    if (c.action !== 'delete' && c.action !== 'manual') {
      deps = (desiredRefs.get(c.address) ?? []).filter((a) => writes.has(a) && a !== c.address);
    } else if (c.action === 'delete') {
      deps = (users.get(c.address) ?? []).filter((a) => touchedActivities.has(a) && a !== c.address);
    }
    return { ...c, dependsOn: [...new Set(deps)].sort(cmp) };
  });
}
