// The two shapes of the contract: the config as written in audiences.yaml (RawConfig) and the
// normalized config every command works on (Config: defaults applied, durations parsed, references
// resolved, content files read, non-secret env interpolated).

// ---------------------------------------------------------------------------------------------
// As written (after YAML parsing and schema validation; before normalization).
// ---------------------------------------------------------------------------------------------

export interface RawConfig {
  version: 1;
  workspace: string;
  providers?: { customerio?: RawCustomerioProvider; adobe_target?: RawAdobeTargetProvider };
  identity?: { customerio?: 'id' | 'email' | 'cio_id'; target?: 'thirdPartyId'; hash?: 'none' | 'sha256' };
  sync?: { max_latency?: string; size_swing_pct?: number };
  fields?: Record<string, { type: FieldType; description?: string }>;
  segments?: Record<string, RawSegment>;
  audiences?: Record<string, RawAudience>;
  precedence?: string[];
  holdouts?: Record<string, { percent: number; salt: string; writeback?: boolean; description?: string }>;
  cooldowns?: Record<string, { segment: string; suppress: string[]; description?: string }>;
  offers?: Record<string, RawOffer>;
  activities?: Record<string, RawActivity>;
  moved?: Array<{ from: string; to: string }>;
}

export interface RawCustomerioProvider {
  region?: 'us' | 'eu';
  app_api_key?: string;
  site_id?: string;
  track_api_key?: string;
  app_url?: string;
  track_url?: string;
  rate_limit?: number;
}

export interface RawAdobeTargetProvider {
  tenant: string;
  client_code: string;
  client_id?: string;
  client_secret?: string;
  workspace?: string;
  profile_token?: string;
  admin_url?: string;
  edge_url?: string;
  ims_url?: string;
  rate_limit?: number;
}

export type FieldType = 'string' | 'number' | 'integer' | 'boolean';

export interface RawSegment {
  /** Required for manual segments; a data-driven segment needs `name` or `id`. */
  name?: string;
  type: 'data_driven' | 'manual';
  id?: number;
  description?: string;
  window?: string;
  entry?: string;
  exit?: string;
  incentive?: { discount_pct: number; channel?: string };
  previous_keys?: string[];
}

export type ConditionOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains';

/** `{ field: lifetime_value, gt: 80 }`: a field plus exactly one operator key. */
export type RawCondition = { field: string } & Partial<Record<ConditionOp, unknown>>;

export interface RawAudience {
  name: string;
  segment: string;
  description?: string;
  where?: RawCondition[];
  previous_keys?: string[];
}

export interface RawOffer {
  name: string;
  content?: string;
  content_file?: string;
  description?: string;
  previous_keys?: string[];
}

export interface RawExperience {
  audience?: string;
  offer: string;
  lasts?: string;
  name?: string;
  percent?: number;
}

export interface RawActivity {
  name: string;
  type: 'xt' | 'ab';
  location: string;
  priority?: 'auto' | number;
  state?: 'approved' | 'saved';
  holdout?: string;
  starts_at?: string;
  ends_at?: string;
  experiences: RawExperience[];
  incentive?: { owner: 'target' | 'customerio' | 'none'; discount_pct?: number };
  previous_keys?: string[];
}

// ---------------------------------------------------------------------------------------------
// Normalized. Records keep declaration order (JS insertion order); every object knows its key.
// ---------------------------------------------------------------------------------------------

/** A duration as written and in milliseconds. */
export interface Duration {
  text: string;
  ms: number;
}

/**
 * A provider setting that may hold `${VAR}` references. Credentials are resolved only by a command
 * that needs the provider (resolveProviders), so `validate` needs no secrets.
 */
export interface Interpolated {
  /** The value as written, e.g. "${CUSTOMERIO_APP_API_KEY}" or a literal. */
  template: string;
  /** Names of the variables it references (empty for a literal). */
  vars: string[];
  /** Where it is written in the config (1-based), for messages about missing variables. */
  at?: { line: number; column: number };
}

export interface CustomerioProvider {
  region: 'us' | 'eu';
  app_api_key?: Interpolated;
  site_id?: Interpolated;
  track_api_key?: Interpolated;
  /** Base URL without the /v1 suffix; defaults from region (https://api.customer.io, https://api-eu.customer.io). */
  app_url: string;
  /** Base URL without /api/v1; defaults from region (https://track.customer.io, https://track-eu.customer.io). */
  track_url: string;
  /** App API requests per second (documented limit: 10). */
  rate_limit: number;
}

