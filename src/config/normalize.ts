// RawConfig → Config: defaults applied, durations parsed, offer content files read, non-secret
// provider settings interpolated from the environment; credentials stay `${VAR}` templates.
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { registerSecret } from '../model/secrets.js';
import { parseDuration } from './duration.js';
import { toDiagnostic, type Finding } from './findings.js';
import { interpolateWhenSet, parseTemplate } from './interpolate.js';
import { locateNowhere, type Locate, type PathSegment } from './positions.js';
import type {
  ActivityDef,
  AdobeTargetProvider,
  AudienceDef,
  Condition,
  ConditionOp,
  Config,
  CustomerioProvider,
  Duration,
  ExperienceDef,
  Interpolated,
  OfferDef,
  RawAdobeTargetProvider,
  RawConfig,
  RawCustomerioProvider,
  SegmentDef,
} from './types.js';

/** Largest offer content accepted from a file; offers are HTML snippets, not pages. */
export const MAX_CONTENT_BYTES = 1024 * 1024;

export const DEFAULTS = {
  maxLatency: '30m',
  sizeSwingPct: 50,
  customerioRateLimit: 10,
  adobeTargetRateLimit: 5,
  adminUrl: 'https://mc.adobe.io',
  imsUrl: 'https://ims-na1.adobelogin.com',
} as const;

const CUSTOMERIO_URLS = {
  us: { app: 'https://api.customer.io', track: 'https://track.customer.io' },
  eu: { app: 'https://api-eu.customer.io', track: 'https://track-eu.customer.io' },
} as const;

const CONDITION_OPS: ConditionOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains'];

export interface ContentFileReader {
  /** Reads a text file; throws a NodeJS error (ENOENT, EISDIR…) when it cannot. */
  (absolutePath: string): Promise<{ text: string; bytes: number }>;
}

export interface NormalizeOptions {
  file: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  readContentFile: ContentFileReader;
  locate?: Locate;
  positions?: Record<string, { line: number; column: number }>;
}

