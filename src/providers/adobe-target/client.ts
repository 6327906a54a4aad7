// The Adobe Target client: IMS token, Admin API (versioned media types) and edge Profile/Delivery APIs
// over the one HTTP layer, with typed, defensively parsed answers. The only Target network code.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HttpClient } from '../../http/client.js';
import { PlatformError } from '../../http/errors.js';
import type { HttpClientOptions, HttpResponse, Method, RequestSpec } from '../../http/types.js';
import type { ResolvedAdobeTarget } from '../../config/types.js';
import { registerSecret } from '../../model/secrets.js';

/** Documented limits of one Bulk Profile Update upload. */
export const BATCH_MAX_ROWS = 500_000;
export const BATCH_MAX_BYTES = 50 * 1024 * 1024;
/**
 * A Bulk Profile Update file streamed from where it lies (a file of up to 50 MB need never be one
 * string in memory): its size, its data rows, and a fresh stream of the whole body per attempt.
 */
export interface ProfileBatchStream {
  bytes: number;
  rows: number;
  open: () => Readable;
}

/** Documented limit of a single profile update sent by POST. */
export const SINGLE_UPDATE_MAX_BYTES = 60 * 1024;

/** Media type of each Admin resource version (reference §1). */
export const TARGET_MEDIA = {
  v1: 'application/vnd.adobe.target.v1+json',
  v2: 'application/vnd.adobe.target.v2+json',
  v3: 'application/vnd.adobe.target.v3+json',
} as const;

/** How many times a repeatable call is sent when its 2xx answer is unreadable. */
const UNREADABLE_RESENDS = 3;

/** IMS scopes of an OAuth server-to-server credential for Target. */
const IMS_SCOPE = 'openid,AdobeID,target_sdk,additional_info.projectedProductContext,read_organizations,additional_info.roles';

export type ActivityType = 'ab' | 'xt';
export type ActivityState = 'approved' | 'saved' | 'deactivated' | 'deleted';

export interface TargetAudienceSummary {
  id: number;
  name: string;
  description?: string;
  origin?: string;
  modifiedAt?: string;
  workspace?: string;
}

export interface TargetAudience extends TargetAudienceSummary {
  targetRule?: Record<string, unknown>;
  audienceRule?: Record<string, unknown>;
  createdAt?: string;
}

export interface AudienceInput {
  name: string;
  description?: string;
  targetRule?: Record<string, unknown>;
  audienceRule?: Record<string, unknown>;
  workspace?: string;
}

export interface TargetOfferSummary {
  id: number;
  name: string;
  type: string;
  modifiedAt?: string;
  workspace?: string;
}

export interface TargetContentOffer {
  id: number;
  name: string;
  content: string;
  workspace?: string;
  modifiedAt?: string;
}

export interface ContentOfferInput {
  name: string;
  content: string;
  workspace?: string;
}

export interface TargetActivitySummary {
  id: number;
  name: string;
  thirdPartyId?: string;
  type: string;
  state?: ActivityState;
  priority?: number;
  startsAt?: string;
  endsAt?: string;
  workspace?: string;
  modifiedAt?: string;
}

/** The body of an AB/XT create or full replace (ABActivity without server-owned fields). */
export interface ActivityInput {
  name: string;
  thirdPartyId?: string;
  state?: ActivityState;
  priority?: number;
  startsAt?: string;
  endsAt?: string;
  options?: Array<{ optionLocalId: number; name?: string; offerId: number }>;
  locations?: { mboxes?: Array<{ locationLocalId: number; name: string; audienceIds?: number[] }> };
  experiences?: Array<{
    experienceLocalId: number;
    name?: string;
    audienceIds?: number[];
    visitorPercentage?: number;
    optionLocations?: Array<{ locationLocalId: number; optionLocalId: number }>;
  }>;
  workspace?: string;
  /** Other ABActivity fields (metrics, entryConstraint, …) pass through untouched. */
  [field: string]: unknown;
}

/** An AB/XT activity as the v3 API returns it. */
export interface TargetActivity extends ActivityInput {
  id: number;
  modifiedAt?: string;
  createdAt?: string;
}

/** What the v1 state/priority/schedule/name endpoints answer. */
export interface ActivityDescription {
  id: number;
  thirdPartyId?: string;
  name?: string;
  state?: ActivityState;
  startsAt?: string;
  endsAt?: string;
  priority?: number;
  modifiedAt?: string;
}

export interface BatchSubmission {
  batchId: string;
  /** Absolute status URL the edge answered with. */
  statusUrl: string;
}

export interface BatchStatusInfo {
  batchId: string;
  /** complete | incomplete | stuck (other values are passed through lower-cased). */
  status: string;
  batchSize?: number;
  consumedCount?: number;
  successfulUpdates?: number;
  profilesNotFound?: number;
  failedUpdates?: number;
}

export interface BatchWaitResult {
  /** complete; stuck (Target reported it); timeout (still incomplete when the wait ended). */
  outcome: 'complete' | 'stuck' | 'timeout';
  status: BatchStatusInfo;
  polls: number;
}

