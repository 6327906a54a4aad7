// The state and switches one Customer.io emulator instance works on, shared by its App and Track handlers.
import type { EmulatorContext } from '../types.js';
import type { PersistentState } from '../state.js';
import { PeopleIndex, type CioPerson, type CioSegment, type CioState } from './model.js';

/** Behaviours the references leave uncertain; each can be switched so clients are tested on all. */
export interface CioVariants {
  /** Workspace uses email as an identifier (identifiers[] carry email; id_type=email allowed). */
  emailIdentifier: boolean;
  /** Track add_customers creates unknown people instead of ignoring them. */
  autoCreateOnAdd: boolean;
  /** Time an export takes to turn from pending to done, ms. */
  exportDelayMs: number;
  /** App API requests per second per credential. */
  rateLimitPerSec: number;
  /** Time a new manual segment stays in state "events" before "finished", ms. */
  segmentBuildMs: number;
  /** Exports created while this is on end with `failed: true` (status "failed") instead of done. */
  exportFails: boolean;
  /**
   * Which of the membership/search schema's `oneOf` variants pages carry: both arrays (default),
   * only `ids`, or only `identifiers`.
   */
  membershipShape: 'both' | 'ids' | 'identifiers';
  /**
   * Adds an undocumented key to every JSON object the App and Track APIs answer (Customer.io adds
   * response fields without notice; parsers must ignore them).
   */
  unknownFields: boolean;
}

export const DEFAULT_VARIANTS: CioVariants = {
  emailIdentifier: true,
  autoCreateOnAdd: false,
  exportDelayMs: 200,
  rateLimitPerSec: 10,
  segmentBuildMs: 1000,
  exportFails: false,
  membershipShape: 'both',
  unknownFields: false,
};

export class CioWorld {
  index: PeopleIndex;

  constructor(
    readonly store: PersistentState<CioState>,
    readonly ctx: EmulatorContext,
    readonly variants: CioVariants,
  ) {
    this.index = new PeopleIndex(store.data.people);
  }

  get state(): CioState {
    return this.store.data;
  }

  replaceState(state: CioState): void {
    this.store.data = state;
    this.index = new PeopleIndex(state.people);
    this.store.markDirty();
  }

  changed(): void {
    this.store.markDirty();
  }

  nowSec(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  findSegment(id: number): CioSegment | undefined {
    return this.state.segments.find((s) => s.id === id);
  }

  /** Ids of the segments a person is in. */
  /**
   * Segment ids per person (cio_id), built once per request: scanning every member list for every
   * person would make search and exports quadratic (minutes at a million people).
   */
  membershipIndex(): (person: CioPerson) => Set<number> {
    const index = new Map<string, Set<number>>();
    for (const s of this.state.segments) {
      for (const m of s.members) {
        let set = index.get(m);
        if (!set) index.set(m, (set = new Set()));
        set.add(s.id);
      }
    }
    const none = new Set<number>();
    return (person) => index.get(person.cio_id) ?? none;
  }

  /** The identifiers object of membership/search answers (no email unless the workspace uses it). */
  identifiersOf(p: CioPerson): Record<string, string | null> {
    return this.variants.emailIdentifier ? { id: p.id, email: p.email, cio_id: p.cio_id } : { id: p.id, cio_id: p.cio_id };
  }
}
