// Schema check: validates the parsed data against schema/audiences.schema.json with ajv (all
// errors) and turns each ajv error into a diagnostic at the offending node, with a fix.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Diagnostic } from '../model/diagnostic.js';
import { toDiagnostic, type Finding } from './findings.js';
import { formatPath, type Locate, type PathSegment } from './positions.js';
import { formatSuggestion } from './suggest.js';

/** The schema file, shipped beside src/ and dist/ (both two levels below the package root). */
export const SCHEMA_URL = new URL('../../schema/audiences.schema.json', import.meta.url);

type JsonSchema = Record<string, unknown>;

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as unknown as FormatsPlugin;

let compiled: ValidateFunction | undefined;

/** The schema as JSON (for tools and tests). */
export function readSchema(): JsonSchema {
  return JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as JsonSchema;
}

function compileSchema(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
  addFormats(ajv);
  // Annotation keyword: the schema's own words for "how to write this correctly".
  ajv.addKeyword('x-hint');
  const validate = ajv.compile(readSchema());
  compiled = validate;
  return validate;
}

/** Every schema problem in `data`, placed in `file`. Empty when the data has the config's shape. */
export function validateSchema(data: unknown, file: string, locate: Locate): Diagnostic[] {
  const validate = compileSchema();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const findings = describeSchemaErrors(errors, data);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const f of findings) {
    const id = `${formatPath(f.path)}\u0000${f.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(toDiagnostic('schema', 'error', f, file, locate));
  }
  return out;
}

/** Pure: ajv errors → findings with messages a person can act on. */
export function describeSchemaErrors(errors: readonly ErrorObject[], data: unknown): Finding[] {
  // anyOf failures are reported once, by the anyOf itself, not by each failed branch.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
  const findings: Finding[] = [];
  for (const err of errors) {
    if (err.keyword !== 'anyOf' && anyOfPaths.some((p) => err.schemaPath.startsWith(`${p}/`))) continue;
    const finding = describeError(err, data);
    if (finding) findings.push(finding);
  }
  return findings;
}

function describeError(err: ErrorObject, data: unknown): Finding | undefined {
  const path = parsePointer(err.instancePath);
  const where = describeWhere(path);
  const parent = (err.parentSchema ?? {}) as JsonSchema;
  const hint = typeof parent['x-hint'] === 'string' ? (parent['x-hint'] as string) : undefined;
  const value = err.data;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as JsonSchema);
      if (key === '<<') {
        return {
          path: [...path, key],
          part: 'key',
          message: `YAML merge keys (\`<<\`) are not supported in ${where}. Write the keys out in full.`,
        };
      }
      const suggestion = formatSuggestion(key, allowed);
      const list = allowed.length ? ` Allowed keys: ${allowed.join(', ')}.` : '';
      return {
        path: [...path, key],
        part: 'key',
        message: `Unknown key \`${key}\` in ${where}.${suggestion || list}${suggestion ? ' Otherwise remove it.' : ' Remove it or fix its spelling.'}`,
      };
    }
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      return {
        path,
        part: 'key',
        message: `${capitalize(where)} is missing the required key \`${missing}\`. Add \`${missing}:${requiredExample(missing)}\`.`,
      };
    }
    case 'type': {
      const expected = String((err.params as { type: string | string[] }).type).replace(/,/g, ' or ');
      if (path.length === 0) {
        return {
          path,
          message: `The config must be a mapping of keys (version, workspace, segments, …), not ${describeValue(value)}. Start from examples/minimal.yaml.`,
        };
      }
      return {
        path,
        message: `${capitalize(where)} must be ${withArticle(expected)}, not ${describeValue(value)}.${typeFix(expected)}`,
      };
    }
    case 'enum': {
      const allowed = ((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const alias = typeof value === 'string' ? ENUM_ALIASES[value.toLowerCase()] : undefined;
      const suggestion =
        alias && allowed.includes(alias.value)
          ? ` ${alias.hint}`
          : typeof value === 'string'
            ? formatSuggestion(value, allowed)
            : '';
      return {
        path,
        message: `${capitalize(where)} is ${describeValue(value)}; it must be one of: ${allowed.join(', ')}.${suggestion}`,
      };
    }
    case 'const': {
      const allowed = (err.params as { allowedValue: unknown }).allowedValue;
      return { path, message: `${capitalize(where)} must be ${JSON.stringify(allowed)}, not ${describeValue(value)}${hint ? `: ${hint}` : ''}.` };
    }
    case 'pattern': {
      const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;
      if (propertyName !== undefined) {
        return {
          path: [...path, propertyName],
          part: 'key',
          message: `Key \`${propertyName}\` in ${where} is not a valid key: ${hint ?? 'use snake_case'}.`,
        };
      }
      return { path, message: `${capitalize(where)} is ${describeValue(value)}, which is not valid: ${hint ?? `it must match ${parent.pattern}`}.` };
    }
    case 'propertyNames':
      // Reported by the nested `pattern` error, which knows the key.
      return undefined;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      return { path, message: `${capitalize(where)} is ${describeValue(value)}; it must be ${describeRange(parent)}.` };
    }
    case 'minItems': {
      const limit = (err.params as { limit: number }).limit;
      return { path, message: `${capitalize(where)} must list at least ${limit} item${limit === 1 ? '' : 's'}. Add ${limit === 1 ? 'one' : 'them'}.` };
    }
    case 'minLength':
      return { path, message: `${capitalize(where)} must not be empty. Write a value or remove the key.` };
    case 'maxLength': {
      const limit = (err.params as { limit: number }).limit;
      return { path, message: `${capitalize(where)} is too long: at most ${limit} characters. Shorten it.` };
    }
    case 'minProperties':
    case 'maxProperties':
      return { path, message: `${capitalize(where)} is not valid: ${hint ?? err.message ?? 'check its keys'}.` };
    case 'anyOf':
      return { path, message: `${capitalize(where)} is ${describeValue(value)}; ${hint ?? 'it does not match any allowed form'}.` };
    case 'format': {
      const format = (err.params as { format: string }).format;
      const example = format === 'date-time' ? ' an ISO 8601 date-time such as 2026-11-01T00:00:00Z' : ` a valid ${format}`;
      return { path, message: `${capitalize(where)} is ${describeValue(value)}; write${example}.` };
    }
    default:
      return { path, message: `${capitalize(where)} ${err.message ?? 'is not valid'}. See docs/config.md.` };
  }
  // Unreachable: keeps the compiler sure every branch returns.
  void data;
}

