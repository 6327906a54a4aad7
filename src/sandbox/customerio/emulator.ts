// The Customer.io emulator: checks each host's auth scheme (App: Bearer, Track: Basic), enforces
// the App API's 10 requests/s per credential, and routes to the App and Track handlers.
import type { Emulator, EmulatorContext, HostName, SandboxRequest, SandboxResponse, SandboxSeed } from '../types.js';
import { SANDBOX_CREDENTIALS } from '../types.js';
import { openPersistentState } from '../state.js';
import { createEmptyState, stateFromSeed, type CioState } from './model.js';
import { DOWNLOAD_PATH_PREFIX, handleAppRequest, handleDownloadFile } from './app-api.js';
import { handleTrackRequest } from './track-api.js';
import { TokenBuckets } from './rate-limit.js';
import { appError, rateLimitDetail, trackError } from './responses.js';
import { CioWorld, DEFAULT_VARIANTS, type CioVariants } from './world.js';

export type { CioVariants } from './world.js';

export interface CustomerioEmulator extends Emulator {
  /** The live state (tests may read it, or change it and call markChanged). */
  readonly state: CioState;
  /** Switches for behaviours the reference leaves uncertain. */
  readonly variants: CioVariants;
  /** Requests the per-credential token bucket refused with 429. */
  readonly rateLimited: number;
  markChanged(): void;
  /** Empties the workspace. */
  reset(): void;
  applySeed(seed: SandboxSeed): void;
  errorResponse(host: HostName, status: number, detail: string): SandboxResponse;
  close(): Promise<void>;
}

export function createCustomerioEmulator(ctx: EmulatorContext, variants: Partial<CioVariants> = {}): CustomerioEmulator {
  const creds = (ctx.credentials ?? SANDBOX_CREDENTIALS).customerio;
  const store = openPersistentState<CioState>({ dir: ctx.stateDir, file: 'customerio.json', initial: createEmptyState });
  const world = new CioWorld(store, ctx, { ...DEFAULT_VARIANTS, ...variants });
  const buckets = new TokenBuckets(() => world.variants.rateLimitPerSec, ctx.now);
  const expectedBasic = `Basic ${Buffer.from(`${creds.site_id}:${creds.track_api_key}`).toString('base64')}`;

  const handleApp = (req: SandboxRequest): SandboxResponse | undefined => {
    // Export links are pre-signed and carry no Authorization, like the real storage links.
    if (req.path.startsWith(DOWNLOAD_PATH_PREFIX)) return handleDownloadFile(world, req);
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(auth);
    if (!match || match[1] !== creds.app_api_key) return appError(401, 'Unauthorized request: check your App API key (Bearer token)');
    const verdict = buckets.take(match[1]);
    if (!verdict.allowed) {
      return appError(429, rateLimitDetail(world.variants.rateLimitPerSec), { 'retry-after': String(verdict.retryAfterSec) });
    }
    return handleAppRequest(world, req);
  };

  const handleTrack = (req: SandboxRequest): SandboxResponse | undefined => {
    if (req.headers.authorization !== expectedBasic) return trackError(401, 'unauthorized');
    return handleTrackRequest(world, req);
  };

  return {
    hosts: ['cio-app', 'cio-track'],
    get state() {
      return world.state;
    },
    variants: world.variants,
    get rateLimited() {
      return buckets.refused;
    },
    markChanged: () => world.changed(),
    handle(req) {
      const answer = req.host === 'cio-app' ? handleApp(req) : handleTrack(req);
      return answer && world.variants.unknownFields ? withUnknownFields(answer) : answer;
    },
    errorResponse(host, status, detail) {
      return host === 'cio-app' ? appError(status, detail) : trackError(status, detail);
    },
    reset() {
      world.replaceState(createEmptyState());
      buckets.clear();
    },
    applySeed(seed) {
      world.replaceState(seed.customerio ? stateFromSeed(seed.customerio, Math.floor(ctx.now() / 1000)) : createEmptyState());
    },
    close: () => store.flush(),
  };
}

/** The key `unknownFields` adds; named so a test can tell it from real fields. */
export const UNKNOWN_FIELD = 'x_sandbox_new_field';

/** Objects that are maps of a person's data, not schema: a new key there would be a new attribute. */
const DATA_MAPS = new Set(['attributes', 'timestamps']);

/** A copy of a JSON answer with UNKNOWN_FIELD added to every schema object in it. */
function withUnknownFields(r: SandboxResponse): SandboxResponse {
  const add = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(add);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = DATA_MAPS.has(k) ? x : add(x);
    out[UNKNOWN_FIELD] = { added: 'without notice' };
    return out;
  };
  if (r.body === undefined || typeof r.body !== 'object' || r.body === null || Buffer.isBuffer(r.body)) return r;
  return { ...r, body: add(r.body) };
}
