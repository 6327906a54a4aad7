// The emulated Delivery API: decides, per mbox, which activity, experience and offer a visitor gets.
import { createHash, randomUUID } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { compositeRuleAudienceId } from './admin.js';
import type { AdminState, StoredActivity } from './admin-state.js';
import { edgeError, parseTargetDate } from './http-util.js';
import type { ProfileStore } from './profile-store.js';
import { checkDeliveryRequest } from './schemas.js';
import { evaluateTargetRule, type RuleContext } from './target-rule.js';

export interface DeliveryContext {
  admin: AdminState;
  profiles: ProfileStore;
  now: () => number;
  /**
   * Whether profileParameters are written to the visitor's profile (creating it) after the call, as
   * in-mbox profile attributes are in Target; off: they count for that decision only. Uncertain.
   */
  storeProfileParameters?: boolean;
  /** Called after profileParameters were stored. */
  profilesChanged?: () => void;
}

interface MboxRequest {
  index?: number;
  name?: string;
  parameters?: Record<string, string>;
  profileParameters?: Record<string, string>;
}

interface DeliveryBody {
  id?: { tntId?: string; thirdPartyId?: string; marketingCloudVisitorId?: string };
  context?: { channel?: string; address?: { url?: string } };
  execute?: { mboxes?: MboxRequest[] };
}

/** One decision: the winning activity and experience, and the options (offers) it serves. */
export interface Decision {
  activityId: number;
  experienceLocalId: number;
  options: Array<{ type: 'html' | 'json'; content: unknown; responseTokens: Record<string, string> }>;
}

const MAX_PROFILE_PARAMS = 50;
const SESSION_ID = /^[\x21-\x7e]{1,128}$/;

/** POST /rest/v1/delivery?client=&sessionId= */
export function handleDelivery(req: SandboxRequest, ctx: DeliveryContext): SandboxResponse | undefined {
  if (req.path !== '/rest/v1/delivery') return undefined;
  if (req.method !== 'POST') return edgeError(405, 'Only POST is supported');
  const client = req.query.get('client');
  if (!client) return edgeError(400, 'Missing client parameter');
  const sessionId = req.query.get('sessionId') ?? '';
  if (!SESSION_ID.test(sessionId)) return edgeError(400, 'sessionId must be 1 to 128 printable characters');
  let body: DeliveryBody;
  try {
    body = JSON.parse(req.body.toString('utf8')) as DeliveryBody;
  } catch {
    return edgeError(400, 'Invalid request: the body is not valid JSON');
  }
  const invalid = checkDeliveryRequest(body);
  if (invalid) return edgeError(400, `Invalid request: ${invalid}`);

  const thirdPartyId = body.id?.thirdPartyId;
  const tntId = body.id?.tntId ?? `${randomUUID().replace(/-/g, '')}.28_0`;
  const mboxes = [];
  for (const m of body.execute?.mboxes ?? []) {
    const pp = m.profileParameters ?? {};
    const names = Object.keys(pp);
    if (names.length > MAX_PROFILE_PARAMS) return edgeError(400, `At most ${MAX_PROFILE_PARAMS} profile parameters per mbox`);
    const bad = names.find((n) => n.startsWith('profile.') || n.length > 128);
    if (bad) return edgeError(400, `Invalid profile parameter name '${bad}'`);
    const decision = m.name ? decide(ctx, { thirdPartyId, tntId }, m, body.context?.address?.url) : undefined;
    mboxes.push({ index: m.index, name: m.name, ...(decision ? { options: decision.options } : {}) });
  }
  if (ctx.storeProfileParameters) {
    const pairs = (body.execute?.mboxes ?? []).flatMap((m) => Object.entries(m.profileParameters ?? {}).map(([k, v]): [string, string] => [k, String(v)]));
    if (pairs.length > 0) {
      ctx.profiles.update(thirdPartyId ?? tntId, pairs, ctx.now(), true);
      ctx.profilesChanged?.();
    }
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: {
      status: 200,
      requestId: randomUUID(),
      client,
      id: { tntId, ...(thirdPartyId ? { thirdPartyId } : {}) },
      edgeHost: new URL(req.baseUrl).host,
      execute: { mboxes },
    },
  };
}

/**
 * Picks the activity for one mbox. Candidates are approved activities inside their schedule with a
 * location of that name. Higher priority wins. Ties (undocumented): XT before AB, then the most
 * recently modified, then the lower id, so the answer is stable. An activity the visitor does not
 * qualify for (no matching XT experience, outside the entry share or location audiences) is
 * skipped and the next one is tried.
 */