/** Words people bring from the platforms' own UIs and APIs, and what the config calls them. */
const ENUM_ALIASES: Record<string, { value: string; hint: string }> = {
  dynamic: { value: 'data_driven', hint: "Customer.io's API calls data-driven segments `dynamic`; the config says `data_driven`." },
  experience_targeting: { value: 'xt', hint: 'Experience Targeting activities are `xt` in the config.' },
  ab_test: { value: 'ab', hint: 'A/B Test activities are `ab` in the config.' },
  active: { value: 'approved', hint: 'A live Target activity is `approved` in the config.' },
  live: { value: 'approved', hint: 'A live Target activity is `approved` in the config.' },
  inactive: { value: 'saved', hint: 'An inactive Target activity is `saved` in the config.' },
};

function parsePointer(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeWhere(path: readonly PathSegment[]): string {
  return path.length === 0 ? 'the top level' : `\`${formatPath(path)}\``;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the string "${shown}"`;
  }
  return `${typeof value} ${String(value)}`;
}

function withArticle(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping (key: value pairs)',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
  };
  return type
    .split(' or ')
    .map((t) => names[t] ?? `a ${t}`)
    .join(' or ');
}

function typeFix(expected: string): string {
  if (expected === 'string') return ' Quote the value if YAML reads it as a number or boolean.';
  if (expected === 'object') return ' Write nested `key: value` lines under it.';
  if (expected === 'array') return ' Write a list, e.g. `[a, b]` or `- a` lines.';
  if (expected === 'integer' || expected === 'number') return ' Write the number without quotes.';
  return '';
}

function describeRange(schema: JsonSchema): string {
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const high = schema.maximum ?? schema.exclusiveMaximum;
  const lowText = schema.exclusiveMinimum !== undefined ? `more than ${low}` : `at least ${low}`;
  if (low !== undefined && high !== undefined) {
    if (schema.minimum !== undefined && schema.maximum !== undefined) return `between ${low} and ${high}`;
    return `${lowText} and at most ${high}`;
  }
  if (low !== undefined) return lowText;
  return `at most ${high}`;
}

function requiredExample(key: string): string {
  const examples: Record<string, string> = {
    version: ' 1',
    workspace: ' my-team',
    name: ' "A readable name"',
    type: ' (see docs/config.md)',
    segment: ' <segment key>',
    offer: ' <offer key>',
    owner: ' target, customerio or none',
    percent: ' 10',
    salt: ' "2026-q4"',
    tenant: ' <your Experience Cloud tenant>',
    client_code: ' <your Target client code>',
    discount_pct: ' 0',
  };
  return examples[key] ?? '';
}
