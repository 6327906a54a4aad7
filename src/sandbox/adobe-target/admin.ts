// The emulated Target Admin API (/{tenant}/target/...): audiences, offers, AB/XT activities, profile token.
import { randomBytes } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import type { ActivityBody, AdminState, StoredActivity, StoredAudience, StoredOffer } from './admin-state.js';
import { adminError, decodePathSegment, formatTime, parseTargetDate, requestedVersion, targetMediaType } from './http-util.js';
import { checkAdminBody } from './schemas.js';
import { findTargetRuleProblem } from './target-rule.js';

export interface AdminContext {
  state: AdminState;
  now: () => number;
  /** 201 (documented) or 200 (older SDK spec) on creates. */
  createStatus: () => 201 | 200;
  defaultWorkspace: string;
  /** Reject a second audience with the same name (Target's docs ask for unique names; enforcement unconfirmed). */
  uniqueAudienceNames: boolean;
  /** Called after every change, to persist. */
  changed: () => void;
  /** Attribute names seen by the profile store (for profileattributes/mbox). */
  profileAttributeNames: () => string[];
  /** How list answers page and what their envelope holds (uncertain; see ListVariant). */
  lists: ListVariant;
}

/**
 * List behaviours the references leave open, switchable so clients are tested on each: slate and
 * aio samples show `{total, offset, limit, <items>}` and honour any `limit`; admin-api.json declares
 * only `total` and the array, and a server may cap the page size.
 */
export interface ListVariant {
  /** Largest page the server returns whatever `limit` asks (default: no cap but 2147483647). */
  maxLimit?: number;
  /** 'full' (default): total, offset, limit; 'total-only': total and items; 'items-only': the array alone. */
  envelope?: 'full' | 'total-only' | 'items-only';
}

type Handler = (body: unknown) => SandboxResponse;

interface Route {
  version: number;
  /** admin-api.json schema the payload must satisfy. */
  schema?: string;
  /** Whether a payload is required. */
  needsBody?: boolean;
  run: Handler;
}

const MAX_INT = 2147483647;
const SETTINGS = ['state', 'priority', 'schedule', 'name'] as const;
type Setting = (typeof SETTINGS)[number];

/** Answers an Admin API request that passed the gateway checks; undefined when no route matches. */
export function handleAdmin(req: SandboxRequest, ctx: AdminContext): SandboxResponse | undefined {
  const segs = req.path.split('/').filter(Boolean).map(decodePathSegment);
  if (segs.length < 3 || segs[1] !== 'target') return undefined;
  const rest = segs.slice(2);
  const routes = matchRoutes(rest, req, ctx);
  if (!routes) return undefined;
  const route = routes[req.method];
  const now = ctx.now();
  if (!route) return adminError(405, 'Method.NotAllowed', `Request method '${req.method}' not supported`, now);

  const asked = requestedVersion(req);
  if ('error' in asked) {
    return asked.error === 415
      ? adminError(415, 'Unsupported.MediaType', `Content type '${req.headers['content-type'] ?? ''}' not supported`, now)
      : adminError(406, 'Unsupported.Feature', 'Unsupported features detected', now);
  }
  if (asked.version !== route.version) return adminError(406, 'Unsupported.Feature', 'Unsupported features detected', now);

  let body: unknown;
  if (route.needsBody) {
    if (req.body.length === 0) return adminError(400, 'InvalidProperty.Json', 'Invalid Json. Required request body is missing.', now);
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return adminError(400, 'InvalidProperty.Json', 'Invalid Json. The request body is not valid JSON.', now);
    }
    if (route.schema) {
      const problem = checkAdminBody(route.schema, body);
      if (problem?.kind === 'unknown_property') {
        return adminError(400, 'InvalidProperty.Json', `Invalid Json. Unrecognized property name '${problem.property}'.`, now);
      }
      if (problem) return adminError(400, 'InvalidProperty.Json', problem.message, now);
    }
  }
  return route.run(body);
}

