// The contract between the sandbox server (routing, faults, persistence) and each platform emulator.
import type { IncomingHttpHeaders } from 'node:http';

/** One emulated host, mounted under a path prefix of the one loopback server. */
export type HostName = 'cio-app' | 'cio-track' | 'target-admin' | 'target-ims' | 'target-edge';

/** Path prefix of each emulated host on the sandbox server, e.g. http://127.0.0.1:4010/cio/app/v1/segments. */
export const HOST_PREFIX: Record<HostName, string> = {
  'cio-app': '/cio/app',
  'cio-track': '/cio/track',
  'target-admin': '/target/admin',
  'target-ims': '/target/ims',
  'target-edge': '/target/edge',
};

export interface SandboxRequest {
  host: HostName;
  method: string;
  /** Path below the host prefix, e.g. /v1/segments/42 (no query string). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Base URL of this host as the client sees it (for absolute links such as batchStatus URLs). */
  baseUrl: string;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON (application/json unless headers say otherwise); strings and Buffers as-is. */
  body?: unknown;
}

export interface Emulator {
  /** Hosts this emulator serves. */
  readonly hosts: HostName[];
  /** Answers a request, or undefined when no route matches (the server then answers 404). */
  handle(req: SandboxRequest): Promise<SandboxResponse | undefined> | SandboxResponse | undefined;
  /**
   * The host's documented error body for a status the server itself produces (injected faults,
   * unknown routes). Without it the server answers `{"error": detail}`.
   */
  errorResponse?(host: HostName, status: number, detail: string): SandboxResponse;
  /** Replaces the whole state with the seed (called on a fresh state dir and by `sandbox seed`). */
  applySeed?(seed: SandboxSeed): void;
  /** Writes pending state to ctx.stateDir; called when the sandbox closes. */
  close?(): Promise<void>;
}

/** Builds one emulator; the server calls every factory with the same context shape. */
export interface EmulatorFactory {
  /** Short name: the emulator's state folder below the sandbox state dir, and its key in handles. */
  name: string;
  create(ctx: EmulatorContext): Emulator;
}

/** Fake credentials the emulators accept (fixed defaults; tests may start the sandbox with others). */
export interface SandboxCredentials {
  customerio: { app_api_key: string; site_id: string; track_api_key: string };
  adobe_target: { tenant: string; client_code: string; client_id: string; client_secret: string; profile_token: string };
}

export const SANDBOX_CREDENTIALS: SandboxCredentials = {
  customerio: { app_api_key: 'sandbox-cio-app-key', site_id: 'sandbox-site', track_api_key: 'sandbox-cio-track-key' },
  adobe_target: {
    tenant: 'sandbox',
    client_code: 'sandbox',
    client_id: 'sandbox-client-id',
    client_secret: 'sandbox-client-secret',
    profile_token: 'sandbox-profile-token',
  },
};

/** Initial data of a fresh sandbox, per platform. */
export interface SandboxSeed {
  customerio?: CustomerioSeed;
  /** Owned by the Adobe Target emulator (src/sandbox/adobe-target). */
  adobe_target?: unknown;
}

export interface CustomerioSeed {
  people: Array<{
    id: string | null;
    email?: string | null;
    /** Values are stored as strings, as Customer.io does. */
    attributes?: Record<string, string | number | boolean>;
    /** Unix seconds. */
    created_at?: number;
  }>;
  segments: Array<{
    id: number;
    name: string;
    description?: string;
    type: 'dynamic' | 'manual';
    tags?: string[] | null;
    /** Customer ids (the `id` identifier) of the members. */
    members: string[];
    used_by?: { campaigns: number[]; sent_newsletters: number[]; draft_newsletters: number[] };
  }>;
}

/** Deterministic fault injection, shared by every emulated host (see faults.ts for the injector). */
export interface FaultSettings {
  /** Seed of the pseudo-random generator: the same seed gives the same faults in the same order. */
  seed: number;
  /** Added latency per request, in ms. */
  latencyMs: number;
  /** Share (0-1) of requests answered 500/502/503/504. */
  errorRate: number;
  /** Share (0-1) of requests whose connection is destroyed (half after the body was read and applied). */
  resetRate: number;
  /**
   * Every `every` requests, the next `length` answer 429 with Retry-After (0: off); with
   * `withoutRetryAfter` the header is left out (a throttle that names no wait: Target's gateway and
   * Track document none, so clients must back off on their own there).
   */
  burst429: { every: number; length: number; retryAfterSec: number; withoutRetryAfter?: boolean };
  /** Answer every App API request with a quota 429 (no Retry-After). */
  quota429: boolean;
  /** Lifetime of IMS access tokens, seconds (real: 86399). */
  tokenTtlSec: number;
  /** Share (0-1) of bulk profile batches that stay "stuck". */
  stuckBatchRate: number;
  /** Customer.io paging: how the last page says "no more": "" (empty next) or omitted next. */
  lastPageNext: 'empty' | 'absent';
  /** Target creates answer 201 (documented) or 200 (what the older SDK spec says). */
  createStatus: 201 | 200;
  /** Statuses `errorRate` picks from (default 500, 502, 503, 504; e.g. add 408, 522, 524). */
  errorStatuses?: number[];
  /** Share (0-1) of 2xx JSON answers sent with a truncated, unparseable body (the request is applied). */
  malformedRate?: number;
  /** Share (0-1) of requests left unanswered for `hangMs`, then dropped (client timeouts; not applied). */
  hangRate?: number;
  /** How long a hung request is held, ms (default 60000). */
  hangMs?: number;
}

export interface EmulatorContext {
  /** Folder for this emulator's persisted state; undefined keeps state in memory only. */
  stateDir?: string;
  /** Current time in ms (injectable for tests). */
  now: () => number;
  faults: FaultSettings;
  /** Seeded PRNG in [0,1), derived from faults.seed. */
  random: () => number;
  /** Credentials the emulator accepts (SANDBOX_CREDENTIALS unless the sandbox was started with others). */
  credentials?: SandboxCredentials;
}
