// The Admin API objects the emulator keeps (audiences, offers, activities) and their atomic persistence.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** An audience as GET /audiences/{id} returns it. */
export interface StoredAudience {
  id: number;
  name: string;
  description?: string;
  origin: 'target' | 'cloud';
  targetRule?: Record<string, unknown>;
  audienceRule?: { restRuleOperator?: 'AND' | 'OR' | 'NOT'; rules?: Array<Record<string, unknown>> };
  status: 'saved';
  type: 'reusable' | 'anonymous' | 'property';
  workspace: string;
  modifiedAt: string;
  createdAt: string;
}

export interface StoredOffer {
  id: number;
  name: string;
  type: 'content' | 'json';
  /** HTML for content offers, a JSON object for json offers. */
  content: unknown;
  workspace: string;
  modifiedAt: string;
}

export type ActivityState = 'approved' | 'saved' | 'deactivated' | 'deleted';

/** An AB or XT activity: the full v3 ABActivity body as GET returns it, plus its type. */
export interface StoredActivity {
  type: 'ab' | 'xt';
  body: ActivityBody;
}

export interface ActivityBody {
  id: number;
  name: string;
  thirdPartyId?: string;
  state: ActivityState;
  priority: number;
  startsAt?: string;
  endsAt?: string;
  entryConstraint?: { mboxes?: Array<{ name?: string; audienceIds?: number[] }>; visitorPercentage?: number };
  options?: Array<{ optionLocalId?: number; name?: string; offerId?: number }>;
  locations?: { mboxes?: Array<{ locationLocalId?: number; name?: string; audienceIds?: number[] }> };
  experiences?: Array<{
    experienceLocalId?: number;
    name?: string;
    audienceIds?: number[];
    visitorPercentage?: number;
    optionLocations?: Array<{ locationLocalId?: number; optionLocalId?: number }>;
  }>;
  workspace: string;
  modifiedAt: string;
  createdAt: string;
  [field: string]: unknown;
}

export interface AdminState {
  nextId: number;
  audiences: Map<number, StoredAudience>;
  offers: Map<number, StoredOffer>;
  activities: Map<number, StoredActivity>;
  /** The current profile_api authentication token (regenerating replaces it). */
  profileToken?: { accessToken: string; createdAt: number };
}

export function createAdminState(): AdminState {
  return { nextId: 1_000_001, audiences: new Map(), offers: new Map(), activities: new Map() };
}

interface SavedAdminState {
  nextId: number;
  audiences: StoredAudience[];
  offers: StoredOffer[];
  activities: StoredActivity[];
  profileToken?: { accessToken: string; createdAt: number };
}

export function loadAdminState(file: string): AdminState {
  const state = createAdminState();
  if (!existsSync(file)) return state;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedAdminState;
  state.nextId = saved.nextId;
  for (const a of saved.audiences) state.audiences.set(a.id, a);
  for (const o of saved.offers) state.offers.set(o.id, o);
  for (const a of saved.activities) state.activities.set(a.body.id, a);
  state.profileToken = saved.profileToken;
  return state;
}

/** Writes the state to a temp file and renames it over the old one, so a crash never leaves half a file. */
export function saveAdminState(file: string, state: AdminState): void {
  const saved: SavedAdminState = {
    nextId: state.nextId,
    audiences: [...state.audiences.values()],
    offers: [...state.offers.values()],
    activities: [...state.activities.values()],
    profileToken: state.profileToken,
  };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(saved));
  renameSync(tmp, file);
}
