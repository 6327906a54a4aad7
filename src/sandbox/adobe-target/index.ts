// The Adobe Target emulator: IMS, Admin API and edge (Profile + Delivery APIs) behind one Emulator.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator, EmulatorContext, HostName, SandboxRequest, SandboxResponse } from '../types.js';
import { handleAdmin } from './admin.js';
import {
  createAdminState,
  loadAdminState,
  saveAdminState,
  type AdminState,
  type StoredActivity,
  type StoredAudience,
  type StoredOffer,
} from './admin-state.js';
import { decide, handleDelivery, type Decision } from './delivery.js';
import { applyDueUpdates, handleProfileApi, type Batch, type EdgeContext } from './edge.js';
import { ImsTokens } from './ims.js';
import { ProfileStore, type ProfileAttribute } from './profile-store.js';

export type { Batch, Decision, ProfileAttribute, StoredActivity, StoredAudience, StoredOffer };
export { MAX_BATCH_BYTES, MAX_BATCH_ROWS } from './edge.js';

export interface TargetEmulatorOptions {
  /** Only this client_id/client_secret pair gets an IMS token (default: any non-empty pair). */
  credentials?: { clientId: string; clientSecret: string };
  /** Workspace written on objects created without one. */
  defaultWorkspace?: string;
  /** Delay before a bulk batch leaves `incomplete` (default 200 ms). */
  batchDelayMs?: number;
  /** Delay before a single profile update is applied (default 0). */
  singleUpdateDelayMs?: number;
  /** Profile API "Require Authentication" (default off, as in Target). */
  requireProfileAuth?: boolean;
  /** Reject duplicate audience names with 400 (Target asks for unique names; enforcement unconfirmed). */
  uniqueAudienceNames?: boolean;
  /** Inactivity after which a profile disappears (default 14 days). */
  profileLifetimeDays?: number;
  /** Observes every exchange (contract tests record them to check against the OpenAPI). */
  onExchange?: (exchange: TargetExchange) => void;
}

export interface TargetExchange {
  request: SandboxRequest;
  response: SandboxResponse | undefined;
}

/** State accessors for tests, seeding and the bench; none of them goes through HTTP. */
export interface TargetEmulatorState {
  audiences(): StoredAudience[];
  offers(): StoredOffer[];
  activities(): StoredActivity[];
  batches(): Batch[];
  profile(thirdPartyId: string): { modifiedAt: number; attributes: Map<string, ProfileAttribute> } | undefined;
  profileCount(): number;
  /** Writes profile attributes directly (creating the profile); empty values are ignored as on the edge. */
  putProfile(thirdPartyId: string, attributes: Record<string, string>): void;
  seedAudience(audience: Omit<StoredAudience, 'id' | 'createdAt' | 'modifiedAt' | 'status' | 'origin' | 'type' | 'workspace'> & Partial<StoredAudience>): StoredAudience;
  seedOffer(offer: { name: string; content: unknown; type?: 'content' | 'json'; workspace?: string }): StoredOffer;
  seedActivity(type: 'ab' | 'xt', body: Record<string, unknown> & { name: string }): StoredActivity;
  /** The Delivery decision for one visitor and mbox, as the Delivery API would make it now. */
  decide(thirdPartyId: string, mbox: string, profileParameters?: Record<string, string>): Decision | undefined;
  setRequireProfileAuth(on: boolean): void;
  /** Invalidates every IMS token (as a revocation would). */
  revokeTokens(): void;
  /** Applies batches and single updates whose delay is over. */
  applyDueUpdates(): void;
  /** Empties every store. */
  reset(): void;
}

export type TargetEmulator = Emulator & {
  readonly state: TargetEmulatorState;
  /** Waits until everything is on disk (profiles are written in the background). */
  flush(): Promise<void>;
};

const HOSTS: HostName[] = ['target-ims', 'target-admin', 'target-edge'];

