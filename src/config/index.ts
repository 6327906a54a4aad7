// Public entry of the config layer: load (read → YAML → schema → normalize → semantic → lint),
// check for `validate`, and resolve provider credentials for commands that talk to a platform.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../model/diagnostic.js';
import { ConfigError } from '../model/errors.js';
import { registerSecret } from '../model/secrets.js';
import { toDiagnostic } from './findings.js';
import { interpolateTemplate } from './interpolate.js';
import { parseConfigText, readConfigSource } from './load.js';
import { normalizeConfig, type ContentFileReader } from './normalize.js';
import { collectPositions, createLocator } from './positions.js';
import { runLintRules } from './rules/index.js';
import { validateSchema } from './schema.js';
import { checkSemantics } from './semantic.js';
import type { Config, Interpolated, RawConfig, ResolvedAdobeTarget, ResolvedCustomerio } from './types.js';

export type * from './types.js';
export { parseDuration, formatDuration } from './duration.js';
export { LINT_RULES, CATEGORIES, listRuleInfo, findRuleInfo, formatRuleAnchor, type RuleInfo } from './rules/index.js';

export interface LoadOptions {
  /** Environment for non-secret `${VAR}` settings (default process.env). Credentials are not resolved here. */
  env?: NodeJS.ProcessEnv;
}

export type ProviderName = 'customerio' | 'adobe_target';

export const CONFIG_FILE_NAME = 'audiences.yaml';
export const STATE_DIR_NAME = '.audiences';

/** `./audiences.yaml` in the given folder. */
export function defaultConfigPath(cwd: string = process.cwd()): string {
  return path.join(cwd, CONFIG_FILE_NAME);
}

/** `.audiences/` beside the config: plan files, history and sync state live there. */
export function stateDir(config: Config): string {
  return path.join(config.source.dir, STATE_DIR_NAME);
}

/**
 * Checks a config file and returns every problem found; never throws for config problems.
 * `config` is present when there are no errors (warnings allowed).
 */
export async function checkConfig(
  file: string,
  opts: LoadOptions = {},
): Promise<{ config?: Config; diagnostics: Diagnostic[] }> {
  const env = opts.env ?? process.env;
  const read = await readConfigSource(file);
  if (!read.source) return { diagnostics: read.diagnostics };
  const source = read.source;

  const parsed = parseConfigText(source);
  if (parsed.data === undefined) return { diagnostics: sortDiagnostics(parsed.diagnostics) };
  const locate = createLocator(parsed.doc, parsed.lineCounter);

  const diagnostics = [...parsed.diagnostics, ...validateSchema(parsed.data, file, locate)];
  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };
  const raw = parsed.data as RawConfig;

  const normalized = await normalizeConfig(raw, {
    file,
    dir: source.dir,
    env,
    readContentFile: readTextFile,
    locate,
    positions: collectPositions(parsed.doc, parsed.lineCounter),
  });
  diagnostics.push(...normalized.diagnostics);
  for (const f of checkSemantics(normalized.config, raw)) diagnostics.push(toDiagnostic(f.rule, 'error', f, file, locate));
  diagnostics.push(...runLintRules(normalized.config, file, locate));

  const sorted = sortDiagnostics(diagnostics);
  return hasErrors(sorted) ? { diagnostics: sorted } : { config: normalized.config, diagnostics: sorted };
}

/** Loads a config for a command: throws ConfigError carrying every diagnostic when any is an error. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<{ config: Config; diagnostics: Diagnostic[] }> {
  const { config, diagnostics } = await checkConfig(file, opts);
  if (!config) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    // The file cannot be read at all (missing, a directory, binary, too big): one plain sentence,
    // not "has 1 error" at line 1 and a pointer to `validate`, which would say the same.
    if (errors.length === 1 && errors[0]!.rule === 'input') throw new ConfigError(errors[0]!.message, diagnostics);
    const lines = errors.slice(0, 20).map((d) => `  ${d.file}:${d.line}:${d.column} ${d.rule}: ${d.message}`);
    if (errors.length > 20) lines.push(`  … and ${errors.length - 20} more`);
    throw new ConfigError(
      `${file} has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      diagnostics,
      { hint: `Run \`audiences validate -c ${file}\` for the full report.` },
    );
  }
  return { config, diagnostics };
}

/**
 * Resolves the credentials of the providers a command needs and registers them as secrets.
 * Throws ConfigError naming every missing variable (never a value) with its file:line.
 */
