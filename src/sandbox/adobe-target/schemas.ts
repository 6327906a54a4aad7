// Request-body checks against the official Admin and Delivery OpenAPI schemas, strict about unknown fields.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import adminSpec from './openapi/admin-api.json' with { type: 'json' };
import deliverySpec from './openapi/delivery-api.json' with { type: 'json' };

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

const ADMIN_ID = 'target-admin-strict.json';
const DELIVERY_ID = 'target-delivery.json';
const DELIVERY_REQUEST = '#/paths/~1rest~1v1~1delivery/post/requestBody/content/application~1json/schema';

/** A failed check: the unknown property (Target's InvalidProperty.Json case) or another schema violation. */
export type SchemaProblem = { kind: 'unknown_property'; property: string } | { kind: 'invalid'; message: string };

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();
let deliveryRequest: ValidateFunction | undefined;

/**
 * Target rejects unrecognized properties (Jackson's FAIL_ON_UNKNOWN_PROPERTIES), which plain OpenAPI
 * object schemas allow; so every schema that declares `properties` is closed before compiling.
 * Opaque schemas (TargetRule, SegmentRule: `{type: object}` only) stay open, as Target types them.
 */
export function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    out[k] = k === 'properties' ? mapValues(v as Record<string, unknown>, closeObjects) : closeObjects(v);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function mapValues(obj: Record<string, unknown>, fn: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = fn(v);
  return out;
}

function getAjv(): Ajv {
  if (!ajv) {
    // Formats are not enforced: Target reads dates in more forms than RFC 3339 (e.g. 2017-05-01T08:00Z),
    // and the handlers parse those themselves.
    ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
    addFormats(ajv);
    ajv.addSchema({ $id: ADMIN_ID, components: closeObjects(adminSpec.components) }, ADMIN_ID);
    ajv.addSchema({ ...(correctDeliverySpec(deliverySpec) as object), $id: DELIVERY_ID }, DELIVERY_ID);
  }
  return ajv;
}

/** Checks a body against `#/components/schemas/<name>` of admin-api.json (closed objects). */
export function checkAdminBody(schemaName: string, body: unknown): SchemaProblem | undefined {
  let validate = validators.get(schemaName);
  if (!validate) {
    validate = getAjv().getSchema(`${ADMIN_ID}#/components/schemas/${schemaName}`);
    if (!validate) throw new Error(`admin-api.json has no schema ${schemaName}`);
    validators.set(schemaName, validate);
  }
  if (validate(body)) return undefined;
  return describe(validate.errors ?? []);
}

/**
 * The bundled delivery-api.json contradicts its own text and every documented exchange in three
 * places: mbox requests "require" a property `mbox` that is declared nowhere (the name travels in
 * `name`); parameter maps declare object values where the SDK's Parameters.yaml says
 * `additionalProperties: {type: string}`; and responseTokens declare object values while their
 * description (and Adobe's samples) say "usually a string, … a list of string". These are corrected
 * before compiling, here and in the contract tests; nothing else is changed.
 */
export function correctDeliverySpec(spec: unknown): unknown {
  const fix = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fix);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = fix(v);
    if (Array.isArray(out.required) && out.required.includes('mbox') && !(out.properties as Record<string, unknown> | undefined)?.mbox) {
      out.required = (out.required as string[]).map((r) => (r === 'mbox' ? 'name' : r));
    }
    const ap = out.additionalProperties as { properties?: Record<string, unknown> } | undefined;
    if (ap && typeof ap === 'object' && ap.properties?.parameterName && ap.properties?.parameterValue) {
      out.additionalProperties = { type: 'string' };
    }
    if (ap && typeof ap === 'object' && ap.properties?.responseTokenName && ap.properties?.responseTokenValue) {
      out.additionalProperties = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
    }
    return out;
  };
  return fix(spec);
}

/** Checks a Delivery request body against delivery-api.json (as published: open objects). */
export function checkDeliveryRequest(body: unknown): string | undefined {
  if (!deliveryRequest) {
    deliveryRequest = getAjv().getSchema(`${DELIVERY_ID}${DELIVERY_REQUEST}`);
    if (!deliveryRequest) throw new Error('delivery-api.json has no request schema for /rest/v1/delivery');
  }
  if (deliveryRequest(body)) return undefined;
  const e = (deliveryRequest.errors ?? [])[0];
  return e ? `${e.instancePath || 'request'} ${e.message ?? 'is invalid'}` : 'invalid request';
}

function describe(errors: ErrorObject[]): SchemaProblem {
  const unknown = errors.find((e) => e.keyword === 'additionalProperties');
  if (unknown) return { kind: 'unknown_property', property: String(unknown.params.additionalProperty) };
  const e = errors[0];
  if (!e) return { kind: 'invalid', message: 'Invalid Json.' };
  return { kind: 'invalid', message: `Invalid Json. ${e.instancePath || 'body'} ${e.message ?? 'is invalid'}.` };
}
