// The emulated Customer.io Track API v1 (track.customer.io/api/v1): identify, adding and removing
// people on manual segments, and region discovery.
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { newPerson, type CioPerson } from './model.js';
import { ok, trackError } from './responses.js';
import type { CioWorld } from './world.js';

const MAX_SEGMENT_IDS = 1000;
/** Documented Track size caps (bytes). */
const MAX_ID_BYTES = 150;
const MAX_ATTRIBUTE_NAME_BYTES = 150;
const MAX_ATTRIBUTE_VALUE_BYTES = 1000;
const MAX_ATTRIBUTES = 300;

/** Body keys of identify that are not plain attributes. */
const NON_ATTRIBUTE_KEYS = new Set(['_update', '_timestamp', 'cio_relationships', 'cio_subscription_preferences', 'anonymous_id']);

export function handleTrackRequest(w: CioWorld, req: SandboxRequest): SandboxResponse | undefined {
  let m: RegExpExecArray | null;
  if (req.method === 'GET' && req.path === '/api/v1/accounts/region') return getRegion(w);
  if (req.method === 'PUT' && (m = /^\/api\/v1\/customers\/([^/]+)$/.exec(req.path))) return identify(w, req, decodeURIComponent(m[1]));
  if (req.method === 'POST' && (m = /^\/api\/v1\/segments\/([^/]+)\/(add_customers|remove_customers)$/.exec(req.path))) {
    return changeMembers(w, req, m[1], m[2] === 'add_customers' ? 'add' : 'remove');
  }
  return undefined;
}

function getRegion(w: CioWorld): SandboxResponse {
  const region = w.state.region;
  return ok({ url: region === 'eu' ? 'https://track-eu.customer.io' : 'https://track.customer.io', region, environment_id: w.state.environment_id });
}

function parseBody(req: SandboxRequest): { value: unknown } | undefined {
  if (req.body.length === 0) return { value: undefined };
  try {
    return { value: JSON.parse(req.body.toString('utf8')) };
  } catch {
    return undefined;
  }
}

/** The kind of identifier in a Track path: cio_ prefix, an email shape, else an id (phones count as ids). */
function resolvePathIdentifier(w: CioWorld, identifier: string): { kind: 'id' | 'email' | 'cio_id'; value: string; person?: CioPerson } {
  if (identifier.startsWith('cio_')) {
    const value = identifier.slice(4);
    return { kind: 'cio_id', value, person: w.index.findByCioId(value) };
  }
  if (w.variants.emailIdentifier && identifier.includes('@')) return { kind: 'email', value: identifier, person: w.index.findByEmail(identifier) };
  return { kind: 'id', value: identifier, person: w.index.findById(identifier) };
}

