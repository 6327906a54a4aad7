// Adapters from the platform clients to the sync seams (sources.ts): membership paging, attribute
// batches or exports, Track identify for the holdout write-back, and Bulk Profile Update v2.
import { createReadStream } from 'node:fs';
import type { Config, SegmentDef } from '../config/types.js';
import { ConfigError } from '../model/errors.js';
import type { AdobeTargetClient } from '../providers/adobe-target/client.js';
import type { CustomerioClient } from '../providers/customerio/client.js';
import type { PersonIdentifiers } from './identity.js';
import { MissingSegmentError, type BatchStatusResult, type MembershipSource, type PersonAttributes, type ProfileSink, type TraitSource, type WritebackSink } from './sources.js';
import type { Delivered, VerifyMembership, VerifyTarget } from './verify.js';

/**
 * Members per membership request: Customer.io's maximum, so 1,250,000 memberships cost ~42
 * requests (at 10 requests/s, 10,000 a page cost 6 s more for the same peak RSS).
 */
const MEMBERSHIP_PAGE = 30_000;
/** Members or export rows handed to the store per call: bounds the work (and garbage) of one step. */
const STORE_PAGE = 5000;

type CioForSync = Pick<
  CustomerioClient,
  'iterateMembershipPages' | 'listSegments' | 'getSegment' | 'getAttributes' | 'exportSegment' | 'identify'
>;

/** Customer.io as the sync's membership, trait and write-back source. */
export function customerioSources(
  client: CioForSync,
  identity: Config['identity'],
  opts: { membershipLimit?: number } = {},
): MembershipSource & TraitSource & WritebackSink {
  const ids = new Map<string, number>();
  const segmentId = async (seg: SegmentDef): Promise<number> => {
    if (seg.id !== undefined) return seg.id;
    const known = ids.get(seg.key);
    if (known !== undefined) return known;
    // Manual segments the tool manages carry no id in the YAML: found by their exact name.
    const found = (await client.listSegments()).filter((s) => s.name === seg.name);
    if (found.length === 0) {
      throw new MissingSegmentError(seg.key, `Segment "${seg.key}" ("${seg.name}") does not exist in Customer.io`, 'Run `audiences apply` to create manual segments, or set its `id:`.');
    }
    if (found.length > 1) {
      throw new ConfigError(`Segment "${seg.key}": ${found.length} Customer.io segments are named "${seg.name}".`, [], {
        hint: 'Set the segment\'s `id:` in audiences.yaml.',
      });
    }
    const id = (found[0] as (typeof found)[number]).id;
    ids.set(seg.key, id);
    return id;
  };
  const idType = identity.customerio;

  return {
    async *members(seg: SegmentDef): AsyncIterable<PersonIdentifiers[]> {
      const id = await segmentId(seg);
      if (seg.id !== undefined && !(await client.getSegment(id))) {
        throw new MissingSegmentError(seg.key, `Segment "${seg.key}" (id ${id}) does not exist in Customer.io`, 'Check its `id:` in audiences.yaml (`audiences plan` shows the segments it finds).');
      }
      // The client's pages already hold PersonIdentifiers: handed on in slices, no copy per person.
      for await (const page of client.iterateMembershipPages(id, { limit: opts.membershipLimit ?? MEMBERSHIP_PAGE })) {
        for (let i = 0; i < page.length; i += STORE_PAGE) yield page.slice(i, i + STORE_PAGE);
      }
    },

    async read(keys: string[]): Promise<Map<string, Record<string, unknown>>> {
      const got = await client.getAttributes(keys, { idType });
      const out = new Map<string, Record<string, unknown>>();
      for (const [k, c] of got) out.set(k, c.attributes);
      return out;
    },

    async *bulk(segments: SegmentDef[], fields: string[]): AsyncIterable<PersonAttributes[]> {
      // Export rows stream from the file and go to the store a page at a time: memory holds one
      // page, not a segment's export.
      for (const seg of segments) {
        let page: PersonAttributes[] = [];
        for await (const r of client.exportSegment(await segmentId(seg), fields)) {
          page.push({ person: { id: r.id || null, email: r.email || null, cio_id: r.cio_id || null }, attributes: r });
          if (page.length >= STORE_PAGE) {
            yield page;
            page = [];
          }
        }
        if (page.length > 0) yield page;
      }
    },

    async identify(key: string, attributes: Record<string, string>): Promise<void> {
      // Track identifies by id; an email or a cio_id (prefixed cio_) addresses the same person.
      const identifier = idType === 'cio_id' ? `cio_${key}` : key;
      await client.identify(identifier, attributes);
    },
  };
}

/** Target's Bulk Profile Update v2 as the sync's profile sink. */
export function targetProfileSink(client: Pick<AdobeTargetClient, 'uploadProfileBatch' | 'getBatchStatus'>): ProfileSink {
  return {
    async upload(file) {
      const res = await client.uploadProfileBatch({ bytes: file.bytes, rows: file.rows, open: () => createReadStream(file.path) });
      return { batchId: res.batchId, statusUrl: res.statusUrl };
    },
    async status(batch): Promise<BatchStatusResult> {
      const s = await client.getBatchStatus(batch.statusUrl ?? batch.batchId, { details: true });
      const status = s.status === 'complete' || s.status === 'stuck' ? s.status : 'incomplete';
      return { status, successful: s.successfulUpdates, failed: s.failedUpdates, notFound: s.profilesNotFound };
    },
  };
}

/** Target's profile fetch and Delivery API, as verify reads them. */
export function targetVerifyProbe(client: Pick<AdobeTargetClient, 'getProfile' | 'deliver'>): VerifyTarget {
  return {
    async getProfile(thirdPartyId) {
      const p = await client.getProfile(thirdPartyId);
      if (!p) return undefined;
      return Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [k, v.value]));
    },
    async deliver(thirdPartyId, location): Promise<Delivered> {
      const d = await client.deliver(thirdPartyId, location);
      const first = d.options[0];
      const content = first === undefined ? undefined : typeof first.content === 'string' ? first.content : JSON.stringify(first.content);
      return { content, activityId: d.activityId, offerId: d.offerId };
    },
  };
}

/** Track API add/remove on a manual segment, as verify moves its test profile. */
export function customerioManualMembership(
  client: Pick<CustomerioClient, 'addToSegment' | 'removeFromSegment' | 'listSegments'>,
  identity: Config['identity'],
): VerifyMembership {
  const idOf = async (seg: SegmentDef): Promise<number> => {
    if (seg.id !== undefined) return seg.id;
    const found = (await client.listSegments()).filter((s) => s.name === seg.name && s.type === 'manual');
    if (found.length !== 1) {
      throw new ConfigError(`Manual segment "${seg.key}" ("${seg.name}") ${found.length === 0 ? 'does not exist' : 'exists more than once'} in Customer.io.`, [], {
        hint: 'Run `audiences apply` first (it creates manual segments), or set the segment\'s `id:`.',
      });
    }
    return (found[0] as (typeof found)[number]).id;
  };
  return {
    async add(seg, key) {
      await client.addToSegment(await idOf(seg), [key], { idType: identity.customerio });
    },
    async remove(seg, key) {
      await client.removeFromSegment(await idOf(seg), [key], { idType: identity.customerio });
    },
  };
}
