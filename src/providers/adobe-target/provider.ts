// The Adobe Target provider: populate reads audiences, content offers and ab/xt activities (full bodies where needed); apply creates, updates, deletes and replaces them.
import type { ResolvedAdobeTarget } from '../../config/types.js';
import type { HttpClientOptions } from '../../http/types.js';
import { parseMarker, parseThirdPartyId } from '../../plan/marker.js';
import { addressOf, type Change, type Resource, type ResourceKind } from '../../plan/types.js';
import { settleChange, type ApplyResult, type Provider, type ProviderContext } from '../types.js';
import { AdobeTargetClient, type ActivityInput, type ActivityType, type AudienceInput } from './client.js';
import {
  fromTargetActivity,
  fromTargetAudience,
  fromTargetOffer,
  keyIndex,
  toTargetActivityBody,
  toTargetAudienceBody,
  toTargetOfferBody,
  type IdIndex,
  type TargetActivity as ConvertActivity,
  type TargetAudience as ConvertAudience,
  type TargetContentOffer as ConvertOffer,
} from './convert.js';

export interface AdobeTargetProviderOptions {
  client: AdobeTargetClient;
  /** Target's own workspace id (providers.adobe_target.workspace), written on every create. */
  targetWorkspace?: string;
}

export const ADOBE_TARGET_LIMITATIONS = [
  'List endpoints omit audience rules, offer content and activity experiences, so populate reads each owned object (and every content offer, whose ownership marker lives in its content) one by one.',
  'Content offers have no description: the ownership marker rides in a trailing HTML comment of the content.',
  'Only ab and xt activities are managed; other activity types are read for nothing and left alone.',
  'An activity whose type changes (ab ↔ xt) is deleted and recreated: Target has a separate endpoint per type.',
] as const;

/** Builds the provider and its client from resolved settings (what the CLI session uses). */
export function createAdobeTargetProvider(opts: {
  provider: ResolvedAdobeTarget;
  http?: Partial<Pick<HttpClientOptions, 'retry' | 'sleep' | 'onAttempt' | 'timeoutMs' | 'concurrency'>>;
}): AdobeTargetProvider {
  return new AdobeTargetProvider({
    client: new AdobeTargetClient({ provider: opts.provider, http: opts.http }),
    targetWorkspace: opts.provider.workspace,
  });
}

export class AdobeTargetProvider implements Provider {
  readonly platform = 'adobe_target' as const;
  readonly kinds: readonly ResourceKind[] = ['audience', 'offer', 'activity'];
  readonly limitations = ADOBE_TARGET_LIMITATIONS;
  private readonly client: AdobeTargetClient;
  private readonly targetWorkspace?: string;

  constructor(opts: AdobeTargetProviderOptions) {
    this.client = opts.client;
    this.targetWorkspace = opts.targetWorkspace;
  }

  /**
   * Lists the three kinds at once, then reads full bodies concurrently (the admin client paces
   * them within its rate limit): owned audiences (their rule), every content offer (the marker
   * lives in the content), owned activities, and approved unowned ones (they may use our audiences,
   * which the live-dependency guard must know).
   */
  async populate(ctx: ProviderContext): Promise<Resource[]> {
    const { workspace } = ctx;
    const [audiences, offers, activities] = await Promise.all([
      this.client.listAudiences(),
      this.client.listOffers(),
      this.client.listActivities(),
    ]);
    const [fullAudiences, fullOffers, fullActivities] = await Promise.all([
      Promise.all(
        audiences.map(async (a) => {
          if (ctx.detail !== 'all' && parseMarker(a.description)?.workspace !== workspace) return a as ConvertAudience;
          return ((await this.client.getAudience(a.id)) ?? { ...a, status: 'deleted' }) as ConvertAudience;
        }),
      ),
      Promise.all(
        offers
          .filter((o) => o.type === 'content')
          .map(async (o) => ((await this.client.getContentOffer(o.id)) ?? undefined) as ConvertOffer | undefined),
      ),
      Promise.all(
        activities
          .filter((a) => (a.type === 'ab' || a.type === 'xt') && a.state !== 'deleted')
          .map(async (a) => {
            const type = a.type as ActivityType;
            const owned = parseThirdPartyId(a.thirdPartyId)?.workspace === workspace;
            if (!owned && a.state !== 'approved' && ctx.detail !== 'all') return { body: a as unknown as ConvertActivity, type };
            const full = await this.client.getActivity(type, a.id);
            return full ? { body: full as unknown as ConvertActivity, type } : undefined;
          }),
      ),
    ]);
    const out: Resource[] = [];
    for (const a of fullAudiences) {
      const r = fromTargetAudience(a, workspace);
      if (r) out.push(r);
    }
    for (const o of fullOffers) {
      if (!o) continue; // deleted between the list and the read
      const r = fromTargetOffer({ ...o, type: 'content' }, workspace);
      if (r) out.push(r);
    }
    const index = keyIndex(out);
    for (const a of fullActivities) {
      if (!a) continue;
      const r = fromTargetActivity(a.body, workspace, index, a.type);
      if (r) out.push(r);
    }
    return out;
  }

  /** Performs one change; resolves with "failed" (never throws) on a platform error. */
  apply(change: Change, ctx: ProviderContext): Promise<ApplyResult> {
    return settleChange(change, () => this.perform(change, ctx));
  }