function matchRoutes(rest: string[], req: SandboxRequest, ctx: AdminContext): Record<string, Route> | undefined {
  const [a, b, c, d] = rest;
  const n = rest.length;
  const audiences = new AudienceHandlers(ctx);
  const offers = new OfferHandlers(ctx);
  const activities = new ActivityHandlers(ctx);

  if (a === 'audiences' && n === 1) {
    return {
      GET: { version: 3, run: () => audiences.list(req.query) },
      POST: { version: 3, schema: 'Audience', needsBody: true, run: (body) => audiences.create(body as AudienceInput) },
    };
  }
  if (a === 'audiences' && n === 2) {
    const id = parseId(b);
    return {
      GET: { version: 3, run: () => audiences.get(id) },
      PUT: { version: 3, schema: 'Audience', needsBody: true, run: (body) => audiences.replace(id, body as AudienceInput) },
      // AudiencePatch in admin-api.json lists only id/workspace, yet PATCH exists to change name,
      // description and rules; the patch is checked against the Audience schema instead.
      PATCH: { version: 3, schema: 'Audience', needsBody: true, run: (body) => audiences.patch(id, body as AudienceInput) },
      DELETE: { version: 3, run: () => audiences.remove(id) },
    };
  }
  if (a === 'offers' && n === 1) return { GET: { version: 2, run: () => offers.list(req.query) } };
  if (a === 'offers' && (b === 'content' || b === 'json')) {
    const type = b;
    const schema = type === 'content' ? 'ContentOffer' : 'JsonOffer';
    if (n === 2) return { POST: { version: 2, schema, needsBody: true, run: (body) => offers.create(type, body as OfferInput) } };
    if (n === 3) {
      const id = parseId(c);
      return {
        GET: { version: 2, run: () => offers.get(type, id) },
        PUT: { version: 2, schema, needsBody: true, run: (body) => offers.replace(type, id, body as OfferInput) },
        DELETE: { version: 2, run: () => offers.remove(type, id) },
      };
    }
    return undefined;
  }
  if (a === 'activities') {
    if (n === 1) return { GET: { version: 3, run: () => activities.list(req.query) } };
    if ((b === 'ab' || b === 'xt') && n === 2) {
      return { POST: { version: 3, schema: 'ABActivity', needsBody: true, run: (body) => activities.create(b, body as ActivityInput) } };
    }
    if ((b === 'ab' || b === 'xt') && n === 3) {
      const id = parseId(c);
      return {
        GET: { version: 3, run: () => activities.get(b, id) },
        PUT: { version: 3, schema: 'ABActivity', needsBody: true, run: (body) => activities.replace(b, id, body as ActivityInput) },
        DELETE: { version: 3, run: () => activities.remove(b, id) },
      };
    }
    if ((b === 'ab' || b === 'xt') && n === 4 && isSetting(d)) return settingRoute(activities, b, parseId(c), d);
    if (n === 3 && isSetting(c)) return settingRoute(activities, undefined, parseId(b), c);
    return undefined;
  }
  if (a === 'authentication' && b === 'token' && n === 2) {
    const scope = req.query.get('authorizationScope') ?? req.query.get('scope') ?? '';
    return {
      GET: { version: 1, run: () => getProfileToken(ctx, scope, false) },
      POST: { version: 1, run: () => getProfileToken(ctx, scope, true) },
    };
  }
  if (a === 'profileattributes' && b === 'mbox' && n === 2) {
    return {
      GET: {
        version: 1,
        run: () => ok({ mboxProfileAttributes: ctx.profileAttributeNames() }, 1),
      },
    };
  }
  return undefined;
}

function settingRoute(h: ActivityHandlers, type: 'ab' | 'xt' | undefined, id: number | undefined, s: Setting): Record<string, Route> {
  const schema = { state: 'State', priority: 'Priority', schedule: 'Schedule', name: 'Name' }[s];
  return { PUT: { version: 1, schema, needsBody: true, run: (body) => h.setting(type, id, s, body as Record<string, unknown>) } };
}

function isSetting(s: string | undefined): s is Setting {
  return (SETTINGS as readonly string[]).includes(s ?? '');
}

function parseId(s: string | undefined): number | undefined {
  return s !== undefined && /^\d{1,18}$/.test(s) ? Number(s) : undefined;
}

function ok(body: unknown, version: number, status = 200): SandboxResponse {
  return { status, headers: { 'content-type': targetMediaType(version) }, body };
}

function nextId(ctx: AdminContext): number {
  return ctx.state.nextId++;
}

// ---------------------------------------------------------------------------------------------
// Lists: limit / offset / sortBy / field filters, envelope {total, offset, limit, <items>}.
// ---------------------------------------------------------------------------------------------

type Row = Record<string, unknown>;

