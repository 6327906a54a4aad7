// Shared helpers for sync tests against the sandbox: a seeded sandbox, a config on its segments,
// and direct edits of the emulated Customer.io membership (as a data-driven segment would change).
import type { RunningSandbox } from '../../src/sandbox/index.js';
import type { SandboxSeed } from '../../src/sandbox/types.js';

export function seedWith(people: Array<{ id: string; email?: string; attributes?: Record<string, string> }>, segments: Record<number, { name: string; members: string[]; type?: 'dynamic' | 'manual' }>): SandboxSeed {
  return {
    customerio: {
      people: people.map((p) => ({ id: p.id, email: p.email ?? `${p.id}@example.test`, attributes: p.attributes ?? {} })),
      segments: Object.entries(segments).map(([id, s]) => ({ id: Number(id), name: s.name, type: s.type ?? 'dynamic', members: s.members })),
    },
  };
}

/** Replaces a segment's members (by customer id) in the emulated workspace. */
export function setMembers(sandbox: RunningSandbox, segmentId: number, ids: string[]): void {
  const cio = sandbox.customerio;
  if (!cio) throw new Error('no Customer.io emulator');
  const seg = cio.state.segments.find((s) => s.id === segmentId);
  if (!seg) throw new Error(`no segment ${segmentId}`);
  seg.members = ids.map((id) => {
    const p = cio.state.people.find((x) => x.id === id);
    if (!p) throw new Error(`no person ${id}`);
    return p.cio_id;
  });
  cio.markChanged();
}

export function setAttribute(sandbox: RunningSandbox, id: string, name: string, value: string): void {
  const p = sandbox.customerio?.state.people.find((x) => x.id === id);
  if (!p) throw new Error(`no person ${id}`);
  p.attributes[name] = value;
  sandbox.customerio?.markChanged();
}
