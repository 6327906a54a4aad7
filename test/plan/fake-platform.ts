// An in-memory stand-in for both platforms at the pure level: applies a Plan through the real
// converters (Resource → request body), stores what the platform would echo (ids, timestamps,
// numbers as strings, reordered sets, CRLF HTML), and populates Resources back through convert.ts.
import type { Change, Plan, Resource } from '../../src/plan/types.js';
import {
  fromTargetActivity,
  fromTargetAudience,
  fromTargetOffer,
  keyIndex,
  toTargetActivityBody,
  toTargetAudienceBody,
  toTargetOfferBody,
  type TargetActivity,
  type TargetAudience,
  type TargetContentOffer,
} from '../../src/providers/adobe-target/convert.js';
import { fromCioSegment, toCioSegmentBody, type CioSegment } from '../../src/providers/customerio/convert.js';
import { parseMarker } from '../../src/plan/marker.js';

export class FakePlatforms {
  segments = new Map<number, CioSegment>();
  audiences = new Map<number, TargetAudience>();
  offers = new Map<number, TargetContentOffer>();
  activities = new Map<number, TargetActivity & { type: 'ab' | 'xt' }>();
  private nextId = 1000;
  private clock = Date.parse('2026-12-04T10:00:00Z');
  writes = 0;

  constructor(readonly workspace: string) {}

  /** A data-driven segment built in the Customer.io UI. */
  addDynamicSegment(id: number, name: string): void {
    this.segments.set(id, { id, name, description: 'built in the UI', type: 'dynamic', state: 'finished', progress: null, tags: null });
  }

  populate(): Resource[] {
    const out: Resource[] = [];
    for (const s of this.segments.values()) out.push(fromCioSegment(s, this.workspace));
    const at: Resource[] = [];
    for (const a of this.audiences.values()) {
      const r = fromTargetAudience(a, this.workspace);
      if (r) at.push(r);
    }
    for (const o of this.offers.values()) {
      const r = fromTargetOffer(o, this.workspace);
      if (r) at.push(r);
    }
    const index = keyIndex(at);
    for (const a of this.activities.values()) {
      const r = fromTargetActivity(a, this.workspace, index, a.type);
      if (r) at.push(r);
    }
    return [...out, ...at];
  }

  apply(plan: Plan): void {
    for (const c of plan.changes) this.applyChange(c);
  }

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace('.000Z', 'Z');
  }

  private id(): number {
    return ++this.nextId;
  }

  private applyChange(c: Change): void {
    if (c.action === 'manual') return;
    this.writes += 1;
    const r: Resource | undefined = c.after
      ? { platform: c.platform, kind: c.kind, key: c.key, address: c.address, attrs: c.after, managed: true, owned: true, meta: {} }
      : undefined;
    const id = c.id === undefined ? undefined : Number(c.id);
    if (c.kind === 'segment') {
      if (id !== undefined) this.segments.delete(id);
      if (r) {
        const body = toCioSegmentBody(r, this.workspace).segment;
        const nid = this.id();
        this.segments.set(nid, { id: nid, deduplicate_id: `${nid}:1`, ...body, state: 'events', progress: null, type: 'manual', tags: null, created_at: 1, updated_at: 1 });
      }
      return;
    }
    if (c.kind === 'audience') {
      if (!r) return void this.audiences.delete(id!);
      const body = toTargetAudienceBody(r, this.workspace, '1234567');
      const nid = id ?? this.id();
      this.audiences.set(nid, {
        ...body,
        // Target echoes set values in its own order.
        targetRule: JSON.parse(JSON.stringify(body.targetRule, (_k, v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...v].reverse() : v))),
        id: nid,
        origin: 'target',
        type: 'reusable',
        status: 'saved',
        modifiedAt: this.now(),
        createdAt: '2026-01-01T00:00:00Z',
      });
      return;
    }
    if (c.kind === 'offer') {
      if (!r) return void this.offers.delete(id!);
      const body = toTargetOfferBody(r, this.workspace, '1234567');
      const nid = id ?? this.id();
      this.offers.set(nid, { ...body, content: body.content!.replace(/\n/g, '  \r\n') + '\r\n', id: nid, modifiedAt: this.now() });
      return;
    }
    // activity
    if (!r || c.action === 'replace') {
      if (id !== undefined) this.activities.delete(id);
      if (!r) return;
    }
    const body = toTargetActivityBody(r, this.workspace, {
      audienceId: (key) => this.lookup('audience', key),
      offerId: (key) => this.lookup('offer', key),
    });
    const nid = c.action === 'update' && id !== undefined ? id : this.id();
    this.activities.set(nid, {
      ...body,
      type: r.attrs.type as 'ab' | 'xt',
      id: nid,
      priority: String(body.priority) as unknown as number,
      startsAt: body.startsAt ? new Date(Date.parse(body.startsAt)).toISOString() : undefined,
      experiences: [...(body.experiences ?? [])].reverse().map((e) => ({ ...e, visitorPercentage: e.visitorPercentage === undefined ? undefined : (String(e.visitorPercentage) as unknown as number) })),
      workspace: '1234567',
      propertyIds: [],
      modifiedAt: this.now(),
    });
  }

  /** Id of the audience/offer carrying `key` in its marker (index rebuilt when stale). */
  private lookup(kind: 'audience' | 'offer', key: string): number | undefined {
    const store = kind === 'audience' ? this.audiences : this.offers;
    const text = (x: TargetAudience & TargetContentOffer) => (kind === 'audience' ? x.description : x.content);
    const cached = this.index[kind].get(key);
    if (cached !== undefined && store.has(cached) && parseMarker(text(store.get(cached)!))?.key === key) return cached;
    this.index[kind] = new Map();
    for (const [id, x] of store) {
      const k = parseMarker(text(x))?.key;
      if (k !== undefined && !this.index[kind].has(k)) this.index[kind].set(k, id);
    }
    return this.index[kind].get(key);
  }

  private index = { audience: new Map<string, number>(), offer: new Map<string, number>() };
}