function listResponse(
  key: string,
  rows: Row[],
  query: URLSearchParams,
  sortable: string[],
  filterable: string[],
  version: number,
  now: number,
  variant: ListVariant = {},
): SandboxResponse {
  const asked = parseNonNegative(query.get('limit'), MAX_INT);
  const limit = asked === undefined || variant.maxLimit === undefined ? asked : Math.min(asked, variant.maxLimit);
  const offset = parseNonNegative(query.get('offset'), 0);
  if (limit === undefined) return adminError(400, 'Invalid.Parameter', `limit must be a non-negative integer`, now);
  if (offset === undefined) return adminError(400, 'Invalid.Parameter', `offset must be a non-negative integer`, now);

  let filtered = rows;
  for (const field of filterable) {
    const raw = query.getAll(field).flatMap((v) => v.split(','));
    if (raw.length === 0) continue;
    const wanted = raw.filter((v) => !v.startsWith('!'));
    const unwanted = raw.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    filtered = filtered.filter((r) => {
      const value = r[field] === undefined ? '' : String(r[field]);
      return (wanted.length === 0 || wanted.includes(value)) && !unwanted.includes(value);
    });
  }

  const sortKeys = query.getAll('sortBy').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const k of sortKeys) {
    const field = k.replace(/^-/, '');
    if (!sortable.includes(field)) {
      return adminError(400, 'Invalid.Parameter', `sortBy '${field}' is not one of ${sortable.join(', ')}`, now);
    }
  }
  const sorted = [...filtered].sort((x, y) => {
    for (const k of sortKeys) {
      const desc = k.startsWith('-');
      const field = desc ? k.slice(1) : k;
      const c = compareValues(x[field], y[field]);
      if (c !== 0) return desc ? -c : c;
    }
    return compareValues(x.id, y.id);
  });
  const page = sorted.slice(offset, offset + limit);
  const envelope = variant.envelope ?? 'full';
  if (envelope === 'items-only') return ok({ [key]: page }, version);
  if (envelope === 'total-only') return ok({ total: sorted.length, [key]: page }, version);
  return ok({ total: sorted.length, offset, limit, [key]: page }, version);
}

function parseNonNegative(v: string | null, dflt: number): number | undefined {
  if (v === null || v === '') return dflt;
  if (!/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), MAX_INT);
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

// ---------------------------------------------------------------------------------------------
// Audiences (v3)
// ---------------------------------------------------------------------------------------------

type AudienceInput = Partial<StoredAudience> & Record<string, unknown>;

class AudienceHandlers {
  constructor(private readonly ctx: AdminContext) {}

  list(query: URLSearchParams): SandboxResponse {
    // List items never carry the rules (reference §2).
    const rows = [...this.ctx.state.audiences.values()].map((a) => ({
      id: a.id,
      name: a.name,
      description: a.description,
      origin: a.origin,
      modifiedAt: a.modifiedAt,
      workspace: a.workspace,
    }));
    return listResponse('audiences', rows, query, ['name', 'id', 'modifiedAt', 'origin', 'workspace'], ['id', 'name', 'origin', 'workspace'], 3, this.ctx.now(), this.ctx.lists);
  }

  get(id: number | undefined): SandboxResponse {
    const a = id === undefined ? undefined : this.ctx.state.audiences.get(id);
    return a ? ok(a, 3) : this.notFound(id);
  }

  create(input: AudienceInput): SandboxResponse {
    const problem = this.check(input, undefined);
    if (problem) return problem;
    const now = formatTime(this.ctx.now());
    const audience: StoredAudience = {
      id: nextId(this.ctx),
      name: input.name as string,
      ...(input.description !== undefined ? { description: input.description } : {}),
      origin: input.origin ?? 'target',
      ...(input.targetRule !== undefined ? { targetRule: input.targetRule } : {}),
      ...(input.audienceRule !== undefined ? { audienceRule: input.audienceRule } : {}),
      status: 'saved',
      type: input.type ?? 'reusable',
      workspace: input.workspace ?? this.ctx.defaultWorkspace,
      modifiedAt: now,
      createdAt: now,
    };
    this.ctx.state.audiences.set(audience.id, audience);
    this.ctx.changed();
    return ok(audience, 3, this.ctx.createStatus());
  }

