// Adapters from the platform clients to the sync seams (sources.ts): membership paging, attribute
// batches or exports, Track identify for the holdout write-back, and Bulk Profile Update v2.
import type { Config, SegmentDef } from '../config/types.js';
import { ConfigError } from '../model/errors.js';
import type { CustomerioClient } from '../providers/customerio/client.js';
import type { PersonIdentifiers } from './identity.js';
import type { MembershipSource, PersonAttributes, TraitSource, WritebackSink } from './sources.js';

/** Members handed to the store per call (a page of membership can hold up to 30,000). */
const PAGE = 5000;

type CioForSync = Pick<
  CustomerioClient,
  'iterateMembership' | 'listSegments' | 'getAttributes' | 'exportSegment' | 'identify'
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
    if (found.length !== 1) {
      throw new ConfigError(
        found.length === 0
          ? `Segment "${seg.key}" ("${seg.name}") does not exist in Customer.io.`
          : `Segment "${seg.key}": ${found.length} Customer.io segments are named "${seg.name}".`,
        [],
        { hint: found.length === 0 ? 'Run `audiences apply` to create manual segments, or set its `id:`.' : 'Set the segment\'s `id:` in audiences.yaml.' },
      );
    }
    const id = (found[0] as (typeof found)[number]).id;
    ids.set(seg.key, id);
    return id;
  };
  const idType = identity.customerio;

  return {
    async *members(seg: SegmentDef): AsyncIterable<PersonIdentifiers[]> {
      const id = await segmentId(seg);
      let page: PersonIdentifiers[] = [];
      for await (const m of client.iterateMembership(id, { limit: opts.membershipLimit ?? 30_000 })) {
        page.push({ id: m.id, email: m.email ?? null, cio_id: m.cio_id ?? null });
        if (page.length >= PAGE) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },

    async read(keys: string[]): Promise<Map<string, Record<string, unknown>>> {
      const got = await client.getAttributes(keys, { idType });
      const out = new Map<string, Record<string, unknown>>();
      for (const [k, c] of got) out.set(k, c.attributes);
      return out;
    },

    async *bulk(segments: SegmentDef[], fields: string[]): AsyncIterable<PersonAttributes[]> {
      // One export per segment keeps one segment's rows in memory at a time, not the whole union.
      for (const seg of segments) {
        const records = await client.exportSegment(await segmentId(seg), fields);
        for (let i = 0; i < records.length; i += PAGE) {
          yield records.slice(i, i + PAGE).map((r) => ({
            person: { id: r.id || null, email: r.email || null, cio_id: r.cio_id || null },
            attributes: r,
          }));
        }
      }
    },

    async identify(key: string, attributes: Record<string, string>): Promise<void> {
      // Track identifies by id; an email or a cio_id (prefixed cio_) addresses the same person.
      const identifier = idType === 'cio_id' ? `cio_${key}` : key;
      await client.identify(identifier, attributes);
    },
  };
}
