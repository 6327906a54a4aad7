// Pure conversion between Customer.io App API segment JSON and canonical Resources. No I/O.
import { canonicalize } from '../../plan/canonicalize.js';
import { parseMarker, stripMarker, withMarker } from '../../plan/marker.js';
import { addressOf, type JsonValue, type Resource } from '../../plan/types.js';

/** A segment as GET /v1/segments, GET /v1/segments/{id} and POST /v1/segments return it. */
export interface CioSegment {
  id: number;
  deduplicate_id?: string;
  name: string;
  description?: string | null;
  state?: string;
  progress?: number | null;
  type: 'manual' | 'dynamic' | string;
  tags?: string[] | null;
  created_at?: number;
  updated_at?: number;
}

/** POST /v1/segments body: the only write Customer.io offers for segments (no update endpoint). */
export interface CioCreateSegmentBody {
  segment: { name: string; description: string };
}

/**
 * A segment as a Resource. Manual segments carrying this workspace's marker are owned (key from the
 * marker); every other segment is keyed `#<id>` and only serves data-driven references and warnings.
 * `count` (GET …/customer_count) rides in meta.size when the caller has it.
 */
export function fromCioSegment(json: CioSegment, workspace: string, count?: number): Resource {
  const type = json.type === 'manual' ? 'manual' : 'dynamic';
  const marker = type === 'manual' ? parseMarker(json.description) : undefined;
  const owned = marker?.workspace === workspace;
  const key = owned ? marker!.key : `#${json.id}`;
  const meta: Record<string, JsonValue | undefined> = { state: json.state ?? null };
  if (marker) meta.owner = marker.workspace;
  if (count !== undefined) meta.size = count;
  if (json.updated_at !== undefined) meta.updatedAt = json.updated_at;
  return canonicalize({
    platform: 'customerio',
    kind: 'segment',
    key,
    address: addressOf('customerio', 'segment', key),
    id: json.id,
    attrs: { name: json.name ?? '', description: stripMarker(json.description), type },
    managed: owned,
    owned,
    meta,
  });
}

export function toCioSegmentBody(r: Resource, workspace: string): CioCreateSegmentBody {
  return {
    segment: { name: String(r.attrs.name), description: withMarker(String(r.attrs.description ?? ''), workspace, r.key) },
  };
}