  replace(id: number | undefined, input: AudienceInput): SandboxResponse {
    const existing = id === undefined ? undefined : this.ctx.state.audiences.get(id);
    if (!existing) return this.notFound(id);
    const problem = this.check(input, existing.id);
    if (problem) return problem;
    const updated: StoredAudience = {
      id: existing.id,
      name: input.name as string,
      ...(input.description !== undefined ? { description: input.description } : {}),
      origin: input.origin ?? existing.origin,
      ...(input.targetRule !== undefined ? { targetRule: input.targetRule } : {}),
      ...(input.audienceRule !== undefined ? { audienceRule: input.audienceRule } : {}),
      status: 'saved',
      type: input.type ?? existing.type,
      workspace: input.workspace ?? existing.workspace,
      modifiedAt: formatTime(this.ctx.now()),
      createdAt: existing.createdAt,
    };
    this.ctx.state.audiences.set(updated.id, updated);
    this.ctx.changed();
    return ok(updated, 3);
  }

  patch(id: number | undefined, input: AudienceInput): SandboxResponse {
    const existing = id === undefined ? undefined : this.ctx.state.audiences.get(id);
    if (!existing) return this.notFound(id);
    const merged: AudienceInput = { ...existing, ...input };
    // A patch that brings one kind of rule replaces the other kind.
    if (input.targetRule !== undefined && input.audienceRule === undefined) delete merged.audienceRule;
    if (input.audienceRule !== undefined && input.targetRule === undefined) delete merged.targetRule;
    return this.replace(id, merged);
  }

  remove(id: number | undefined): SandboxResponse {
    const a = id === undefined ? undefined : this.ctx.state.audiences.get(id);
    if (!a) return this.notFound(id);
    this.ctx.state.audiences.delete(a.id);
    this.ctx.changed();
    return ok(a, 3);
  }

  private check(input: AudienceInput, selfId: number | undefined): SandboxResponse | undefined {
    const now = this.ctx.now();
    if (typeof input.name !== 'string' || input.name.trim() === '') return adminError(400, 'Invalid.Name', 'name is required', now);
    if (input.name.length > 250) return adminError(400, 'Invalid.Name', 'name must be at most 250 characters', now);
    const hasTarget = input.targetRule !== undefined && input.targetRule !== null;
    const hasComposite = input.audienceRule !== undefined && input.audienceRule !== null;
    if (hasTarget && hasComposite) {
      return adminError(400, 'Invalid.Audience', 'targetRule and audienceRule are mutually exclusive', now);
    }
    if (!hasTarget && !hasComposite) return adminError(400, 'Invalid.Audience', 'An audience needs a targetRule or an audienceRule', now);
    if (hasTarget) {
      const problem = findTargetRuleProblem(input.targetRule);
      if (problem) return adminError(400, 'Invalid.TargetRule', `Invalid targetRule: ${problem}`, now);
    }
    if (hasComposite) {
      const rules = input.audienceRule?.rules;
      if (!Array.isArray(rules) || rules.length === 0) return adminError(400, 'Invalid.AudienceRule', 'audienceRule.rules must be a non-empty array', now);
      for (const r of rules) {
        const ref = compositeRuleAudienceId(r);
        if (ref === undefined) return adminError(400, 'Invalid.AudienceRule', 'each audienceRule rule needs an audience id', now);
        if (!this.ctx.state.audiences.has(ref)) return adminError(400, 'Invalid.AudienceRule', `Audience ${ref} does not exist`, now);
      }
    }
    if (this.ctx.uniqueAudienceNames) {
      for (const a of this.ctx.state.audiences.values()) {
        if (a.name === input.name && a.id !== selfId) {
          return adminError(400, 'Duplicate.Name', `An audience named '${input.name}' already exists`, now);
        }
      }
    }
    return undefined;
  }

  private notFound(id: number | undefined): SandboxResponse {
    return adminError(404, 'Audience.NotFound', `Audience with id ${id ?? '?'} not found`, this.ctx.now());
  }
}

