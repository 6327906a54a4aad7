// The emulated Customer.io workspace: people, segments and exports as persisted JSON, plus lookups
// by the identifiers Customer.io accepts (id, email case-insensitively, cio_id).
import type { CustomerioSeed } from '../types.js';

export interface CioPerson {
  cio_id: string;
  id: string | null;
  email: string | null;
  /** Every value a string, as the App API returns them. */
  attributes: Record<string, string>;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds of each attribute's last change (the deprecated `timestamps` object). */
  timestamps: Record<string, number>;
  unsubscribed: boolean;
}

export interface CioSegment {
  id: number;
  name: string;
  description: string;
  type: 'dynamic' | 'manual';
  tags: string[] | null;
  created_at: number;
  updated_at: number;
  /** cio_ids of the members, in join order. */
  members: string[];
  used_by: { campaigns: number[]; sent_newsletters: number[]; draft_newsletters: number[] };
}

export interface CioExport {
  id: number;
  created_at: number;
  updated_at: number;
  /** ms (ctx.now) after which the export reports done. */
  ready_at_ms: number;
  failed: boolean;
  description: string;
  total: number;
  downloads: number;
  /** Unguessable part of the download link. */
  token: string;
  csv: string;
}

export interface CioState {
  version: 1;
  next_segment_id: number;
  next_export_id: number;
  next_cio_seq: number;
  environment_id: number;
  region: 'us' | 'eu';
  people: CioPerson[];
  segments: CioSegment[];
  exports: CioExport[];
}

export function createEmptyState(): CioState {
  return {
    version: 1,
    next_segment_id: 1,
    next_export_id: 1,
    next_cio_seq: 1,
    environment_id: 3,
    region: 'us',
    people: [],
    segments: [],
    exports: [],
  };
}

/** Derives a Customer.io-looking cio_id (8 hex digits, like "03000001") from a sequence number. */
export function makeCioId(seq: number): string {
  return (0x03000000 + seq).toString(16).padStart(8, '0');
}

/** Builds a full state from a seed (dynamic segments keep their ids; manual ids continue after them). */
export function stateFromSeed(seed: CustomerioSeed, nowSec: number): CioState {
  const state = createEmptyState();
  const byId = new Map<string, CioPerson>();
  for (const p of seed.people) {
    const person = newPerson(state, { id: p.id, email: p.email ?? null, created_at: p.created_at ?? nowSec });
    for (const [k, v] of Object.entries(p.attributes ?? {})) person.attributes[k] = String(v);
    for (const k of Object.keys(person.attributes)) person.timestamps[k] = person.created_at;
    state.people.push(person);
    if (person.id !== null) byId.set(person.id, person);
  }
  for (const s of seed.segments) {
    const members: string[] = [];
    for (const id of s.members) {
      const person = byId.get(id);
      if (!person) throw new Error(`Sandbox seed: segment ${s.id} lists unknown member "${id}"`);
      members.push(person.cio_id);
    }
    state.segments.push({
      id: s.id,
      name: s.name,
      description: s.description ?? '',
      type: s.type,
      tags: s.tags ?? null,
      created_at: nowSec,
      updated_at: nowSec,
      members,
      used_by: s.used_by ?? { campaigns: [], sent_newsletters: [], draft_newsletters: [] },
    });
  }
  state.next_segment_id = Math.max(1, ...state.segments.map((s) => s.id + 1));
  return state;
}

/** Creates a person with the next cio_id (not yet added to the state's list). */
export function newPerson(state: CioState, init: { id: string | null; email: string | null; created_at: number }): CioPerson {
  const cio_id = makeCioId(state.next_cio_seq++);
  const attributes: Record<string, string> = { cio_id };
  if (init.id !== null) attributes.id = init.id;
  if (init.email !== null) attributes.email = init.email;
  attributes.created_at = String(init.created_at);
  return {
    cio_id,
    id: init.id,
    email: init.email,
    attributes,
    created_at: init.created_at,
    timestamps: {},
    unsubscribed: false,
  };
}

/** Lookup indexes over a state's people; rebuilt whenever the people list is replaced. */
export class PeopleIndex {
  private byId = new Map<string, CioPerson>();
  private byEmail = new Map<string, CioPerson>();
  private byCio = new Map<string, CioPerson>();

  constructor(people: CioPerson[]) {
    for (const p of people) this.add(p);
  }

  add(p: CioPerson): void {
    this.byCio.set(p.cio_id, p);
    if (p.id !== null) this.byId.set(p.id, p);
    if (p.email !== null) this.byEmail.set(p.email.toLowerCase(), p);
  }

  /** Re-indexes a person whose identifiers changed. */
  update(p: CioPerson, old: { id: string | null; email: string | null }): void {
    if (old.id !== null && this.byId.get(old.id) === p) this.byId.delete(old.id);
    if (old.email !== null && this.byEmail.get(old.email.toLowerCase()) === p) this.byEmail.delete(old.email.toLowerCase());
    this.add(p);
  }

  findById(id: string): CioPerson | undefined {
    return this.byId.get(id);
  }
  /** Email is case-insensitive in email-identified workspaces. */
  findByEmail(email: string): CioPerson | undefined {
    return this.byEmail.get(email.toLowerCase());
  }
  findByCioId(cioId: string): CioPerson | undefined {
    return this.byCio.get(cioId);
  }
}
