// The plan as JSON (`plan --format json`), documented by schema/plan.schema.json: stable key order,
// secrets redacted. Consumers ignore unknown keys on a minor format_version bump.
import { redact, redactValue } from '../model/secrets.js';
import type { Change, Plan } from '../plan/types.js';

/** The JSON document as an object (what the schema describes). */
export function planJson(plan: Plan): Record<string, unknown> {
  const p = redactValue(plan);
  return {
    format_version: p.format_version,
    checksum: p.checksum,
    summary: {
      create: p.summary.create,
      update: p.summary.update,
      delete: p.summary.delete,
      replace: p.summary.replace,
      manual: p.summary.manual,
    },
    changes: p.changes.map(changeJson),
    warnings: p.warnings.map((w) => ({ code: w.code, ...(w.address ? { address: w.address } : {}), message: w.message })),
    references: (p.references ?? []).map((r) => ({
      address: r.address,
      key: r.key,
      ...(r.id !== undefined ? { id: r.id } : {}),
      name: r.name,
      state: r.state ?? null,
      size: r.size ?? null,
      status: r.status,
    })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return redact(JSON.stringify(planJson(plan), null, 2)) + '\n';
}

function changeJson(c: Change): Record<string, unknown> {
  const out: Record<string, unknown> = {
    address: c.address,
    platform: c.platform,
    kind: c.kind,
    key: c.key,
    action: c.action,
  };
  if (c.id !== undefined) out.id = c.id;
  if (c.previousKey !== undefined) out.previousKey = c.previousKey;
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.destructive) out.destructive = true;
  out.dependsOn = c.dependsOn;
  out.before = c.before;
  out.after = c.after;
  out.fields = c.fields.map((f) => ({
    path: f.path,
    before: f.before === undefined ? null : f.before,
    after: f.after === undefined ? null : f.after,
  }));
  return out;
}