/** The audience a composite rule item points at (its `id` or `audienceId`). */
export function compositeRuleAudienceId(rule: unknown): number | undefined {
  if (!rule || typeof rule !== 'object') return undefined;
  const r = rule as Record<string, unknown>;
  const v = r.id ?? r.audienceId;
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Offers (v2): content and json
// ---------------------------------------------------------------------------------------------

type OfferInput = { name?: unknown; content?: unknown; workspace?: string; [k: string]: unknown };

class OfferHandlers {
  constructor(private readonly ctx: AdminContext) {}

  list(query: URLSearchParams): SandboxResponse {
    const rows = [...this.ctx.state.offers.values()].map((o) => ({
      id: o.id,
      name: o.name,
      type: o.type,
      modifiedAt: o.modifiedAt,
      workspace: o.workspace,
    }));
    return listResponse('offers', rows, query, ['name', 'id', 'modifiedAt', 'type', 'workspace'], ['id', 'name', 'type', 'workspace'], 2, this.ctx.now(), this.ctx.lists);
  }

  get(type: 'content' | 'json', id: number | undefined): SandboxResponse {
    const o = this.find(type, id);
    return o ? ok(this.render(o), 2) : this.notFound(id);
  }

  create(type: 'content' | 'json', input: OfferInput): SandboxResponse {
    const problem = this.check(type, input);
    if (problem) return problem;
    const offer: StoredOffer = {
      id: nextId(this.ctx),
      name: input.name as string,
      type,
      content: input.content,
      workspace: input.workspace ?? this.ctx.defaultWorkspace,
      modifiedAt: formatTime(this.ctx.now()),
    };
    this.ctx.state.offers.set(offer.id, offer);
    this.ctx.changed();
    return ok(this.render(offer), 2, this.ctx.createStatus());
  }

  replace(type: 'content' | 'json', id: number | undefined, input: OfferInput): SandboxResponse {
    const existing = this.find(type, id);
    if (!existing) return this.notFound(id);
    const problem = this.check(type, input);
    if (problem) return problem;
    const offer: StoredOffer = {
      ...existing,
      name: input.name as string,
      content: input.content,
      workspace: input.workspace ?? existing.workspace,
      modifiedAt: formatTime(this.ctx.now()),
    };
    this.ctx.state.offers.set(offer.id, offer);
    this.ctx.changed();
    return ok(this.render(offer), 2);
  }

  remove(type: 'content' | 'json', id: number | undefined): SandboxResponse {
    const o = this.find(type, id);
    if (!o) return this.notFound(id);
    this.ctx.state.offers.delete(o.id);
    this.ctx.changed();
    return ok(this.render(o), 2);
  }

  private render(o: StoredOffer): Row {
    return { id: o.id, name: o.name, content: o.content, workspace: o.workspace, modifiedAt: o.modifiedAt };
  }

  private find(type: 'content' | 'json', id: number | undefined): StoredOffer | undefined {
    const o = id === undefined ? undefined : this.ctx.state.offers.get(id);
    return o && o.type === type ? o : undefined;
  }

  private check(type: 'content' | 'json', input: OfferInput): SandboxResponse | undefined {
    const now = this.ctx.now();
    if (typeof input.name !== 'string' || input.name.trim() === '') return adminError(400, 'Invalid.Name', 'name is required', now);
    if (input.name.length > 250) return adminError(400, 'Invalid.Name', 'name must be at most 250 characters', now);
    if (type === 'content' && typeof input.content !== 'string') return adminError(400, 'Invalid.Content', 'content is required', now);
    if (type === 'json' && (input.content === null || typeof input.content !== 'object')) {
      return adminError(400, 'Invalid.Content', 'content must be a JSON object', now);
    }
    return undefined;
  }

  private notFound(id: number | undefined): SandboxResponse {
    return adminError(404, 'Offer.NotFound', `Offer with id ${id ?? '?'} not found`, this.ctx.now());
  }
}

// ---------------------------------------------------------------------------------------------
// Activities: v3 list and AB/XT CRUD, v1 state / priority / schedule / name
// ---------------------------------------------------------------------------------------------

type ActivityInput = Partial<ActivityBody> & Record<string, unknown>;

/** Fields a client sends that the server owns; accepted (they are in ABActivity) and overwritten. */
const SERVER_FIELDS = ['id', 'modifiedAt', 'createdAt', 'modifiedByName'];

class ActivityHandlers {
  constructor(private readonly ctx: AdminContext) {}

  list(query: URLSearchParams): SandboxResponse {
    // List items are descriptions: no experiences, options or locations (reference §4).
    const rows = [...this.ctx.state.activities.values()].map(({ type, body }) => ({
      id: body.id,
      thirdPartyId: body.thirdPartyId,
      name: body.name,
      type,
      state: body.state,
      priority: body.priority,
      startsAt: body.startsAt,
      endsAt: body.endsAt,
      workspace: body.workspace,
      propertyIds: body.propertyIds,
      modifiedAt: body.modifiedAt,
      createdAt: body.createdAt,
    }));
    return listResponse(
      'activities',
      rows,
      query,
      ['name', 'id', 'endsAt', 'thirdPartyId', 'state', 'type', 'priority'],
      ['id', 'name', 'thirdPartyId', 'state', 'type', 'priority', 'workspace'],
      3,
      this.ctx.now(),
      this.ctx.lists,
    );
  }

  get(type: 'ab' | 'xt', id: number | undefined): SandboxResponse {
    const a = this.find(type, id);
    return a ? ok(a.body, 3) : this.notFound(id);
  }

  create(type: 'ab' | 'xt', input: ActivityInput): SandboxResponse {
    const problem = this.check(type, input, undefined);
    if (problem) return problem;
    const now = formatTime(this.ctx.now());
    const body = this.build(input, nextId(this.ctx), now, now);
    this.ctx.state.activities.set(body.id, { type, body });
    this.ctx.changed();
    return ok(body, 3, this.ctx.createStatus());
  }

  replace(type: 'ab' | 'xt', id: number | undefined, input: ActivityInput): SandboxResponse {
    const existing = this.find(type, id);
    if (!existing) return this.notFound(id);
    if (input.id !== undefined && input.id !== existing.body.id) {
      return adminError(400, 'Invalid.Id', `Body id ${String(input.id)} does not match path id ${existing.body.id}`, this.ctx.now());
    }
    const problem = this.check(type, input, existing.body.id);
    if (problem) return problem;
    // PUT is a full replace: whatever the body omits is gone (defaults re-applied).
    const body = this.build(input, existing.body.id, formatTime(this.ctx.now()), existing.body.createdAt);
    this.ctx.state.activities.set(body.id, { type, body });
    this.ctx.changed();
    return ok(body, 3);
  }

  remove(type: 'ab' | 'xt', id: number | undefined): SandboxResponse {
    const a = this.find(type, id);
    if (!a) return this.notFound(id);
    this.ctx.state.activities.delete(a.body.id);
    this.ctx.changed();
    return ok({ ...a.body, state: 'deleted', modifiedAt: formatTime(this.ctx.now()) }, 3);
  }

  setting(type: 'ab' | 'xt' | undefined, id: number | undefined, s: Setting, input: Record<string, unknown>): SandboxResponse {
    const a = type ? this.find(type, id) : id === undefined ? undefined : this.ctx.state.activities.get(id);
    if (!a) return this.notFound(id);
    const now = this.ctx.now();
    const body = { ...a.body };
    if (s === 'state') {
      if (typeof input.state !== 'string') return adminError(400, 'Invalid.State', 'state is required', now);
      if (input.state === 'deleted') {
        this.ctx.state.activities.delete(body.id);
        this.ctx.changed();
        return ok(describeActivity({ ...body, state: 'deleted', modifiedAt: formatTime(now) }), 1);
      }
      body.state = input.state as ActivityBody['state'];
    } else if (s === 'priority') {
      const p = checkPriority(input.priority);
      if (p === undefined) return adminError(400, 'Invalid.Priority', 'priority must be an integer from 0 to 999', now);
      body.priority = p;
    } else if (s === 'schedule') {
      const sched = checkSchedule(input.startsAt, input.endsAt);
      if (typeof sched === 'string') return adminError(400, 'Invalid.Schedule', sched, now);
      if (sched.startsAt === undefined) delete body.startsAt;
      else body.startsAt = sched.startsAt;
      if (sched.endsAt === undefined) delete body.endsAt;
      else body.endsAt = sched.endsAt;
    } else {
      if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 250) {
        return adminError(400, 'Invalid.Name', 'name must be 1 to 250 characters', now);
      }
      body.name = input.name;
    }
    body.modifiedAt = formatTime(now);
    this.ctx.state.activities.set(body.id, { type: a.type, body });
    this.ctx.changed();
    return ok(describeActivity(body), 1);
  }

  private build(input: ActivityInput, id: number, modifiedAt: string, createdAt: string): ActivityBody {
    const copy: Record<string, unknown> = { ...input };
    for (const f of SERVER_FIELDS) delete copy[f];
    const sched = checkSchedule(input.startsAt, input.endsAt) as { startsAt?: string; endsAt?: string };
    delete copy.startsAt;
    delete copy.endsAt;
    return {
      id,
      ...copy,
      ...(sched.startsAt !== undefined ? { startsAt: sched.startsAt } : {}),
      ...(sched.endsAt !== undefined ? { endsAt: sched.endsAt } : {}),
      name: input.name as string,
      state: (input.state as ActivityBody['state'] | undefined) ?? 'saved',
      priority: (input.priority as number | undefined) ?? 5,
      workspace: (input.workspace as string | undefined) ?? this.ctx.defaultWorkspace,
      modifiedAt,
      createdAt,
    };
  }

  private check(type: 'ab' | 'xt', input: ActivityInput, selfId: number | undefined): SandboxResponse | undefined {
    const now = this.ctx.now();
    const bad = (code: string, msg: string) => adminError(400, code, msg, now);
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 250) {
      return bad('Invalid.Name', 'name must be 1 to 250 characters');
    }
    if (input.thirdPartyId !== undefined) {
      if (input.thirdPartyId.length > 250) return bad('Invalid.ThirdPartyId', 'thirdPartyId must be at most 250 characters');
      for (const a of this.ctx.state.activities.values()) {
        if (a.body.thirdPartyId === input.thirdPartyId && a.body.id !== selfId) {
          return bad('Duplicate.ThirdPartyId', `An activity with thirdPartyId '${input.thirdPartyId}' already exists (id ${a.body.id})`);
        }
      }
    }
    if (input.priority !== undefined && checkPriority(input.priority) === undefined) {
      return bad('Invalid.Priority', 'priority must be an integer from 0 to 999');
    }
    if (input.state === 'deleted') return bad('Invalid.State', "An activity cannot be written with state 'deleted'; DELETE it instead");
    const sched = checkSchedule(input.startsAt, input.endsAt);
    if (typeof sched === 'string') return bad('Invalid.Schedule', sched);

    const audienceExists = (id: number) => this.ctx.state.audiences.has(id);
    const missingAudience = (ids: number[] | undefined) => (ids ?? []).find((id) => !audienceExists(id));

    const optionIds = new Set<number>();
    for (const o of input.options ?? []) {
      if (o.optionLocalId === undefined) return bad('Invalid.Option', 'options[].optionLocalId is required');
      if (optionIds.has(o.optionLocalId)) return bad('Invalid.Option', `Duplicate optionLocalId ${o.optionLocalId}`);
      optionIds.add(o.optionLocalId);
      if (o.offerId === undefined) return bad('Invalid.Option', `Option ${o.optionLocalId} has no offerId`);
      if (!this.ctx.state.offers.has(o.offerId)) return bad('Invalid.Offer', `Offer ${o.offerId} does not exist`);
    }
    const locationIds = new Set<number>();
    for (const m of input.locations?.mboxes ?? []) {
      if (m.locationLocalId === undefined) return bad('Invalid.Location', 'locations.mboxes[].locationLocalId is required');
      if (locationIds.has(m.locationLocalId)) return bad('Invalid.Location', `Duplicate locationLocalId ${m.locationLocalId}`);
      locationIds.add(m.locationLocalId);
      if (typeof m.name !== 'string' || m.name === '') return bad('Invalid.Location', 'locations.mboxes[].name is required');
      const missing = missingAudience(m.audienceIds);
      if (missing !== undefined) return bad('Invalid.Audience', `Audience ${missing} does not exist`);
    }
    for (const m of input.entryConstraint?.mboxes ?? []) {
      const missing = missingAudience(m.audienceIds);
      if (missing !== undefined) return bad('Invalid.Audience', `Audience ${missing} does not exist`);
    }
    const vp = input.entryConstraint?.visitorPercentage;
    if (vp !== undefined && (vp < 0 || vp > 100)) return bad('Invalid.EntryConstraint', 'entryConstraint.visitorPercentage must be 0 to 100');
    const experienceIds = new Set<number>();
    for (const e of input.experiences ?? []) {
      if (e.experienceLocalId === undefined) return bad('Invalid.Experience', 'experiences[].experienceLocalId is required');
      if (experienceIds.has(e.experienceLocalId)) return bad('Invalid.Experience', `Duplicate experienceLocalId ${e.experienceLocalId}`);
      experienceIds.add(e.experienceLocalId);
      const missing = missingAudience(e.audienceIds);
      if (missing !== undefined) return bad('Invalid.Audience', `Audience ${missing} does not exist`);
      if (e.visitorPercentage !== undefined && (e.visitorPercentage < 0 || e.visitorPercentage > 100)) {
        return bad('Invalid.Experience', 'experiences[].visitorPercentage must be 0 to 100');
      }
      for (const ol of e.optionLocations ?? []) {
        if (ol.locationLocalId === undefined || !locationIds.has(ol.locationLocalId)) {
          return bad('Invalid.Experience', `Experience ${e.experienceLocalId} points at unknown locationLocalId ${ol.locationLocalId}`);
        }
        if (ol.optionLocalId === undefined || !optionIds.has(ol.optionLocalId)) {
          return bad('Invalid.Experience', `Experience ${e.experienceLocalId} points at unknown optionLocalId ${ol.optionLocalId}`);
        }
      }
    }
    if (type === 'ab') {
      const exps = input.experiences ?? [];
      if (exps.some((e) => e.audienceIds && e.audienceIds.length > 0)) {
        return bad('Invalid.Experience', 'AB experiences split traffic by visitorPercentage; audienceIds belong to XT activities');
      }
    }
    return undefined;
  }

  private find(type: 'ab' | 'xt', id: number | undefined): StoredActivity | undefined {
    const a = id === undefined ? undefined : this.ctx.state.activities.get(id);
    return a && a.type === type ? a : undefined;
  }

  private notFound(id: number | undefined): SandboxResponse {
    return adminError(404, 'Activity.NotFound', `Activity with id ${id ?? '?'} not found`, this.ctx.now());
  }
}