export function resolveProviders(
  config: Config,
  which: ProviderName[],
  env: NodeJS.ProcessEnv = process.env,
): { customerio?: ResolvedCustomerio; adobe_target?: ResolvedAdobeTarget } {
  const file = config.source.file;
  const problems: Diagnostic[] = [];
  const unsetVars: string[] = [];
  const at = (dotted: string, explicit?: { line: number; column: number }) =>
    explicit ?? config.source.positions?.[dotted] ?? config.source.positions?.[dotted.split('.').slice(0, 2).join('.')] ?? { line: 1, column: 1 };
  const missing = (dotted: string, message: string, pos?: { line: number; column: number }) => {
    const { line, column } = at(dotted, pos);
    problems.push({ rule: 'env', severity: 'error', message, path: dotted, file, line, column });
  };

  /** A credential: interpolated, registered as a secret; undefined when not configured or unresolved. */
  const secret = (dotted: string, value: Interpolated | undefined, required: boolean): string | undefined => {
    if (!value) {
      if (required) missing(dotted, `\`${dotted}\` is not set in ${file}. Add it as a \`\${VAR}\` reference (see docs/config.md#providers).`);
      return undefined;
    }
    const { value: resolved, missing: vars } = interpolateTemplate(value.template, env);
    if (vars.length) {
      unsetVars.push(...vars);
      missing(dotted, `${describeVars(vars)} not set (needed by \`${dotted}\`). Set ${vars.length === 1 ? 'it' : 'them'} in the environment or your CI secrets.`, value.at);
      return undefined;
    }
    registerSecret(resolved);
    return resolved;
  };
  /** A non-secret setting that may still hold a `${VAR}` the load-time environment lacked. */
  const plain = (dotted: string, text: string): string => {
    const { value, missing: vars } = interpolateTemplate(text, env);
    if (vars.length) {
      unsetVars.push(...vars);
      missing(dotted, `${describeVars(vars)} not set (needed by \`${dotted}\`). Set ${vars.length === 1 ? 'it' : 'them'} in the environment.`);
    }
    return value;
  };

  const out: { customerio?: ResolvedCustomerio; adobe_target?: ResolvedAdobeTarget } = {};
  if (which.includes('customerio')) {
    const p = config.providers.customerio;
    if (!p) missing('providers.customerio', `${file} has no \`providers.customerio\` section. Add one with \`region\` and \`app_api_key: \${CUSTOMERIO_APP_API_KEY}\` (see docs/config.md#providers).`);
    else {
      const appKey = secret('providers.customerio.app_api_key', p.app_api_key, true);
      const siteId = secret('providers.customerio.site_id', p.site_id, false);
      const trackKey = secret('providers.customerio.track_api_key', p.track_api_key, false);
      const resolved: ResolvedCustomerio = {
        region: p.region,
        app_api_key: appKey ?? '',
        app_url: plain('providers.customerio.app_url', p.app_url),
        track_url: plain('providers.customerio.track_url', p.track_url),
        rate_limit: p.rate_limit,
      };
      if (siteId !== undefined) resolved.site_id = siteId;
      if (trackKey !== undefined) resolved.track_api_key = trackKey;
      out.customerio = resolved;
    }
  }
  if (which.includes('adobe_target')) {
    const p = config.providers.adobe_target;
    if (!p) missing('providers.adobe_target', `${file} has no \`providers.adobe_target\` section. Add one with \`tenant\`, \`client_code\`, \`client_id\` and \`client_secret\` (see docs/config.md#providers).`);
    else {
      const clientId = secret('providers.adobe_target.client_id', p.client_id, true);
      const clientSecret = secret('providers.adobe_target.client_secret', p.client_secret, true);
      const profileToken = secret('providers.adobe_target.profile_token', p.profile_token, false);
      const resolved: ResolvedAdobeTarget = {
        tenant: plain('providers.adobe_target.tenant', p.tenant),
        client_code: plain('providers.adobe_target.client_code', p.client_code),
        client_id: clientId ?? '',
        client_secret: clientSecret ?? '',
        admin_url: plain('providers.adobe_target.admin_url', p.admin_url),
        edge_url: plain('providers.adobe_target.edge_url', p.edge_url),
        ims_url: plain('providers.adobe_target.ims_url', p.ims_url),
        rate_limit: p.rate_limit,
      };
      if (p.workspace !== undefined) resolved.workspace = plain('providers.adobe_target.workspace', p.workspace);
      if (profileToken !== undefined) resolved.profile_token = profileToken;
      out.adobe_target = resolved;
    }
  }
  if (problems.length) {
    const vars = [...new Set(unsetVars)];
    const lines = problems.map((d) => `  ${d.file}:${d.line}:${d.column} ${d.message}`);
    throw new ConfigError(`Missing provider settings:\n${lines.join('\n')}`, problems, {
      hint: vars.length
        ? `Set ${vars.join(', ')} (e.g. \`export ${vars[0]}=…\`) and run again. \`audiences validate\` needs no credentials.`
        : 'Complete the providers section of the config (docs/config.md#providers).',
    });
  }
  return out;
}

function describeVars(vars: string[]): string {
  return vars.length === 1
    ? `Environment variable ${vars[0]} is`
    : `Environment variables ${vars.slice(0, -1).join(', ')} and ${vars[vars.length - 1]} are`;
}

/** Offer files: UTF-8 text, read with a size cap so a wrong path cannot load a huge file. */
const readTextFile: ContentFileReader = async (absolutePath) => {
  const info = await stat(absolutePath);
  if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  const cap = 1024 * 1024 + 1;
  const handle = await open(absolutePath, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(info.size, cap));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.includes(0)) throw Object.assign(new Error('binary'), { code: 'EBINARY' });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw Object.assign(new Error('binary'), { code: 'EBINARY' });
    }
    return { text, bytes: info.size };
  } finally {
    await handle.close();
  }
};