export interface TargetProfile {
  visitorId: string;
  modifiedAt?: string;
  /** Values are strings, as the Profile API returns them. */
  attributes: Record<string, { value: string; modifiedAt?: string }>;
}

export interface DeliveryOption {
  type?: string;
  content?: unknown;
  responseTokens: Record<string, string>;
}

export interface DeliveryResult {
  mbox: string;
  options: DeliveryOption[];
  /** From the first option's response tokens, when present. */
  activityId?: string;
  experienceId?: string;
  offerId?: string;
}

export interface AdobeTargetClientOptions {
  provider: ResolvedAdobeTarget;
  /** Overrides of the HTTP layer (tests and bench: sleep, retry, timeouts, observers). */
  http?: Partial<Pick<HttpClientOptions, 'retry' | 'sleep' | 'onAttempt' | 'timeoutMs' | 'concurrency'>>;
  /** Admin list page size (default 1000; Target's own default is "everything"). */
  pageSize?: number;
  /** Batch polling: interval between status checks and the give-up time (defaults 5 s and 30 min). */
  batchPoll?: { intervalMs?: number; timeoutMs?: number };
  /** Clock (tests). */
  now?: () => number;
}

export class AdobeTargetClient {
  private readonly ims: HttpClient;
  private readonly admin: HttpClient;
  private readonly edge: HttpClient;
  private readonly provider: ResolvedAdobeTarget;
  private readonly pageSize: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly batchPoll: { intervalMs: number; timeoutMs: number };
  private token?: { value: string; refreshAt: number };
  private tokenInFlight?: Promise<string>;

  constructor(opts: AdobeTargetClientOptions) {
    const p = opts.provider;
    this.provider = p;
    registerSecret(p.client_id);
    registerSecret(p.client_secret);
    registerSecret(p.profile_token);
    this.now = opts.now ?? Date.now;
    this.sleep = opts.http?.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.pageSize = Math.max(1, Math.floor(opts.pageSize ?? 1000));
    this.batchPoll = { intervalMs: opts.batchPoll?.intervalMs ?? 5000, timeoutMs: opts.batchPoll?.timeoutMs ?? 30 * 60_000 };

    this.ims = new HttpClient({ platform: 'adobe_target', api: 'ims', baseURL: stripSlash(p.ims_url), quotaWithoutRetryAfter: false, ...opts.http });
    this.admin = new HttpClient({
      platform: 'adobe_target',
      api: 'admin',
      baseURL: `${stripSlash(p.admin_url)}/${encodeURIComponent(p.tenant)}/target`,
      rateLimit: { perSecond: p.rate_limit > 0 ? p.rate_limit : 5 },
      auth: async () => ({ Authorization: `Bearer ${await this.accessToken()}`, 'X-Api-Key': p.client_id }),
      onUnauthorized: async () => {
        // The token was refused (expired early, revoked): drop it and fetch a new one, once. Calls that
        // fail together share one IMS request (tokenInFlight); a 401 arriving just after a refresh
        // may cost one more token, which is cheaper than guessing which token a call carried.
        this.token = undefined;
        await this.accessToken();
        return true;
      },
      // Target publishes no quota; a gateway 429 without Retry-After is treated as a throttle.
      quotaWithoutRetryAfter: false,
      ...opts.http,
    });
    const profileToken = p.profile_token;
    this.edge = new HttpClient({
      platform: 'adobe_target',
      api: 'edge',
      baseURL: stripSlash(p.edge_url),
      auth: profileToken ? () => ({ Authorization: `Bearer ${profileToken}` }) : undefined,
      quotaWithoutRetryAfter: false,
      ...opts.http,
    });
  }

  // -------------------------------------------------------------------------------------------
  // IMS
  // -------------------------------------------------------------------------------------------