  private async perform(change: Change, ctx: ProviderContext): Promise<number | undefined> {
    switch (change.kind) {
      case 'audience':
        return this.applyAudience(change, ctx);
      case 'offer':
        return this.applyOffer(change, ctx);
      case 'activity':
        return this.applyActivity(change, ctx);
      default:
        throw new Error(`Adobe Target has no ${change.kind} objects; ${change.address} cannot be applied here`);
    }
  }

  // ---- audiences ------------------------------------------------------------------------------

  private async applyAudience(change: Change, ctx: ProviderContext): Promise<number | undefined> {
    const body = () => toTargetAudienceBody(desiredOf(change), ctx.workspace, this.targetWorkspace) as AudienceInput;
    switch (change.action) {
      case 'create':
        // The plan was read just before this apply, so an audience carrying our marker for this key
        // would have been planned as an update; an ambiguous create is resolved by the client's lookup.
        return (await this.client.createAudience(body())).id;
      case 'update':
        return (await this.client.updateAudience(idOf(change), body())).id;
      case 'replace':
        await this.client.deleteAudience(idOf(change));
        return (await this.client.createAudience(body())).id;
      case 'delete':
        await this.client.deleteAudience(idOf(change));
        return undefined;
      case 'manual':
        throw new Error(`${change.address} needs a manual action: ${change.reason ?? ''}`);
    }
  }


  // ---- offers ---------------------------------------------------------------------------------

  private async applyOffer(change: Change, ctx: ProviderContext): Promise<number | undefined> {
    const body = () => toTargetOfferBody(desiredOf(change), ctx.workspace, this.targetWorkspace) as { name: string; content: string; workspace?: string };
    switch (change.action) {
      case 'create':
        return (await this.client.createContentOffer(body())).id;
      case 'update':
        return (await this.client.updateContentOffer(idOf(change), body())).id;
      case 'replace':
        await this.client.deleteContentOffer(idOf(change));
        return (await this.client.createContentOffer(body())).id;
      case 'delete':
        await this.client.deleteContentOffer(idOf(change));
        return undefined;
      case 'manual':
        throw new Error(`${change.address} needs a manual action: ${change.reason ?? ''}`);
    }
  }


  // ---- activities -----------------------------------------------------------------------------

  private async applyActivity(change: Change, ctx: ProviderContext): Promise<number | undefined> {
    const ids: IdIndex = {
      audienceId: (key) => numeric(ctx.ids.idOf(addressOf('adobe_target', 'audience', key))),
      offerId: (key) => numeric(ctx.ids.idOf(addressOf('adobe_target', 'offer', key))),
    };
    const typeAfter = String(change.after?.type ?? 'xt') as ActivityType;
    const typeBefore = String(change.before?.type ?? typeAfter) as ActivityType;
    const body = () => toTargetActivityBody(desiredOf(change), ctx.workspace, ids, this.targetWorkspace) as unknown as ActivityInput;
    switch (change.action) {
      case 'create': {
        const input = body();
        // thirdPartyId is unique in Target: an existing one is ours from an interrupted earlier apply.
        const existing = input.thirdPartyId ? await this.client.findActivityByThirdPartyId(input.thirdPartyId) : undefined;
        if (existing && existing.type === typeAfter) return this.putActivity(typeAfter, existing.id, input);
        if (existing) await this.client.deleteActivity(existing.type as ActivityType, existing.id);
        const created = await this.client.createActivity(typeAfter, input);
        return this.settle(created.id, input, created);
      }
      case 'update':
        return this.putActivity(typeAfter, idOf(change), body());
      case 'replace': {
        const input = body();
        await this.client.deleteActivity(typeBefore, idOf(change));
        const created = await this.client.createActivity(typeAfter, input);
        return this.settle(created.id, input, created);
      }
      case 'delete':
        await this.client.deleteActivity(typeBefore, idOf(change));
        return undefined;
      case 'manual':
        throw new Error(`${change.address} needs a manual action: ${change.reason ?? ''}`);
    }
  }

  private async putActivity(type: ActivityType, id: number, input: ActivityInput): Promise<number> {
    const echoed = await this.client.updateActivity(type, id, input);
    return this.settle(echoed.id, input, echoed);
  }

  /**
   * State and priority have their own v1 endpoints; a full PUT/POST may not honour them on every
   * tenant, so the echo is checked and the setting sent on its own where it differs.
   */
  private async settle(id: number, input: ActivityInput, echoed: { state?: string; priority?: number }): Promise<number> {
    if (input.priority !== undefined && Number(echoed.priority) !== Number(input.priority)) {
      await this.client.setActivityPriority(id, Number(input.priority));
    }
    if (input.state !== undefined && echoed.state !== input.state) {
      await this.client.setActivityState(id, input.state);
    }
    return id;
  }
}

/** The change's desired side as the converters take it. */
function desiredOf(change: Change): Resource {
  return {
    platform: change.platform,
    kind: change.kind,
    key: change.key,
    address: change.address,
    attrs: change.after ?? {},
    managed: true,
    owned: true,
    meta: {},
  };
}

function idOf(change: Change): number {
  const id = numeric(change.id);
  if (id === undefined) throw new Error(`${change.address} has no Adobe Target id to ${change.action}`);
  return id;
}

function numeric(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}