function identify(w: CioWorld, req: SandboxRequest, identifier: string): SandboxResponse {
  const parsed = parseBody(req);
  if (!parsed) return trackError(400, 'request body is not valid JSON');
  const body = parsed.value ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return trackError(400, 'request body must be a JSON object of attributes');
  if (Buffer.byteLength(identifier) > MAX_ID_BYTES) return trackError(400, `identifier is longer than ${MAX_ID_BYTES} bytes`);
  const attrs = body as Record<string, unknown>;
  const problems: string[] = [];
  const updates: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (NON_ATTRIBUTE_KEYS.has(k)) continue;
    if (Buffer.byteLength(k) > MAX_ATTRIBUTE_NAME_BYTES) problems.push(`attribute name "${k.slice(0, 20)}…" is longer than ${MAX_ATTRIBUTE_NAME_BYTES} bytes`);
    if (v === null) updates[k] = null;
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      const s = String(v);
      if (Buffer.byteLength(s) > MAX_ATTRIBUTE_VALUE_BYTES) problems.push(`value of "${k}" is longer than ${MAX_ATTRIBUTE_VALUE_BYTES} bytes`);
      updates[k] = s;
    } else if (typeof v === 'object') {
      // Nested objects are stored as JSON text (Customer.io keeps them as JSON attribute values).
      updates[k] = JSON.stringify(v);
    }
  }
  if (problems.length > 0) return trackError(400, problems.join('; '));

  const target = resolvePathIdentifier(w, identifier);
  let person = target.person;
  if (!person) {
    // A cio_id that does not exist is dropped; `_update: true` never creates a profile.
    if (target.kind === 'cio_id' || attrs._update === true) return ok({});
    const bodyEmail = typeof updates.email === 'string' ? updates.email : null;
    const bodyId = typeof updates.id === 'string' ? updates.id : null;
    // An identifier in the body that belongs to someone updates that person (documented).
    person = (bodyId !== null ? w.index.findById(bodyId) : undefined) ?? (bodyEmail !== null ? w.index.findByEmail(bodyEmail) : undefined);
    if (!person) {
      const createdAt = typeof attrs.created_at === 'number' ? attrs.created_at : w.nowSec();
      person = newPerson(w.state, {
        id: target.kind === 'id' ? target.value : bodyId,
        email: target.kind === 'email' ? target.value : bodyEmail,
        created_at: createdAt,
      });
      w.state.people.push(person);
      w.index.add(person);
    }
  }
  const old = { id: person.id, email: person.email };
  const next = { ...person.attributes };
  for (const [k, v] of Object.entries(updates)) {
    if (k === 'cio_id') continue;
    if (v === null || v === '') delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > MAX_ATTRIBUTES) return trackError(400, `a person can have at most ${MAX_ATTRIBUTES} attributes`);
  const now = w.nowSec();
  for (const k of Object.keys(updates)) person.timestamps[k] = now;
  person.attributes = next;
  person.id = next.id ?? person.id;
  person.email = next.email ?? person.email;
  if (typeof updates.unsubscribed === 'string') person.unsubscribed = ['true', '1'].includes(updates.unsubscribed.toLowerCase());
  if (person.id !== old.id || person.email !== old.email) w.index.update(person, old);
  w.changed();
  return ok({});
}

function changeMembers(w: CioWorld, req: SandboxRequest, rawSegment: string, action: 'add' | 'remove'): SandboxResponse {
  const segment = /^\d{1,10}$/.test(rawSegment) ? w.findSegment(Number(rawSegment)) : undefined;
  const idType = req.query.get('id_type') ?? 'id';
  if (idType !== 'id' && idType !== 'email' && idType !== 'cio_id') return trackError(400, 'id_type must be one of id, email, cio_id');
  const parsed = parseBody(req);
  if (!parsed) return trackError(400, 'request body is not valid JSON');
  const ids = (parsed.value as { ids?: unknown } | undefined)?.ids;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_SEGMENT_IDS) return trackError(400, `ids must hold 1 to ${MAX_SEGMENT_IDS} entries`);
  if (!ids.every((x) => typeof x === 'string')) return trackError(400, 'ids must be strings');
  // The Track spec documents only 200, 400 and 401 here, so an unknown segment is a 400 too.
  if (!segment) return trackError(400, `segment ${rawSegment} does not exist`);
  if (segment.type !== 'manual') return trackError(400, 'You cannot add or remove people on data-driven segments using the API');
  const members = new Set(segment.members);
  for (const value of ids as string[]) {
    // Values that do not match id_type are ignored.
    if (idType === 'email' && !value.includes('@')) continue;
    let person = idType === 'email' ? w.index.findByEmail(value) : idType === 'cio_id' ? w.index.findByCioId(value.replace(/^cio_/, '')) : w.index.findById(value);
    if (!person && action === 'add' && w.variants.autoCreateOnAdd && idType !== 'cio_id') {
      person = newPerson(w.state, { id: idType === 'id' ? value : null, email: idType === 'email' ? value : null, created_at: w.nowSec() });
      w.state.people.push(person);
      w.index.add(person);
    }
    if (!person) continue;
    if (action === 'add') members.add(person.cio_id);
    // remove_customers "requires people to have id attributes".
    else if (person.id !== null) members.delete(person.cio_id);
  }
  const before = segment.members.length;
  segment.members = action === 'add' ? [...segment.members, ...[...members].filter((c) => !segment.members.includes(c))] : segment.members.filter((c) => members.has(c));
  if (segment.members.length !== before) segment.updated_at = w.nowSec();
  w.changed();
  return ok({});
}