export interface AdobeTargetProvider {
  tenant: string;
  client_code: string;
  client_id?: Interpolated;
  client_secret?: Interpolated;
  workspace?: string;
  profile_token?: Interpolated;
  /** https://mc.adobe.io by default; the client appends /{tenant}/target/... */
  admin_url: string;
  /** https://{client_code}.tt.omtrdc.net by default; the client appends /m2/{client_code}/..., /rest/v1/... */
  edge_url: string;
  /** https://ims-na1.adobelogin.com by default; the client appends /ims/token/v3 */
  ims_url: string;
  /** Admin API requests per second (no documented limit; default 5). */
  rate_limit: number;
}

/** Provider settings with every credential resolved to a concrete string (and registered as secret). */
export interface ResolvedCustomerio extends Omit<CustomerioProvider, 'app_api_key' | 'site_id' | 'track_api_key'> {
  app_api_key: string;
  site_id?: string;
  track_api_key?: string;
}
export interface ResolvedAdobeTarget
  extends Omit<AdobeTargetProvider, 'client_id' | 'client_secret' | 'profile_token'> {
  client_id: string;
  client_secret: string;
  profile_token?: string;
}

export interface FieldDef {
  key: string;
  type: FieldType;
  description?: string;
}

export interface SegmentDef {
  key: string;
  /** Exact Customer.io name; '' only for a data-driven segment declared by `id` alone. */
  name: string;
  type: 'data_driven' | 'manual';
  id?: number;
  description?: string;
  window?: Duration;
  entry?: string;
  exit?: string;
  /** What the messages promise to people in this segment. */
  incentive?: { discount_pct: number; channel?: string };
  previous_keys: string[];
}

export interface Condition {
  field: string;
  op: ConditionOp;
  /** Scalar for every op but `in`, which carries a list. */
  value: string | number | boolean | Array<string | number | boolean>;
}

export interface AudienceDef {
  key: string;
  name: string;
  segment: string;
  description?: string;
  where: Condition[];
  previous_keys: string[];
}

export interface HoldoutDef {
  key: string;
  percent: number;
  salt: string;
  /** Also write the assignment back to Customer.io as a person attribute. */
  writeback: boolean;
  description?: string;
}

export interface CooldownDef {
  key: string;
  segment: string;
  /** Activity keys suppressed for people in `segment`. */
  suppress: string[];
  description?: string;
}

export interface OfferDef {
  key: string;
  name: string;
  /** The HTML content, read from content_file when one is given. */
  content: string;
  /** As written, relative to the config's folder. */
  content_file?: string;
  description?: string;
  previous_keys: string[];
}

export interface ExperienceDef {
  /** Undefined: everyone else (the fallback experience). */
  audience?: string;
  offer: string;
  lasts?: Duration;
  name: string;
  /** AB split share, 0-100. */
  percent?: number;
}

export interface ActivityDef {
  key: string;
  name: string;
  type: 'xt' | 'ab';
  location: string;
  priority: 'auto' | number;
  state: 'approved' | 'saved';
  holdout?: string;
  starts_at?: string;
  ends_at?: string;
  experiences: ExperienceDef[];
  incentive: { owner: 'target' | 'customerio' | 'none'; discount_pct: number };
  previous_keys: string[];
}

export interface Config {
  version: 1;
  workspace: string;
  /** Where the config came from: relative paths resolve against `dir`. */
  source: {
    file: string;
    dir: string;
    /**
     * 1-based position of every node, by dotted YAML path (`activities.homepage_hero.location`),
     * so later stages (plan, sync) can point at the line that caused a problem.
     */
    positions?: Record<string, { line: number; column: number }>;
  };
  providers: { customerio?: CustomerioProvider; adobe_target?: AdobeTargetProvider };
  identity: { customerio: 'id' | 'email' | 'cio_id'; target: 'thirdPartyId'; hash: 'none' | 'sha256' };
  sync: { max_latency: Duration; size_swing_pct: number };
  fields: Record<string, FieldDef>;
  segments: Record<string, SegmentDef>;
  audiences: Record<string, AudienceDef>;
  precedence: string[];
  holdouts: Record<string, HoldoutDef>;
  cooldowns: Record<string, CooldownDef>;
  offers: Record<string, OfferDef>;
  activities: Record<string, ActivityDef>;
  /** Renames: `{ from: "offers.old_key", to: "offers.new_key" }`, merged with each object's previous_keys. */
  moved: Array<{ from: string; to: string }>;
}