  /** A valid IMS access token: cached, refreshed ahead of expiry, one request at a time. */
  async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.refreshAt) return this.token.value;
    this.tokenInFlight ??= this.fetchToken().finally(() => {
      this.tokenInFlight = undefined;
    });
    return this.tokenInFlight;
  }

  private async fetchToken(): Promise<string> {
    const p = this.provider;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: p.client_id, client_secret: p.client_secret, scope: IMS_SCOPE });
    const requestedAt = this.now();
    // Asking for a token twice is harmless.
    const res = await this.repeatOnUnreadable(() =>
      this.ims.request<unknown>({
        method: 'POST',
        path: '/ims/token/v3',
        rawBody: form.toString(),
        contentType: 'application/x-www-form-urlencoded',
        idempotent: true,
        operation: 'get IMS access token',
      }),
    );
    const token = field(res.data, 'access_token');
    const expiresIn = toInt(field(res.data, 'expires_in'));
    if (typeof token !== 'string' || token === '' || expiresIn === undefined) {
      throw invalid('ims', 'POST', '/ims/token/v3', 'get IMS access token', 'no access_token/expires_in in the answer');
    }
    registerSecret(token);
    // Refresh a little before expiry: 5 minutes, or a tenth of short lifetimes.
    const marginMs = Math.min(300_000, expiresIn * 100);
    this.token = { value: token, refreshAt: requestedAt + expiresIn * 1000 - marginMs };
    return token;
  }

  // -------------------------------------------------------------------------------------------
  // Audiences (v3)
  // -------------------------------------------------------------------------------------------

  /** Every audience (list items carry no rules), paged through limit/offset to the end. */
  async listAudiences(filter: { name?: string } = {}): Promise<TargetAudienceSummary[]> {
    const rows = await this.listAll('audiences', TARGET_MEDIA.v3, 'list audiences', filter);
    return rows.map((r) => parseAudience(r, this.invalidFn('GET', '/audiences', 'list audiences')));
  }

  /** The audience with its rule, or undefined when the id is unknown (404). */
  async getAudience(id: number): Promise<TargetAudience | undefined> {
    const path = `/audiences/${objectId(id)}`;
    const res = await this.adminCall('GET', path, TARGET_MEDIA.v3, 'get audience', { acceptStatus: [404] });
    if (res.status === 404) return undefined;
    return parseAudience(res.data, this.invalidFn('GET', path, 'get audience'));
  }

  /** Audiences whose name is exactly `name` (the name filter is only a hint to the server). */
  async findAudiencesByName(name: string): Promise<TargetAudienceSummary[]> {
    return (await this.listAudiences({ name })).filter((a) => a.name === name);
  }

  /**
   * Creates an audience (Target answers 201; older descriptions say 200: both are success). After an
   * ambiguous failure the audiences of that name are listed and one that was not there before the
   * call is taken as the result, so a retry never makes a duplicate.
   */
  async createAudience(input: AudienceInput): Promise<TargetAudience> {
    const before = new Set((await this.findAudiencesByName(input.name)).map((a) => a.id));
    const res = await this.adminCall('POST', '/audiences', TARGET_MEDIA.v3, 'create audience', {
      body: input,
      recover: async () => {
        const landed = (await this.findAudiencesByName(input.name)).find((a) => !before.has(a.id));
        const full = landed ? await this.getAudience(landed.id) : undefined;
        return full ? { status: 201, headers: {}, data: full } : undefined;
      },
    });
    return parseAudience(res.data, this.invalidFn('POST', '/audiences', 'create audience'));
  }

  /** Replaces an audience (PUT: what the body omits is gone). */
  async updateAudience(id: number, input: AudienceInput): Promise<TargetAudience> {
    const path = `/audiences/${objectId(id)}`;
    const res = await this.adminCall('PUT', path, TARGET_MEDIA.v3, 'update audience', { body: input });
    return parseAudience(res.data, this.invalidFn('PUT', path, 'update audience'));
  }

  /** Deletes an audience; 'not_found' when it was already gone (e.g. a retried delete). */
  async deleteAudience(id: number): Promise<'deleted' | 'not_found'> {
    const res = await this.adminCall('DELETE', `/audiences/${objectId(id)}`, TARGET_MEDIA.v3, 'delete audience', { acceptStatus: [404] });
    return res.status === 404 ? 'not_found' : 'deleted';
  }

  // -------------------------------------------------------------------------------------------
  // Content offers (v2)
  // -------------------------------------------------------------------------------------------

  /** Every offer of every type (content, json, recs), paged to the end. */
  async listOffers(filter: { name?: string } = {}): Promise<TargetOfferSummary[]> {
    const rows = await this.listAll('offers', TARGET_MEDIA.v2, 'list offers', filter);
    return rows.map((r) => parseOfferSummary(r, this.invalidFn('GET', '/offers', 'list offers')));
  }

  async getContentOffer(id: number): Promise<TargetContentOffer | undefined> {
    const path = `/offers/content/${objectId(id)}`;
    const res = await this.adminCall('GET', path, TARGET_MEDIA.v2, 'get content offer', { acceptStatus: [404] });
    if (res.status === 404) return undefined;
    return parseContentOffer(res.data, this.invalidFn('GET', path, 'get content offer'));
  }

  /** Creates a content offer; after an ambiguous failure, one of that name that is new is the result. */
  async createContentOffer(input: ContentOfferInput): Promise<TargetContentOffer> {
    const byName = async () => (await this.listOffers({ name: input.name })).filter((o) => o.name === input.name && o.type === 'content');
    const before = new Set((await byName()).map((o) => o.id));
    const res = await this.adminCall('POST', '/offers/content', TARGET_MEDIA.v2, 'create content offer', {
      body: input,
      recover: async () => {
        const landed = (await byName()).find((o) => !before.has(o.id));
        const full = landed ? await this.getContentOffer(landed.id) : undefined;
        return full ? { status: 201, headers: {}, data: full } : undefined;
      },
    });
    return parseContentOffer(res.data, this.invalidFn('POST', '/offers/content', 'create content offer'));
  }

  async updateContentOffer(id: number, input: ContentOfferInput): Promise<TargetContentOffer> {
    const path = `/offers/content/${objectId(id)}`;
    const res = await this.adminCall('PUT', path, TARGET_MEDIA.v2, 'update content offer', { body: input });
    return parseContentOffer(res.data, this.invalidFn('PUT', path, 'update content offer'));
  }

  async deleteContentOffer(id: number): Promise<'deleted' | 'not_found'> {
    const res = await this.adminCall('DELETE', `/offers/content/${objectId(id)}`, TARGET_MEDIA.v2, 'delete content offer', { acceptStatus: [404] });
    return res.status === 404 ? 'not_found' : 'deleted';
  }

  // -------------------------------------------------------------------------------------------
  // Activities: v3 list and AB/XT, v1 state / priority / schedule / name
  // -------------------------------------------------------------------------------------------

  /** Every activity (descriptions, without experiences or options), paged to the end. */
  async listActivities(filter: { thirdPartyId?: string } = {}): Promise<TargetActivitySummary[]> {
    const rows = await this.listAll('activities', TARGET_MEDIA.v3, 'list activities', filter);
    return rows.map((r) => parseActivitySummary(r, this.invalidFn('GET', '/activities', 'list activities')));
  }

  /** The full AB or XT activity, or undefined when the id is unknown for that type (404). */
  async getActivity(type: ActivityType, id: number): Promise<TargetActivity | undefined> {
    const path = `/activities/${type}/${objectId(id)}`;
    const res = await this.adminCall('GET', path, TARGET_MEDIA.v3, `get ${type} activity`, { acceptStatus: [404] });
    if (res.status === 404) return undefined;
    return parseActivity(res.data, this.invalidFn('GET', path, `get ${type} activity`));
  }

  /** The activity whose thirdPartyId (the tool's key) is `thirdPartyId`, if any. */
  async findActivityByThirdPartyId(thirdPartyId: string): Promise<TargetActivitySummary | undefined> {
    return (await this.listActivities({ thirdPartyId })).find((a) => a.thirdPartyId === thirdPartyId);
  }

  /**
   * Creates an AB or XT activity. Target keeps thirdPartyId unique, so after an ambiguous failure the
   * activity with that thirdPartyId is looked up and, if it is there, is the result. Without a
   * thirdPartyId an ambiguous failure cannot be resolved and is reported as an unknown outcome.
   */
  async createActivity(type: ActivityType, input: ActivityInput): Promise<TargetActivity> {
    const path = `/activities/${type}`;
    const key = input.thirdPartyId;
    const res = await this.adminCall('POST', path, TARGET_MEDIA.v3, `create ${type} activity`, {
      body: input,
      recover: key
        ? async () => {
            const landed = await this.findActivityByThirdPartyId(key);
            const full = landed ? await this.getActivity(type, landed.id) : undefined;
            return full ? { status: 201, headers: {}, data: full } : undefined;
          }
        : undefined,
    });
    return parseActivity(res.data, this.invalidFn('POST', path, `create ${type} activity`));
  }

  /** Replaces an AB or XT activity (PUT is a full replace: send the whole activity). */
  async updateActivity(type: ActivityType, id: number, input: ActivityInput): Promise<TargetActivity> {
    const path = `/activities/${type}/${objectId(id)}`;
    const res = await this.adminCall('PUT', path, TARGET_MEDIA.v3, `update ${type} activity`, { body: input });
    return parseActivity(res.data, this.invalidFn('PUT', path, `update ${type} activity`));
  }

  /** Deletes an activity (Target answers it with state "deleted"); 'not_found' when already gone. */
  async deleteActivity(type: ActivityType, id: number): Promise<'deleted' | 'not_found'> {
    const res = await this.adminCall('DELETE', `/activities/${type}/${objectId(id)}`, TARGET_MEDIA.v3, `delete ${type} activity`, {
      acceptStatus: [404],
    });
    return res.status === 404 ? 'not_found' : 'deleted';
  }

  async setActivityState(id: number, state: ActivityState): Promise<ActivityDescription> {
    return this.setActivityField(id, 'state', { state }, 'set activity state');
  }

  /** Priority 0-999 (higher wins); values outside are refused here, before any call. */
  async setActivityPriority(id: number, priority: number): Promise<ActivityDescription> {
    if (!Number.isInteger(priority) || priority < 0 || priority > 999) {
      throw new RangeError(`Activity priority must be an integer from 0 to 999 (got ${priority})`);
    }
    return this.setActivityField(id, 'priority', { priority }, 'set activity priority');
  }

  /** Schedule as ISO-8601 instants; undefined leaves that end open. */
  async setActivitySchedule(id: number, schedule: { startsAt?: string; endsAt?: string }): Promise<ActivityDescription> {
    const body: Record<string, string> = {};
    if (schedule.startsAt !== undefined) body.startsAt = schedule.startsAt;
    if (schedule.endsAt !== undefined) body.endsAt = schedule.endsAt;
    return this.setActivityField(id, 'schedule', body, 'set activity schedule');
  }

  async setActivityName(id: number, name: string): Promise<ActivityDescription> {
    return this.setActivityField(id, 'name', { name }, 'rename activity');
  }

  private async setActivityField(id: number, field: string, body: Record<string, unknown>, operation: string): Promise<ActivityDescription> {
    const path = `/activities/${objectId(id)}/${field}`;
    const res = await this.adminCall('PUT', path, TARGET_MEDIA.v1, operation, { body });
    const d = res.data as Record<string, unknown> | undefined;
    const parsedId = toInt(d?.id);
    if (parsedId === undefined) throw invalid('admin', 'PUT', path, operation, 'no activity id in the answer');
    return { ...(d as object), id: parsedId } as ActivityDescription;
  }

  // -------------------------------------------------------------------------------------------
  // Edge: Bulk Profile Update v2, batch status, single update, profile fetch, delivery
  // -------------------------------------------------------------------------------------------

  /**
   * Uploads one Bulk Profile Update v2 batch: `batch=` + CSV whose first column is thirdPartyId and
   * whose values are URL-encoded (buildProfileBatches makes such bodies), as a string or streamed
   * from a file. The documented limits (≤500,000 rows, <50 MB) are checked before sending.
   */
  async uploadProfileBatch(batch: string | ProfileBatchStream): Promise<BatchSubmission> {
    let body: { rawBody: string } | { rawBody: () => Readable; contentLength: number };
    let bytes: number;
    let rows: number;
    if (typeof batch === 'string') {
      const text = batch.startsWith('batch=') ? batch : `batch=${batch}`;
      body = { rawBody: text };
      bytes = Buffer.byteLength(text, 'utf8');
      rows = countDataRows(text);
    } else {
      // A streamed file is the caller's, written with its `batch=` header; its size and rows are known.
      body = { rawBody: batch.open, contentLength: batch.bytes };
      bytes = batch.bytes;
      rows = batch.rows;
    }
    if (bytes >= BATCH_MAX_BYTES) {
      throw new RangeError(`A profile batch must be smaller than 50 MB (this one is ${bytes} bytes); split it with buildProfileBatches`);
    }
    if (rows > BATCH_MAX_ROWS) {
      throw new RangeError(`A profile batch holds at most ${BATCH_MAX_ROWS} rows (this one has ${rows}); split it with buildProfileBatches`);
    }
    const path = `/m2/${encodeURIComponent(this.provider.client_code)}/v2/profile/batchUpdate`;
    const res = await this.edge.request<string>({
      method: 'POST',
      path,
      ...body,
      contentType: 'application/x-www-form-urlencoded',
      responseType: 'text',
      accept: '*/*',
      // Resending a batch writes the same values again: safe to repeat after an ambiguous failure.
      idempotent: true,
      operation: 'upload profile batch',
    });
    const xml = String(res.data ?? '');
    const success = xmlTag(xml, 'success');
    const statusUrl = xmlTag(xml, 'batchStatus');
    if (success?.toLowerCase() !== 'true' || !statusUrl) {
      const message = xmlTag(xml, 'message') ?? 'the edge did not accept the batch';
      throw new PlatformError({ platform: 'adobe_target', api: 'edge', method: 'POST', path, kind: 'http', status: res.status, detail: message, operation: 'upload profile batch' });
    }
    const batchId = batchIdOf(statusUrl);
    if (!batchId) throw invalid('edge', 'POST', path, 'upload profile batch', 'the batchStatus URL carries no batchId');
    return { batchId, statusUrl };
  }

  /** Status of a batch, from its status URL (as returned) or its id. */
  async getBatchStatus(urlOrBatchId: string, opts: { details?: boolean } = {}): Promise<BatchStatusInfo> {
    let path: string;
    const query: Record<string, string> = {};
    if (/^https?:\/\//i.test(urlOrBatchId)) {
      const u = new URL(urlOrBatchId);
      path = `${u.origin}${u.pathname}`;
      for (const [k, v] of u.searchParams) query[k] = v;
    } else {
      path = `/m2/${encodeURIComponent(this.provider.client_code)}/profile/batchStatus`;
      query.batchId = urlOrBatchId;
    }
    if (opts.details) query.showDetails = 'true';
    const res = await this.edge.request<string>({ method: 'GET', path, query, responseType: 'text', accept: '*/*', operation: 'get batch status' });
    const xml = String(res.data ?? '');
    const status = xmlTag(xml, 'status')?.toLowerCase();
    if (!status) throw invalid('edge', 'GET', path, 'get batch status', 'no <status> in the answer');
    const num = (t: string) => toInt(xmlTag(xml, t));
    return {
      batchId: xmlTag(xml, 'batchId') ?? query.batchId ?? '',
      status,
      batchSize: num('batchSize'),
      consumedCount: num('consumedCount'),
      successfulUpdates: num('successfulUpdates'),
      profilesNotFound: num('profilesNotFound'),
      failedUpdates: num('failedUpdates'),
    };
  }

  /** Polls a batch until it completes, is reported stuck, or the timeout passes. */
  async waitForBatch(urlOrBatchId: string, opts: { intervalMs?: number; timeoutMs?: number } = {}): Promise<BatchWaitResult> {
    const intervalMs = opts.intervalMs ?? this.batchPoll.intervalMs;
    const deadline = this.now() + (opts.timeoutMs ?? this.batchPoll.timeoutMs);
    let polls = 0;
    for (;;) {
      const status = await this.getBatchStatus(urlOrBatchId, { details: true });
      polls++;
      if (status.status === 'complete') return { outcome: 'complete', status, polls };
      if (status.status === 'stuck') return { outcome: 'stuck', status, polls };
      if (this.now() + intervalMs > deadline) return { outcome: 'timeout', status, polls };
      await this.sleep(intervalMs);
    }
  }

  /** The visitor profile of a thirdPartyId, or undefined when Target has none (404). */
  async getProfile(thirdPartyId: string): Promise<TargetProfile | undefined> {
    const path = `/rest/v1/profiles/thirdPartyId/${encodeURIComponent(thirdPartyId)}`;
    const res = await this.edge.request<unknown>({
      method: 'GET',
      path,
      query: { client: this.provider.client_code },
      acceptStatus: [404],
      operation: 'get profile',
    });
    if (res.status === 404) return undefined;
    const d = res.data as Record<string, unknown> | undefined;
    const raw = d?.profileAttributes;
    if (!d || !raw || typeof raw !== 'object') throw invalid('edge', 'GET', path, 'get profile', 'no profileAttributes in the answer');
    const attributes: TargetProfile['attributes'] = {};
    for (const [name, a] of Object.entries(raw as Record<string, unknown>)) {
      const o = (a ?? {}) as Record<string, unknown>;
      if (o.value === undefined || o.value === null) continue;
      attributes[name] = { value: String(o.value), ...(typeof o.modifiedAt === 'string' ? { modifiedAt: o.modifiedAt } : {}) };
    }
    return {
      visitorId: typeof d.visitorId === 'string' ? d.visitorId : thirdPartyId,
      ...(typeof d.modifiedAt === 'string' ? { modifiedAt: d.modifiedAt } : {}),
      attributes,
    };
  }

  /**
   * Single Profile Update (updates only: Target does not create a missing profile). Empty values are
   * left out: Target ignores them, an attribute cannot be cleared.
   */
  async updateProfile(thirdPartyId: string, attributes: Record<string, string>): Promise<void> {
    checkThirdPartyId(thirdPartyId);
    const query: Record<string, string> = { mbox3rdPartyId: thirdPartyId };
    for (const [k, v] of Object.entries(attributes)) if (v !== '') query[`profile.${k}`] = v;
    const size = new URLSearchParams(query).toString().length;
    if (size > SINGLE_UPDATE_MAX_BYTES) throw new RangeError(`A single profile update is limited to 60 KB (this one is ${size} bytes); use a batch`);
    const path = `/m2/${encodeURIComponent(this.provider.client_code)}/profile/update`;
    const res = await this.edge.request<string>({
      method: 'POST',
      path,
      query,
      responseType: 'text',
      accept: '*/*',
      // Writing the same values twice is harmless.
      idempotent: true,
      operation: 'update profile',
    });
    if (!String(res.data ?? '').trim().toLowerCase().startsWith('true')) {
      throw new PlatformError({ platform: 'adobe_target', api: 'edge', method: 'POST', path, kind: 'http', status: res.status, detail: String(res.data ?? ''), operation: 'update profile' });
    }
  }

  /** One Delivery API decision for one visitor and one mbox (the e2e check of what a visitor sees). */
  async deliver(
    thirdPartyId: string,
    mbox: string,
    opts: { sessionId?: string; profileParameters?: Record<string, string>; parameters?: Record<string, string>; url?: string } = {},
  ): Promise<DeliveryResult> {
    // Target asks for a session id stable per visitor (30 minutes); a hash of the id is.
    const sessionId = opts.sessionId ?? createHash('sha256').update(thirdPartyId).digest('hex').slice(0, 32);
    const body = {
      id: { thirdPartyId },
      context: { channel: 'web', ...(opts.url ? { address: { url: opts.url } } : {}) },
      execute: {
        mboxes: [
          {
            index: 0,
            name: mbox,
            ...(opts.parameters ? { parameters: opts.parameters } : {}),
            ...(opts.profileParameters ? { profileParameters: opts.profileParameters } : {}),
          },
        ],
      },
    };
    const path = '/rest/v1/delivery';
    // A repeated decision only counts one more impression.
    const res = await this.repeatOnUnreadable(() =>
      this.edge.request<unknown>({
        method: 'POST',
        path,
        query: { client: this.provider.client_code, sessionId },
        body,
        idempotent: true,
        operation: 'deliver mbox',
      }),
    );
    const mboxes = (field(field(res.data, 'execute'), 'mboxes') ?? []) as unknown;
    if (!Array.isArray(mboxes)) throw invalid('edge', 'POST', path, 'deliver mbox', 'execute.mboxes is not an array');
    const m = (mboxes.find((x) => (x as Record<string, unknown>)?.name === mbox) ?? mboxes[0] ?? {}) as Record<string, unknown>;
    const options: DeliveryOption[] = (Array.isArray(m.options) ? m.options : []).map((o: Record<string, unknown>) => ({
      ...(typeof o.type === 'string' ? { type: o.type } : {}),
      content: o.content,
      responseTokens: Object.fromEntries(Object.entries((o.responseTokens ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
    }));
    const tokens = options[0]?.responseTokens ?? {};
    return {
      mbox,
      options,
      ...(tokens['activity.id'] ? { activityId: tokens['activity.id'] } : {}),
      ...(tokens['experience.id'] ? { experienceId: tokens['experience.id'] } : {}),
      ...(tokens['offer.id'] ? { offerId: tokens['offer.id'] } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  private adminCall(
    method: Method,
    path: string,
    media: string,
    operation: string,
    extra: { body?: unknown; acceptStatus?: number[]; recover?: RequestSpec['recover']; query?: RequestSpec['query'] } = {},
  ): Promise<HttpResponse<unknown>> {
    const spec: RequestSpec = { method, path, operation, accept: media, acceptStatus: extra.acceptStatus, query: extra.query };
    if (extra.body !== undefined) {
      spec.body = extra.body;
      // Payload requests carry the version in Content-Type, the others in Accept (reference §1).
      spec.contentType = media;
    }
    if (extra.recover) spec.recover = extra.recover;
    return this.sendAdmin(spec);
  }

  /**
   * A 2xx whose body cannot be read means the write was applied; the HTTP layer only repeats reads
   * then. Here: a create looks its object up by key, a PUT (idempotent) is sent again, a DELETE is done.
   */
  private async sendAdmin(spec: RequestSpec, attempt = 1): Promise<HttpResponse<unknown>> {
    try {
      return await this.admin.request<unknown>(spec);
    } catch (err) {
      if (!(err instanceof PlatformError) || err.kind !== 'invalid_response') throw err;
      if (spec.method === 'POST' && spec.recover) {
        const landed = await spec.recover();
        if (landed) return landed;
      }
      if (spec.method === 'PUT' && attempt < UNREADABLE_RESENDS) return this.sendAdmin(spec, attempt + 1);
      if (spec.method === 'DELETE') return { status: 200, headers: {}, data: undefined };
      throw err;
    }
  }

  /** Repeats a call that is safe to repeat when its 2xx body came back unreadable. */
  private async repeatOnUnreadable<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (!(err instanceof PlatformError) || err.kind !== 'invalid_response' || attempt >= UNREADABLE_RESENDS) throw err;
      }
    }
  }

  /** Pages a list endpoint through limit/offset (sorted by id, so pages never overlap) to the end. */
  private async listAll(key: string, media: string, operation: string, filter: Record<string, string | undefined>): Promise<unknown[]> {
    const out: unknown[] = [];
    const seen = new Set<unknown>();
    let offset = 0;
    for (;;) {
      const res = await this.adminCall('GET', `/${key}`, media, operation, {
        query: { limit: this.pageSize, offset, sortBy: 'id', ...serverFilter(filter) },
      });
      const items = field(res.data, key);
      if (!Array.isArray(items)) throw invalid('admin', 'GET', `/${key}`, operation, `no "${key}" array in the answer`);
      for (const item of items) {
        const id = field(item, 'id');
        if (id !== undefined && seen.has(id)) continue;
        seen.add(id);
        out.push(item);
      }
      offset += items.length;
      const total = toInt(field(res.data, 'total'));
      // The end: the declared total reached, or an empty page. A short page alone proves nothing: a
      // server may cap `limit` below what was asked.
      if (items.length === 0 || (total !== undefined && offset >= total)) return out;
    }
  }

  private invalidFn(method: Method, path: string, operation: string): (why: string) => PlatformError {
    return (why) => invalid('admin', method, path, operation, why);
  }
}

// ---------------------------------------------------------------------------------------------
// Batch bodies
// ---------------------------------------------------------------------------------------------

export interface ProfileRow {
  thirdPartyId: string;
  /** Attribute values; a missing or empty value is sent empty, which Target ignores (never clears). */
  values: Record<string, string>;
}

/**
 * Builds Bulk Profile Update bodies (`batch=` + CSV, thirdPartyId first, values URL-encoded), split
 * so each stays within the documented limits. Throws on an id Target refuses (`+`, `/`, >128 chars).
 */
export function buildProfileBatches(attributes: string[], rows: Iterable<ProfileRow>, limits: { maxRows?: number; maxBytes?: number } = {}): string[] {
  const maxRows = Math.min(limits.maxRows ?? BATCH_MAX_ROWS, BATCH_MAX_ROWS);
  const maxBytes = Math.min(limits.maxBytes ?? BATCH_MAX_BYTES - 1, BATCH_MAX_BYTES - 1);
  for (const a of attributes) {
    if (a === '' || /[,\r\n]/.test(a) || a.startsWith('profile.')) throw new RangeError(`Invalid profile attribute name for a batch: '${a}'`);
  }
  const header = `batch=thirdPartyId${attributes.map((a) => `,${a}`).join('')}\n`;
  const headerBytes = Buffer.byteLength(header, 'utf8');
  const bodies: string[] = [];
  let lines: string[] = [];
  let bytes = headerBytes;
  for (const row of rows) {
    checkThirdPartyId(row.thirdPartyId);
    const line = `${encodeURIComponent(row.thirdPartyId)}${attributes.map((a) => `,${encodeURIComponent(row.values[a] ?? '')}`).join('')}\n`;
    const lineBytes = Buffer.byteLength(line, 'utf8');
    if (headerBytes + lineBytes > maxBytes) throw new RangeError(`One profile row for ${row.thirdPartyId} alone exceeds the batch size limit`);
    if (lines.length >= maxRows || bytes + lineBytes > maxBytes) {
      bodies.push(header + lines.join(''));
      lines = [];
      bytes = headerBytes;
    }
    lines.push(line);
    bytes += lineBytes;
  }
  if (lines.length > 0) bodies.push(header + lines.join(''));
  return bodies;
}

/**
 * The field filters that are safe to send. Target reads `,` as "or", a leading `!` as "not" and
 * `/` as a range, so a value holding one of them would select other objects; those lookups list
 * everything and filter here instead (callers always re-check the exact value).
 */
function serverFilter(filter: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '' && !/[,/]|^!/.test(v)) out[k] = v;
  return out;
}

function checkThirdPartyId(id: string): void {
  if (id === '' || id.length > 128 || id.includes('+') || id.includes('/')) {
    throw new RangeError(`Target refuses the thirdPartyId '${id}': it must be 1-128 characters without '+' or '/'`);
  }
}

function countDataRows(body: string): number {
  let rows = 0;
  let start = body.indexOf('\n');
  if (start < 0) return 0;
  while (start < body.length - 1) {
    const next = body.indexOf('\n', start + 1);
    const end = next < 0 ? body.length : next;
    if (body.slice(start + 1, end).trim() !== '') rows++;
    if (next < 0) break;
    start = next;
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Text of the first <tag>…</tag> (namespace prefixes, attributes, CDATA and entities tolerated). */
export function xmlTag(xml: string, tag: string): string | undefined {
  const re = new RegExp(`<(?:[\\w-]+:)?${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${tag}\\s*>`, 'i');
  const m = re.exec(xml);
  if (!m) return undefined;
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(m[1]);
  const text = cdata ? cdata[1] : m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  return text.trim();
}

function batchIdOf(statusUrl: string): string | undefined {
  try {
    return new URL(statusUrl).searchParams.get('batchId') ?? undefined;
  } catch {
    return /[?&]batchId=([^&]+)/.exec(statusUrl)?.[1];
  }
}

function parseAudience(raw: unknown, bad: (why: string) => PlatformError): TargetAudience {
  const r = raw as Record<string, unknown> | undefined;
  const id = toInt(r?.id);
  if (!r || id === undefined || typeof r.name !== 'string') throw bad('an audience without a numeric id and a name');
  return { ...(r as object), id, name: r.name } as TargetAudience;
}

function parseOfferSummary(raw: unknown, bad: (why: string) => PlatformError): TargetOfferSummary {
  const r = raw as Record<string, unknown> | undefined;
  const id = toInt(r?.id);
  if (!r || id === undefined || typeof r.name !== 'string') throw bad('an offer without a numeric id and a name');
  return { ...(r as object), id, name: r.name, type: typeof r.type === 'string' ? r.type : 'content' } as TargetOfferSummary;
}

function parseContentOffer(raw: unknown, bad: (why: string) => PlatformError): TargetContentOffer {
  const r = raw as Record<string, unknown> | undefined;
  const id = toInt(r?.id);
  if (!r || id === undefined || typeof r.name !== 'string') throw bad('an offer without a numeric id and a name');
  return { ...(r as object), id, name: r.name, content: typeof r.content === 'string' ? r.content : '' } as TargetContentOffer;
}

function parseActivitySummary(raw: unknown, bad: (why: string) => PlatformError): TargetActivitySummary {
  const r = raw as Record<string, unknown> | undefined;
  const id = toInt(r?.id);
  if (!r || id === undefined || typeof r.name !== 'string') throw bad('an activity without a numeric id and a name');
  return { ...(r as object), id, name: r.name, type: typeof r.type === 'string' ? r.type : 'unknown' } as TargetActivitySummary;
}

function parseActivity(raw: unknown, bad: (why: string) => PlatformError): TargetActivity {
  const r = raw as Record<string, unknown> | undefined;
  const id = toInt(r?.id);
  if (!r || id === undefined || typeof r.name !== 'string') throw bad('an activity without a numeric id and a name');
  return { ...(r as object), id, name: r.name } as TargetActivity;
}

function invalid(api: string, method: Method, path: string, operation: string, why: string): PlatformError {
  return new PlatformError({ platform: 'adobe_target', api, method, path, kind: 'invalid_response', detail: why, operation });
}

function field(obj: unknown, key: string): unknown {
  return obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

function objectId(id: number): string {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`Invalid Target object id: ${id}`);
  return String(id);
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