/** Builds the normalized config; problems found on the way (missing content file, bad `${…}`) are diagnostics. */
export async function normalizeConfig(
  raw: RawConfig,
  opts: NormalizeOptions,
): Promise<{ config: Config; diagnostics: Diagnostic[] }> {
  const locate = opts.locate ?? locateNowhere;
  const diagnostics: Diagnostic[] = [];
  const report = (rule: string, finding: Finding) => diagnostics.push(toDiagnostic(rule, 'error', finding, opts.file, locate));

  const duration = (text: string | undefined, at: PathSegment[]): Duration | undefined => {
    if (text === undefined) return undefined;
    const d = parseDuration(text);
    if (!d) report('semantic', { path: at, message: `\`${text}\` is not a duration. Write a positive whole number and a unit: 30m, 4h, 21d, 1w.` });
    return d;
  };

  const credential = (text: string | undefined, at: PathSegment[]): Interpolated | undefined => {
    if (text === undefined) return undefined;
    const { value, problems } = parseTemplate(text);
    for (const p of problems) report('semantic', { path: at, message: `${capitalize(p.reason)}.` });
    // A literal credential is flagged by AUD010; registering it keeps it out of every output.
    if (value.vars.length === 0) registerSecret(text);
    const pos = locate(at);
    return { ...value, at: { line: pos.line, column: pos.column } };
  };

  const setting = (text: string | undefined, at: PathSegment[]): string | undefined => {
    if (text === undefined) return undefined;
    for (const p of parseTemplate(text).problems) report('semantic', { path: at, message: `${capitalize(p.reason)}.` });
    return interpolateWhenSet(text, opts.env);
  };

  const providers: Config['providers'] = {};
  if (raw.providers?.customerio) providers.customerio = normalizeCustomerio(raw.providers.customerio, credential, setting);
  if (raw.providers?.adobe_target) providers.adobe_target = normalizeAdobeTarget(raw.providers.adobe_target, credential, setting);

  const segments: Record<string, SegmentDef> = {};
  for (const [key, s] of Object.entries(raw.segments ?? {})) {
    segments[key] = {
      key,
      name: s.name ?? '',
      type: s.type,
      ...(s.id !== undefined ? { id: s.id } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.window !== undefined ? { window: duration(s.window, ['segments', key, 'window']) } : {}),
      ...(s.entry !== undefined ? { entry: s.entry } : {}),
      ...(s.exit !== undefined ? { exit: s.exit } : {}),
      ...(s.incentive ? { incentive: { ...s.incentive } } : {}),
      previous_keys: [...(s.previous_keys ?? [])],
    };
    if (segments[key].window === undefined) delete segments[key].window;
  }

  const audiences: Record<string, AudienceDef> = {};
  for (const [key, a] of Object.entries(raw.audiences ?? {})) {
    audiences[key] = {
      key,
      name: a.name,
      segment: a.segment,
      ...(a.description !== undefined ? { description: a.description } : {}),
      where: (a.where ?? []).map(normalizeCondition),
      previous_keys: [...(a.previous_keys ?? [])],
    };
  }

  const offers: Record<string, OfferDef> = {};
  for (const [key, o] of Object.entries(raw.offers ?? {})) {
    let content = o.content ?? '';
    // With both given, the semantic check reports the conflict; reading the file would add noise.
    if (o.content_file !== undefined && o.content === undefined) {
      const read = await readOfferContent(o.content_file, opts);
      if ('problem' in read) report('semantic', { path: ['offers', key, 'content_file'], message: read.problem });
      else content = read.text;
    }
    offers[key] = {
      key,
      name: o.name,
      content,
      ...(o.content_file !== undefined ? { content_file: o.content_file } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      previous_keys: [...(o.previous_keys ?? [])],
    };
  }

  const activities: Record<string, ActivityDef> = {};
  for (const [key, a] of Object.entries(raw.activities ?? {})) {
    const experiences: ExperienceDef[] = (a.experiences ?? []).map((e, i) => {
      const lasts = duration(e.lasts, ['activities', key, 'experiences', i, 'lasts']);
      return {
        ...(e.audience !== undefined ? { audience: e.audience } : {}),
        offer: e.offer,
        ...(lasts ? { lasts } : {}),
        name: e.name ?? defaultExperienceName(e.audience, audiences, a.type, i),
        ...(e.percent !== undefined ? { percent: e.percent } : {}),
      };
    });
    activities[key] = {
      key,
      name: a.name,
      type: a.type,
      location: a.location,
      priority: a.priority ?? 'auto',
      state: a.state ?? 'saved',
      ...(a.holdout !== undefined ? { holdout: a.holdout } : {}),
      ...(a.starts_at !== undefined ? { starts_at: a.starts_at } : {}),
      ...(a.ends_at !== undefined ? { ends_at: a.ends_at } : {}),
      experiences,
      incentive: { owner: a.incentive?.owner ?? 'none', discount_pct: a.incentive?.discount_pct ?? 0 },
      previous_keys: [...(a.previous_keys ?? [])],
    };
  }

  const config: Config = {
    version: 1,
    workspace: raw.workspace,
    source: { file: opts.file, dir: opts.dir, ...(opts.positions ? { positions: opts.positions } : {}) },
    providers,
    identity: {
      customerio: raw.identity?.customerio ?? 'id',
      target: raw.identity?.target ?? 'thirdPartyId',
      hash: raw.identity?.hash ?? 'none',
    },
    sync: {
      max_latency:
        duration(raw.sync?.max_latency, ['sync', 'max_latency']) ?? (parseDuration(DEFAULTS.maxLatency) as Duration),
      size_swing_pct: raw.sync?.size_swing_pct ?? DEFAULTS.sizeSwingPct,
    },
    fields: Object.fromEntries(
      Object.entries(raw.fields ?? {}).map(([key, f]) => [
        key,
        { key, type: f.type, ...(f.description !== undefined ? { description: f.description } : {}) },
      ]),
    ),
    segments,
    audiences,
    precedence: [...(raw.precedence ?? [])],
    holdouts: Object.fromEntries(
      Object.entries(raw.holdouts ?? {}).map(([key, h]) => [
        key,
        {
          key,
          percent: h.percent,
          salt: h.salt,
          writeback: h.writeback ?? false,
          ...(h.description !== undefined ? { description: h.description } : {}),
        },
      ]),
    ),
    cooldowns: Object.fromEntries(
      Object.entries(raw.cooldowns ?? {}).map(([key, c]) => [
        key,
        { key, segment: c.segment, suppress: [...c.suppress], ...(c.description !== undefined ? { description: c.description } : {}) },
      ]),
    ),
    offers,
    activities,
    moved: collectMoves(raw),
  };
  return { config, diagnostics };
}

function normalizeCustomerio(
  p: RawCustomerioProvider,
  credential: (t: string | undefined, at: PathSegment[]) => Interpolated | undefined,
  setting: (t: string | undefined, at: PathSegment[]) => string | undefined,
): CustomerioProvider {
  const at = (k: string): PathSegment[] => ['providers', 'customerio', k];
  const region = p.region ?? 'us';
  const out: CustomerioProvider = {
    region,
    app_url: stripSlash(setting(p.app_url, at('app_url')) ?? CUSTOMERIO_URLS[region].app),
    track_url: stripSlash(setting(p.track_url, at('track_url')) ?? CUSTOMERIO_URLS[region].track),
    rate_limit: p.rate_limit ?? DEFAULTS.customerioRateLimit,
  };
  const app = credential(p.app_api_key, at('app_api_key'));
  const site = credential(p.site_id, at('site_id'));
  const track = credential(p.track_api_key, at('track_api_key'));
  if (app) out.app_api_key = app;
  if (site) out.site_id = site;
  if (track) out.track_api_key = track;
  return out;
}

function normalizeAdobeTarget(
  p: RawAdobeTargetProvider,
  credential: (t: string | undefined, at: PathSegment[]) => Interpolated | undefined,
  setting: (t: string | undefined, at: PathSegment[]) => string | undefined,
): AdobeTargetProvider {
  const at = (k: string): PathSegment[] => ['providers', 'adobe_target', k];
  const clientCode = setting(p.client_code, at('client_code')) as string;
  const out: AdobeTargetProvider = {
    tenant: setting(p.tenant, at('tenant')) as string,
    client_code: clientCode,
    admin_url: stripSlash(setting(p.admin_url, at('admin_url')) ?? DEFAULTS.adminUrl),
    edge_url: stripSlash(setting(p.edge_url, at('edge_url')) ?? `https://${clientCode}.tt.omtrdc.net`),
    ims_url: stripSlash(setting(p.ims_url, at('ims_url')) ?? DEFAULTS.imsUrl),
    rate_limit: p.rate_limit ?? DEFAULTS.adobeTargetRateLimit,
  };
  const workspace = setting(p.workspace, at('workspace'));
  if (workspace !== undefined) out.workspace = workspace;
  const id = credential(p.client_id, at('client_id'));
  const secret = credential(p.client_secret, at('client_secret'));
  const token = credential(p.profile_token, at('profile_token'));
  if (id) out.client_id = id;
  if (secret) out.client_secret = secret;
  if (token) out.profile_token = token;
  return out;
}

function normalizeCondition(c: Record<string, unknown>): Condition {
  const op = CONDITION_OPS.find((o) => o in c) as ConditionOp;
  return { field: String(c.field), op, value: c[op] as Condition['value'] };
}

function defaultExperienceName(
  audience: string | undefined,
  audiences: Record<string, AudienceDef>,
  type: 'xt' | 'ab',
  index: number,
): string {
  if (audience !== undefined) return Object.hasOwn(audiences, audience) ? audiences[audience].name : audience;
  return type === 'ab' ? `Experience ${String.fromCharCode(65 + (index % 26))}` : 'Everyone else';
}

/** Explicit `moved` entries plus every object's previous_keys, without repeats. */
function collectMoves(raw: RawConfig): Array<{ from: string; to: string }> {
  const moves: Array<{ from: string; to: string }> = (raw.moved ?? []).map((m) => ({ from: m.from, to: m.to }));
  const sections = ['segments', 'audiences', 'offers', 'activities'] as const;
  for (const section of sections) {
    for (const [key, obj] of Object.entries((raw[section] ?? {}) as Record<string, { previous_keys?: string[] }>)) {
      for (const old of obj.previous_keys ?? []) moves.push({ from: `${section}.${old}`, to: `${section}.${key}` });
    }
  }
  const seen = new Set<string>();
  return moves.filter((m) => {
    const id = `${m.from}>${m.to}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

async function readOfferContent(
  contentFile: string,
  opts: NormalizeOptions,
): Promise<{ text: string } | { problem: string }> {
  if (path.isAbsolute(contentFile)) {
    return { problem: `content_file \`${contentFile}\` is absolute. Write a path relative to the config's folder, e.g. offers/cart-resume.html.` };
  }
  const absolute = path.resolve(opts.dir, contentFile);
  const relative = path.relative(opts.dir, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return { problem: `content_file \`${contentFile}\` points outside the config's folder. Keep offer files beside the config (e.g. offers/…).` };
  }
  try {
    const { text, bytes } = await opts.readContentFile(absolute);
    if (bytes > MAX_CONTENT_BYTES) {
      return { problem: `content_file \`${contentFile}\` is over 1 MB. An offer is an HTML snippet: trim it or host large assets elsewhere.` };
    }
    return { text };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { problem: `content_file \`${contentFile}\` does not exist (looked in ${opts.dir}). Create the file or fix the path; it is relative to the config's folder.` };
    }
    if (code === 'EISDIR') return { problem: `content_file \`${contentFile}\` is a directory. Point it at an HTML file.` };
    if (code === 'EBINARY') return { problem: `content_file \`${contentFile}\` is not UTF-8 text. Offers must be HTML text files.` };
    return { problem: `content_file \`${contentFile}\` cannot be read (${code ?? 'I/O error'}). Check the file and its permissions.` };
  }
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
