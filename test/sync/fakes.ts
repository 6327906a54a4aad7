// In-memory fakes of the sync seams and a config builder, for the pure/unit ring of tests.
import { readFileSync } from 'node:fs';
import type { Config, SegmentDef } from '../../src/config/types.js';
import { parseBatch } from '../../src/sync/batch.js';
import type { PersonIdentifiers } from '../../src/sync/identity.js';
import { MissingSegmentError, type BatchStatusResult, type BatchUpload, type MembershipSource, type ProfileSink, type TraitSource, type WritebackSink } from '../../src/sync/sources.js';

export function seg(key: string, id: number, type: SegmentDef['type'] = 'data_driven'): SegmentDef {
  return { key, name: key, type, id, previous_keys: [] };
}

export type SyncConfig = Pick<Config, 'workspace' | 'identity' | 'sync' | 'segments' | 'audiences' | 'cooldowns' | 'fields' | 'holdouts'>;

export function buildConfig(over: Partial<SyncConfig> = {}): SyncConfig {
  const segments = {
    cart: seg('cart', 101),
    vip: seg('vip', 104),
    purchased: seg('purchased', 107),
    unused: seg('unused', 199),
  };
  return {
    workspace: 'test',
    identity: { customerio: 'id', target: 'thirdPartyId', hash: 'none' },
    sync: { max_latency: { text: '30m', ms: 30 * 60_000 }, size_swing_pct: 50 },
    segments,
    audiences: {
      cart_abandoners: { key: 'cart_abandoners', name: 'Cart', segment: 'cart', where: [], previous_keys: [] },
      vip: { key: 'vip', name: 'VIP', segment: 'vip', where: [{ field: 'lifetime_value', op: 'gte', value: 500 }], previous_keys: [] },
    },
    cooldowns: { post_purchase: { key: 'post_purchase', segment: 'purchased', suppress: [] } },
    fields: { lifetime_value: { key: 'lifetime_value', type: 'number' } },
    holdouts: { control: { key: 'control', percent: 10, salt: 's1', writeback: false } },
    ...over,
  };
}

/** Customer.io as the sync sees it: members per segment key, attributes per id. */
export class FakeCustomerio implements MembershipSource, TraitSource, WritebackSink {
  members_ = new Map<string, PersonIdentifiers[]>();
  attributes = new Map<string, Record<string, unknown>>();
  identified: Array<{ key: string; attributes: Record<string, string> }> = [];
  readCalls = 0;
  pageSize = 3;

  set(segment: string, ids: string[]): this {
    this.members_.set(
      segment,
      ids.map((id) => ({ id, email: `${id}@example.test`, cio_id: `c-${id}` })),
    );
    return this;
  }

  /** Segment keys the workspace does not have. */
  missing = new Set<string>();

  async *members(segment: SegmentDef): AsyncIterable<PersonIdentifiers[]> {
    if (this.missing.has(segment.key)) throw new MissingSegmentError(segment.key, `Segment "${segment.key}" does not exist`, 'Run apply.');
    const all = this.members_.get(segment.key) ?? [];
    for (let i = 0; i < all.length; i += this.pageSize) yield all.slice(i, i + this.pageSize);
  }

  async read(keys: string[]): Promise<Map<string, Record<string, unknown>>> {
    if (keys.length > 100) throw new Error('more than 100 ids in one attributes call');
    this.readCalls += 1;
    const out = new Map<string, Record<string, unknown>>();
    for (const k of keys) {
      const a = this.attributes.get(k);
      if (a) out.set(k, a);
    }
    return out;
  }

  async identify(key: string, attributes: Record<string, string>): Promise<void> {
    this.identified.push({ key, attributes });
  }
}

/** Target's bulk profile API: batches complete after `pollsToComplete` status checks; empty values ignored. */
export class FakeTarget implements ProfileSink {
  profiles = new Map<string, Record<string, string>>();
  uploads: Array<{ batchId: string; columns: string[]; rows: number; body: string }> = [];
  private pending = new Map<string, { polls: number; rows: Array<{ thirdPartyId: string; values: Record<string, string> }> }>();
  pollsToComplete = 1;
  stuck = new Set<string>();
  failUpload = false;
  statusCalls = 0;

  async upload(file: BatchUpload): Promise<{ batchId: string; statusUrl?: string }> {
    if (this.failUpload) throw new Error('upload refused');
    const text = readFileSync(file.path, 'latin1');
    if (text.length !== file.bytes) throw new Error(`batch file is ${text.length} bytes, announced ${file.bytes}`);
    const parsed = parseBatch(text);
    const batchId = `b${this.uploads.length + 1}`;
    this.uploads.push({ batchId, columns: parsed.columns, rows: parsed.rows.length, body: text });
    this.pending.set(batchId, { polls: 0, rows: parsed.rows });
    return { batchId, statusUrl: `https://edge.test/status?batchId=${batchId}` };
  }

  async status(batch: { batchId: string }): Promise<BatchStatusResult> {
    this.statusCalls += 1;
    if (this.stuck.has(batch.batchId)) return { status: 'stuck' };
    const p = this.pending.get(batch.batchId);
    if (!p) return { status: 'complete' };
    p.polls += 1;
    if (p.polls < this.pollsToComplete) return { status: 'incomplete' };
    for (const r of p.rows) {
      const prof = this.profiles.get(r.thirdPartyId) ?? {};
      for (const [k, v] of Object.entries(r.values)) if (v !== '') prof[k] = v;
      this.profiles.set(r.thirdPartyId, prof);
    }
    this.pending.delete(batch.batchId);
    return { status: 'complete', successful: p.rows.length, failed: 0 };
  }

  rowsUploaded(): number {
    return this.uploads.reduce((a, u) => a + u.rows, 0);
  }
}

export const fastPoll = { intervalMs: 1, maxIntervalMs: 1, timeoutMs: 2000, sleep: async () => {} };
