// The Customer.io provider: populate reads every segment (and the sizes of the ones the config names); apply creates, deletes and replaces manual segments.
import type { Change, Resource, ResourceKind } from '../../plan/types.js';
import { settleChange, type ApplyResult, type Provider, type ProviderContext } from '../types.js';
import type { CustomerioClient } from './client.js';
import { fromCioSegment, toCioSegmentBody } from './convert.js';

export interface CustomerioProviderOptions {
  client: CustomerioClient;
  /**
   * The segments the config declares (data-driven ones by id and/or name): their customer_count is
   * read during populate, for the plan's "state and size" and drift's size check. Others are not
   * counted (one extra call per segment under a 10 requests/s limit).
   */
  declared: Array<{ key: string; name: string; id?: number }>;
}

export const CUSTOMERIO_LIMITATIONS = [
  'Segments have no update endpoint: a manual segment whose name or description changes is deleted and recreated, losing its membership until sync refills it.',
  'Data-driven segments cannot be created or edited by API: they are read-only references; differences are reported as manual actions.',
  'Segment sizes (customer_count) cost one App API call each, so only declared and owned segments are counted.',
] as const;

export class CustomerioProvider implements Provider {
  readonly platform = 'customerio' as const;
  readonly kinds: readonly ResourceKind[] = ['segment'];
  readonly limitations = CUSTOMERIO_LIMITATIONS;
  private readonly opts: CustomerioProviderOptions;

  constructor(opts: CustomerioProviderOptions) {
    this.opts = opts;
  }

  /**
   * Every segment as a Resource: manual ones with this workspace's marker are owned; the rest are
   * references and collision candidates. Sizes (meta.size) of owned and declared segments are read
   * concurrently; the client paces them within the App API's rate limit.
   */
  async populate(ctx: ProviderContext): Promise<Resource[]> {
    const { client, declared } = this.opts;
    const segments = await client.listSegments();
    const ids = new Set(declared.flatMap((d) => (d.id !== undefined ? [d.id] : [])));
    const names = new Set(declared.filter((d) => d.id === undefined && d.name !== '').map((d) => d.name));
    return Promise.all(
      segments.map(async (s) => {
        const owned = fromCioSegment(s, ctx.workspace).owned;
        if (!owned && !ids.has(s.id) && !names.has(s.name)) return fromCioSegment(s, ctx.workspace);
        return fromCioSegment(s, ctx.workspace, await client.getSegmentCount(s.id));
      }),
    );
  }

  /** Performs one change; resolves with "failed" (never throws) on a platform error. */
  apply(change: Change, ctx: ProviderContext): Promise<ApplyResult> {
    return settleChange(change, () => this.perform(change, ctx));
  }

  private async perform(change: Change, ctx: ProviderContext): Promise<number | undefined> {
    if (change.kind !== 'segment') throw new Error(`Customer.io has no ${change.kind} objects; ${change.address} cannot be applied here`);
    const type = (change.after ?? change.before)?.type;
    if (change.action === 'manual' || type === 'dynamic') {
      throw new Error(`${change.address} is a data-driven segment: audiences never writes it (${change.reason ?? 'manual action required'})`);
    }
    switch (change.action) {
      case 'create':
        return this.create(change, ctx);
      case 'delete':
        await this.delete(change);
        return undefined;
      case 'replace':
        // No update endpoint: delete, then create. If the create fails, the next plan creates it;
        // the membership is lost either way (the plan marks this change destructive and guarded).
        await this.delete(change);
        return this.create(change, ctx);
      case 'update':
        throw new Error(`Customer.io has no segment update API; ${change.address} can only change by a replace (run \`audiences plan\` again)`);
    }
  }

  /**
   * Creates the manual segment. The plan was read just before this apply, so one carrying our marker
   * for this key would have been planned as kept; an ambiguous create is resolved by the client's
   * lookup by name, so a retry never makes a duplicate.
   */
  private async create(change: Change, ctx: ProviderContext): Promise<number> {
    const resource: Resource = {
      platform: 'customerio',
      kind: 'segment',
      key: change.key,
      address: change.address,
      attrs: change.after ?? {},
      managed: true,
      owned: true,
      meta: {},
    };
    const body = toCioSegmentBody(resource, ctx.workspace).segment;
    return (await this.opts.client.createManualSegment(body)).id;
  }

  private async delete(change: Change): Promise<void> {
    const id = Number(change.id);
    if (!Number.isInteger(id)) throw new Error(`${change.address} has no Customer.io segment id to delete`);
    // Already gone (deleted by hand, or a retried delete) is the outcome we wanted.
    await this.opts.client.deleteSegment(id);
  }
}
