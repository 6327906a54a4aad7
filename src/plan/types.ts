// The plan's data model: platform objects as plain Resources, the Changes between desired and
// existing, and the Plan every renderer reads. Plain, JSON-serializable data only.

export type PlatformName = 'customerio' | 'adobe_target';
export type ResourceKind = 'segment' | 'audience' | 'offer' | 'activity';
export type Action = 'create' | 'update' | 'delete' | 'replace' | 'manual';

export const PLATFORMS: readonly PlatformName[] = ['customerio', 'adobe_target'];
export const ACTIONS: readonly Action[] = ['create', 'update', 'delete', 'replace', 'manual'];

/** Human names of the platforms, for renderers and messages. */
export const PLATFORM_TITLES: Record<PlatformName, string> = {
  customerio: 'Customer.io',
  adobe_target: 'Adobe Target',
};

/**
 * Dependency rank of a kind: lower ranks are created/updated first and deleted last. Segments,
 * audiences and offers must exist before the activities that reference them.
 */
export const KIND_RANK: Record<ResourceKind, number> = { segment: 0, audience: 1, offer: 1, activity: 2 };

/** A JSON value as it may appear in attrs. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Attrs = { [key: string]: JsonValue };

/** One platform object, desired (compiled from the config) or existing (read from the platform). */
export interface Resource {
  platform: PlatformName;
  kind: ResourceKind;
  /** The YAML key (desired; or read back from the ownership marker), `#<id>` for unowned objects. */
  key: string;
  /** `<platform>.<kind>.<key>`, e.g. `adobe_target.audience.vip`. */
  address: string;
  /** Server id. Rides along to address the object; never decides equality. */
  id?: string | number;
  /** Canonical comparable fields (see canonicalize.ts for each kind's shape). */
  attrs: Attrs;
  /**
   * The tool creates, updates and deletes it. False for read-only references (Customer.io
   * data-driven segments): those only ever yield 'manual' changes.
   */
  managed: boolean;
  /** Carries this workspace's ownership marker (existing) / is declared by the config (desired). */
  owned: boolean;
  /** Keys this object was known by before (previous_keys and `moved:`), desired side only. */
  previousKeys?: string[];
  /** Addresses of the resources this one references (activity → audiences, offers). */
  refs?: string[];
  /** Non-compared facts: size, state, modifiedAt, owner workspace, holdout, … */
  meta: Record<string, JsonValue | undefined>;
}

export interface FieldChange {
  /** Dotted path into attrs, with [i] for list items: `experiences[0].offer`, `key`. */
  path: string;
  before: JsonValue | undefined;
  after: JsonValue | undefined;
}

export interface Change {
  address: string;
  platform: PlatformName;
  kind: ResourceKind;
  key: string;
  action: Action;
  /** Server id of the existing object the change acts on (update, delete, replace). */
  id?: string | number;
  /** Key the existing object carries today, when the change renames it (previous_keys / moved). */
  previousKey?: string;
  /** Canonical attrs before (null on create) and after (null on delete). */
  before: Attrs | null;
  after: Attrs | null;
  fields: FieldChange[];
  /** Why: the replace cause, the manual action to take, the rename. */
  reason?: string;
  /** Loses data that cannot be recovered (segment membership). Guarded. */
  destructive?: boolean;
  /** Addresses of changes in the same plan that must succeed first. */
  dependsOn: string[];
}

export interface PlanWarning {
  /** Stable code: `name_collision`, `unowned_reference`, `foreign_owner`… */
  code: string;
  address?: string;
  message: string;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  replace: number;
  manual: number;
}

/** A read-only reference (Customer.io data-driven segment) as found on the platform. */
export interface PlanReference {
  address: string;
  key: string;
  /** Server id found (undefined when missing). */
  id?: string | number;
  /** The name on the platform ('' when missing). */
  name: string;
  /** Platform state (Customer.io: events, build, finished…) and member count, when read. */
  state?: string | null;
  size?: number | null;
  /** ok: exists, data-driven, declared name; otherwise a 'manual' change says what to do. */
  status: 'ok' | 'manual';
}

export interface Plan {
  format_version: string;
  changes: Change[];
  warnings: PlanWarning[];
  summary: PlanSummary;
  /** sha256 (hex) of the canonical JSON of `changes`. */
  checksum: string;
  /** Read-only references checked by the plan (not part of the checksum: they never change). */
  references?: PlanReference[];
}

export const PLAN_FORMAT_VERSION = '1.0';

export function addressOf(platform: PlatformName, kind: ResourceKind, key: string): string {
  return `${platform}.${kind}.${key}`;
}