export function createTargetEmulator(ctx: EmulatorContext, options: TargetEmulatorOptions = {}): TargetEmulator {
  const dir = ctx.stateDir;
  const adminFile = dir ? join(dir, 'target-admin.json') : undefined;
  const profilesFile = dir ? join(dir, 'target-profiles.ndjson') : undefined;
  const batchesFile = dir ? join(dir, 'target-batches.json') : undefined;

  let admin: AdminState = adminFile ? loadAdminState(adminFile) : createAdminState();
  const profiles = new ProfileStore();
  if (profilesFile) profiles.load(profilesFile);
  const batches = new Map<string, Batch>();
  let batchSeq = 0;
  if (batchesFile && existsSync(batchesFile)) {
    const saved = JSON.parse(readFileSync(batchesFile, 'utf8')) as { seq: number; batches: Batch[] };
    batchSeq = saved.seq;
    for (const b of saved.batches) batches.set(b.batchId, b);
  }
  let requireProfileAuth = options.requireProfileAuth ?? false;

  const saveAdmin = () => {
    if (adminFile) saveAdminState(adminFile, admin);
  };
  const saveBatches = () => {
    if (!batchesFile) return;
    mkdirSync(dir!, { recursive: true });
    const tmp = `${batchesFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ seq: batchSeq, batches: [...batches.values()] }));
    renameSync(tmp, batchesFile);
  };
  // Profiles can be large: written in the background, one write at a time, coalescing changes.
  let profileWrite: Promise<void> = Promise.resolve();
  let profileDirty = false;
  let profileWriteQueued = false;
  const saveProfiles = () => {
    if (!profilesFile) return;
    profileDirty = true;
    if (profileWriteQueued) return;
    profileWriteQueued = true;
    profileWrite = profileWrite.then(async () => {
      profileWriteQueued = false;
      if (!profileDirty) return;
      profileDirty = false;
      await profiles.save(profilesFile);
    });
  };

  const ims = new ImsTokens({ credentials: options.credentials, now: ctx.now, ttlSec: () => ctx.faults.tokenTtlSec });
  const adminCtx = {
    get state() {
      return admin;
    },
    now: ctx.now,
    createStatus: () => ctx.faults.createStatus,
    defaultWorkspace: options.defaultWorkspace ?? '1234567',
    uniqueAudienceNames: options.uniqueAudienceNames ?? false,
    changed: saveAdmin,
    profileAttributeNames: () => profiles.attributeNames(),
  };
  const pendingSingles: EdgeContext['pendingSingles'] = [];
  const edgeCtx: EdgeContext = {
    profiles,
    get admin() {
      return admin;
    },
    batches,
    now: ctx.now,
    batchDelayMs: options.batchDelayMs ?? 200,
    singleUpdateDelayMs: options.singleUpdateDelayMs ?? 0,
    decideStuck: () => ctx.faults.stuckBatchRate > 0 && ctx.random() < ctx.faults.stuckBatchRate,
    requireProfileAuth: () => requireProfileAuth,
    profileLifetimeMs: (options.profileLifetimeDays ?? 14) * 86_400_000,
    pendingSingles,
    profilesChanged: saveProfiles,
    batchesChanged: saveBatches,
    nextBatchSeq: () => ++batchSeq,
  };
  const deliveryCtx = {
    get admin() {
      return admin;
    },
    profiles,
    now: ctx.now,
  };

  const route = (req: SandboxRequest): SandboxResponse | undefined => {
    switch (req.host) {
      case 'target-ims':
        return ims.handle(req);
      case 'target-admin':
        return ims.checkGateway(req) ?? handleAdmin(req, adminCtx);
      case 'target-edge':
        applyDueUpdates(edgeCtx);
        return handleProfileApi(req, edgeCtx) ?? handleDelivery(req, deliveryCtx);
      default:
        return undefined;
    }
  };

  const nextId = () => admin.nextId++;
  const stamp = () => new Date(Math.floor(ctx.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

  const state: TargetEmulatorState = {
    audiences: () => [...admin.audiences.values()],
    offers: () => [...admin.offers.values()],
    activities: () => [...admin.activities.values()],
    batches: () => [...batches.values()],
    profile: (id) => {
      applyDueUpdates(edgeCtx);
      return profiles.get(id);
    },
    profileCount: () => profiles.size,
    putProfile: (id, attributes) => {
      profiles.update(id, Object.entries(attributes), ctx.now(), true);
      saveProfiles();
    },
    seedAudience: (a) => {
      const now = stamp();
      const audience: StoredAudience = {
        origin: 'target',
        status: 'saved',
        type: 'reusable',
        workspace: adminCtx.defaultWorkspace,
        ...a,
        id: a.id ?? nextId(),
        createdAt: now,
        modifiedAt: now,
      };
      admin.audiences.set(audience.id, audience);
      saveAdmin();
      return audience;
    },
    seedOffer: (o) => {
      const offer: StoredOffer = {
        id: nextId(),
        name: o.name,
        type: o.type ?? 'content',
        content: o.content,
        workspace: o.workspace ?? adminCtx.defaultWorkspace,
        modifiedAt: stamp(),
      };
      admin.offers.set(offer.id, offer);
      saveAdmin();
      return offer;
    },
    seedActivity: (type, body) => {
      const now = stamp();
      const activity: StoredActivity = {
        type,
        body: { state: 'saved', priority: 5, workspace: adminCtx.defaultWorkspace, ...body, id: nextId(), createdAt: now, modifiedAt: now },
      };
      admin.activities.set(activity.body.id, activity);
      saveAdmin();
      return activity;
    },
    decide: (thirdPartyId, mbox, profileParameters) => {
      applyDueUpdates(edgeCtx);
      return decide(deliveryCtx, { thirdPartyId, tntId: thirdPartyId }, { name: mbox, profileParameters });
    },
    setRequireProfileAuth: (on) => {
      requireProfileAuth = on;
    },
    revokeTokens: () => ims.revokeAll(),
    applyDueUpdates: () => applyDueUpdates(edgeCtx),
    reset: () => {
      admin = createAdminState();
      profiles.clear();
      batches.clear();
      pendingSingles.length = 0;
      saveAdmin();
      saveBatches();
      saveProfiles();
    },
  };

  return {
    hosts: HOSTS,
    state,
    handle(req) {
      const response = route(req);
      options.onExchange?.({ request: req, response });
      return response;
    },
    async flush() {
      saveProfiles();
      await profileWrite;
    },
  };
}