/** ActivityDescription: what the v1 state/priority/schedule/name endpoints answer. */
function describeActivity(b: ActivityBody): Row {
  return {
    id: b.id,
    thirdPartyId: b.thirdPartyId,
    name: b.name,
    state: b.state,
    startsAt: b.startsAt,
    endsAt: b.endsAt,
    priority: b.priority,
    modifiedAt: b.modifiedAt,
    createdAt: b.createdAt,
  };
}

function checkPriority(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 999 ? v : undefined;
}

/** Normalizes startsAt/endsAt to Target's timestamp form; a message when unreadable or reversed. */
function checkSchedule(startsAt: unknown, endsAt: unknown): { startsAt?: string; endsAt?: string } | string {
  const out: { startsAt?: string; endsAt?: string } = {};
  let s: number | undefined;
  let e: number | undefined;
  if (startsAt !== undefined && startsAt !== null) {
    s = typeof startsAt === 'string' ? parseTargetDate(startsAt) : undefined;
    if (s === undefined) return `startsAt '${String(startsAt)}' is not a date Target reads (e.g. 2017-05-01T08:00:00Z)`;
    out.startsAt = formatTime(s);
  }
  if (endsAt !== undefined && endsAt !== null) {
    e = typeof endsAt === 'string' ? parseTargetDate(endsAt) : undefined;
    if (e === undefined) return `endsAt '${String(endsAt)}' is not a date Target reads (e.g. 2017-09-01T07:59:59Z)`;
    out.endsAt = formatTime(e);
  }
  if (s !== undefined && e !== undefined && e <= s) return 'endsAt must be after startsAt';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Profile API authentication token
// ---------------------------------------------------------------------------------------------

/** profile_api token lifetime in slate's sample (~90 days). */
const PROFILE_TOKEN_TTL_SEC = 7775999;

function getProfileToken(ctx: AdminContext, scope: string, regenerate: boolean): SandboxResponse {
  const now = ctx.now();
  if (scope !== 'profile_api') {
    return adminError(400, 'Invalid.Parameter', `authorizationScope '${scope}' is not supported by the sandbox (use profile_api)`, now);
  }
  if (regenerate || !ctx.state.profileToken) {
    // Regenerating invalidates the previous token (reference §6).
    ctx.state.profileToken = { accessToken: randomBytes(24).toString('base64url'), createdAt: now };
    ctx.changed();
  }
  const t = ctx.state.profileToken;
  const expiresIn = Math.max(0, PROFILE_TOKEN_TTL_SEC - Math.floor((now - t.createdAt) / 1000));
  return ok({ accessToken: t.accessToken, tokenType: 'bearer', scope: 'profile_api', expiresIn }, 1, regenerate ? 201 : 200);
}
