// The Adobe Target emulator: IMS, Admin API and edge (Profile + Delivery APIs) behind one Emulator.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator, EmulatorContext, EmulatorFactory, HostName, SandboxRequest, SandboxResponse, SandboxSeed } from '../types.js';
import { handleAdmin, type ListVariant } from './admin.js';
import { TokenBuckets } from '../customerio/rate-limit.js';
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
import { adminError, edgeError, gatewayError, header } from './http-util.js';
import { ImsTokens } from './ims.js';
import { ProfileStore, type ProfileAttribute } from './profile-store.js';

export type { Batch, Decision, ListVariant, ProfileAttribute, StoredActivity, StoredAudience, StoredOffer };
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
  /**
   * Delivery `profileParameters` are also written to the visitor's profile (Target counts in-mbox
   * profile attributes as profile data); default off: they count for that call's decision only.
   */
  storeProfileParameters?: boolean;
  /** List paging and envelope variants (default: any limit honoured, envelope {total, offset, limit, items}). */
  lists?: ListVariant;
  /**
   * Admin API requests per second per client id (X-Api-Key) before the gateway answers 429 `429050`
   * with Retry-After (Target publishes no number: default off).
   */
  rateLimitPerSec?: number;
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
  /** Admin API requests the per-client-id throttle refused with 429. */
  throttled(): number;
  /** Invalidates every IMS token (as a revocation would). */
  revokeTokens(): void;
  /** Applies batches and single updates whose delay is over. */
  applyDueUpdates(): void;
  /** Empties every store. */
  reset(): void;
}

/** What `applySeed` accepts under `seed.adobe_target`: objects created as if through the API. */
export interface TargetSeed {
  audiences?: Array<{ id?: number; name: string; description?: string; targetRule?: Record<string, unknown>; audienceRule?: StoredAudience['audienceRule']; workspace?: string }>;
  offers?: Array<{ name: string; content: unknown; type?: 'content' | 'json'; workspace?: string }>;
  activities?: Array<{ type: 'ab' | 'xt'; body: Record<string, unknown> & { name: string } }>;
  profiles?: Array<{ thirdPartyId: string; attributes: Record<string, string> }>;
}

export type TargetEmulator = Emulator & {
  readonly state: TargetEmulatorState;
  /** Waits until everything is on disk (profiles are written in the background). */
  flush(): Promise<void>;
};

const HOSTS: HostName[] = ['target-ims', 'target-admin', 'target-edge'];

/** The factory the sandbox server mounts (state folder `<stateDir>/adobe_target`). */
export const TARGET_EMULATOR: EmulatorFactory = { name: 'adobe_target', create: (ctx) => createTargetEmulator(ctx) };

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
  const sandboxCreds = ctx.credentials?.adobe_target;
  // The sandbox's fixed profile token is the current one until someone regenerates it.
  if (sandboxCreds?.profile_token && !admin.profileToken) admin.profileToken = { accessToken: sandboxCreds.profile_token, createdAt: ctx.now() };

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

  const imsCredentials =
    options.credentials ?? (sandboxCreds ? { clientId: sandboxCreds.client_id, clientSecret: sandboxCreds.client_secret } : undefined);
  const ims = new ImsTokens({ credentials: imsCredentials, now: ctx.now, ttlSec: () => ctx.faults.tokenTtlSec });
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
    lists: options.lists ?? {},
  };
  const throttle = new TokenBuckets(() => options.rateLimitPerSec ?? 0, ctx.now);
  const throttled = (req: SandboxRequest): SandboxResponse | undefined => {
    if (!(options.rateLimitPerSec && options.rateLimitPerSec > 0)) return undefined;
    const verdict = throttle.take(header(req, 'x-api-key') ?? '');
    if (verdict.allowed) return undefined;
    const r = gatewayError(429, '429050', 'Too many requests');
    return { ...r, headers: { ...r.headers, 'retry-after': String(verdict.retryAfterSec) } };
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
    storeProfileParameters: options.storeProfileParameters ?? false,
    profilesChanged: saveProfiles,
  };

  const route = (req: SandboxRequest): SandboxResponse | undefined => {
    switch (req.host) {
      case 'target-ims':
        return ims.handle(req);
      case 'target-admin':
        return ims.checkGateway(req) ?? throttled(req) ?? handleAdmin(req, adminCtx);
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
    throttled: () => throttle.refused,
    setRequireProfileAuth: (on) => {
      requireProfileAuth = on;
    },
    revokeTokens: () => ims.revokeAll(),
    applyDueUpdates: () => applyDueUpdates(edgeCtx),
    reset: () => {
      const token = admin.profileToken;
      admin = createAdminState();
      admin.profileToken = token;
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
    async close() {
      saveProfiles();
      await profileWrite;
    },
    applySeed(seed: SandboxSeed) {
      state.reset();
      const t = (seed.adobe_target ?? {}) as TargetSeed;
      for (const a of t.audiences ?? []) state.seedAudience(a);
      for (const o of t.offers ?? []) state.seedOffer(o);
      for (const a of t.activities ?? []) state.seedActivity(a.type, a.body);
      for (const p of t.profiles ?? []) profiles.update(p.thirdPartyId, Object.entries(p.attributes), ctx.now(), true);
      if (t.profiles?.length) saveProfiles();
    },
    errorResponse(host, status, detail) {
      // Each host's documented error shape for faults the server injects and routes nobody serves.
      if (host === 'target-admin') {
        return status === 429 ? gatewayError(429, '429050', 'Too many requests') : adminError(status, status === 404 ? 'NotFound' : 'Server.Error', detail, ctx.now());
      }
      if (host === 'target-ims') return { status, headers: { 'content-type': 'application/json' }, body: { error: status === 429 ? 'too_many_requests' : 'server_error', error_description: detail } };
      return edgeError(status, detail);
    },
  };
}