export function decide(
  ctx: DeliveryContext,
  visitor: { thirdPartyId?: string; tntId: string },
  mbox: MboxRequest,
  pageUrl?: string,
): Decision | undefined {
  const now = ctx.now();
  const inCall = mbox.profileParameters ?? {};
  const rules: RuleContext = {
    profile: (name) => (name in inCall ? String(inCall[name]) : visitor.thirdPartyId ? ctx.profiles.getValue(visitor.thirdPartyId, name) : undefined),
    mbox: (name) => mbox.parameters?.[name],
    pageUrl,
  };
  const audienceCache = new Map<number, boolean>();
  const matches = (ids: number[] | undefined) => (ids ?? []).every((id) => matchesAudience(ctx.admin, id, rules, audienceCache, new Set()));

  const candidates = [...ctx.admin.activities.values()].filter((a) => isLive(a, now) && a.body.locations?.mboxes?.some((m) => m.name === mbox.name));
  candidates.sort(
    (x, y) =>
      y.body.priority - x.body.priority ||
      (x.type === y.type ? 0 : x.type === 'xt' ? -1 : 1) ||
      y.body.modifiedAt.localeCompare(x.body.modifiedAt) ||
      x.body.id - y.body.id,
  );
  const visitorKey = visitor.thirdPartyId ?? visitor.tntId;
  for (const a of candidates) {
    const b = a.body;
    const location = b.locations!.mboxes!.find((m) => m.name === mbox.name)!;
    if (!matches(location.audienceIds)) continue;
    const entry = b.entryConstraint;
    if (!(entry?.mboxes ?? []).filter((m) => m.name === mbox.name).every((m) => matches(m.audienceIds))) continue;
    if (entry?.visitorPercentage !== undefined && bucket(`${visitorKey}:${b.id}:entry`, 100) >= entry.visitorPercentage) continue;
    const experiences = b.experiences ?? [];
    const experience = a.type === 'xt' ? experiences.find((e) => matches(e.audienceIds)) : pickSplit(experiences, `${visitorKey}:${b.id}`);
    if (!experience) continue;
    const options = [];
    for (const ol of experience.optionLocations ?? []) {
      if (ol.locationLocalId !== location.locationLocalId) continue;
      const option = b.options?.find((o) => o.optionLocalId === ol.optionLocalId);
      const offer = option?.offerId !== undefined ? ctx.admin.offers.get(option.offerId) : undefined;
      if (!option || !offer) continue;
      options.push({
        type: offer.type === 'json' ? ('json' as const) : ('html' as const),
        content: offer.content,
        responseTokens: {
          'activity.id': String(b.id),
          'activity.name': b.name,
          'experience.id': String(experience.experienceLocalId),
          'experience.name': experience.name ?? '',
          'offer.id': String(offer.id),
          'offer.name': offer.name,
          'option.id': String(option.optionLocalId),
        },
      });
    }
    return { activityId: b.id, experienceLocalId: experience.experienceLocalId ?? 0, options };
  }
  return undefined;
}

function isLive(a: StoredActivity, now: number): boolean {
  if (a.body.state !== 'approved') return false;
  const starts = a.body.startsAt ? parseTargetDate(a.body.startsAt) : undefined;
  const ends = a.body.endsAt ? parseTargetDate(a.body.endsAt) : undefined;
  return (starts === undefined || starts <= now) && (ends === undefined || now < ends);
}

function matchesAudience(admin: AdminState, id: number, rules: RuleContext, cache: Map<number, boolean>, seen: Set<number>): boolean {
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const audience = admin.audiences.get(id);
  let result = false;
  if (audience && !seen.has(id)) {
    seen.add(id);
    if (audience.targetRule) result = evaluateTargetRule(audience.targetRule, rules);
    else if (audience.audienceRule) {
      const refs = (audience.audienceRule.rules ?? []).map((r) => compositeRuleAudienceId(r));
      const results = refs.map((ref) => ref !== undefined && matchesAudience(admin, ref, rules, cache, seen));
      const op = audience.audienceRule.restRuleOperator ?? 'AND';
      result = op === 'OR' ? results.some(Boolean) : op === 'NOT' ? !results.some(Boolean) : results.every(Boolean);
    }
  }
  cache.set(id, result);
  return result;
}

/** AB: a stable share of visitors per experience, weighted by visitorPercentage (equal when absent). */
function pickSplit<T extends { visitorPercentage?: number }>(experiences: T[], key: string): T | undefined {
  if (experiences.length === 0) return undefined;
  const weights = experiences.map((e) => e.visitorPercentage ?? 100 / experiences.length);
  const total = weights.reduce((s, w) => s + w, 0);
  if (total <= 0) return undefined;
  let point = (bucket(key, 10_000) / 10_000) * total;
  for (let i = 0; i < experiences.length; i++) {
    if (point < weights[i]) return experiences[i];
    point -= weights[i];
  }
  return experiences[experiences.length - 1];
}

/** A deterministic bucket in [0, n) for a key. */
function bucket(key: string, n: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % n;
}
