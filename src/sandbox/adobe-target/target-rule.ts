// The audience targetRule grammar the emulator accepts, and its evaluation against a visitor's profile.

/**
 * Evaluators evidenced for Target audience rules (reference §2): equals/matches from Adobe's samples,
 * the rest from third-party REST testing. Anything else is rejected with 400.
 */
export const EVALUATORS = [
  'equals',
  'matches',
  'contains',
  'startsWith',
  'endsWith',
  'greater',
  'lesser',
  'greaterEquals',
  'lesserEquals',
] as const;
export type Evaluator = (typeof EVALUATORS)[number];

/** Dimensions a leaf may name: profile/geo/page are confirmed, the others are seen in third-party tools. */
export const DIMENSIONS = ['profile', 'geo', 'page', 'mbox', 'browser', 'custom'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const EVALUATOR_SET = new Set<string>(EVALUATORS);
const DIMENSION_SET = new Set<string>(DIMENSIONS);

/** What a rule is evaluated against during a Delivery call. */
export interface RuleContext {
  /** Profile attribute value as stored (strings), or undefined when absent. */
  profile: (name: string) => string | undefined;
  /** mbox parameters sent in the call. */
  mbox: (name: string) => string | undefined;
  /** Page URL from context.address.url. */
  pageUrl?: string;
}

/** Returns the first problem of a targetRule, or undefined when it is well-formed. */
export function findTargetRuleProblem(rule: unknown, path = 'targetRule'): string | undefined {
  if (!rule || typeof rule !== 'object' || Array.isArray(rule)) return `${path} must be an object`;
  const node = rule as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length === 1 && (keys[0] === 'and' || keys[0] === 'or')) {
    const children = node[keys[0]];
    if (!Array.isArray(children) || children.length === 0) return `${path}.${keys[0]} must be a non-empty array`;
    for (let i = 0; i < children.length; i++) {
      const p = findTargetRuleProblem(children[i], `${path}.${keys[0]}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (keys.length === 1 && keys[0] === 'not') {
    const child = unwrapNot(node.not);
    if (child === undefined) return `${path}.not must hold exactly one rule`;
    return findTargetRuleProblem(child, `${path}.not`);
  }
  const dims = keys.filter((k) => DIMENSION_SET.has(k));
  const evaluators = keys.filter((k) => !DIMENSION_SET.has(k));
  if (dims.length !== 1) return `${path} must name exactly one of ${DIMENSIONS.join(', ')} (or be an and/or/not node)`;
  const dim = dims[0];
  if (typeof node[dim] !== 'string' || node[dim] === '') return `${path}.${dim} must be a non-empty string`;
  if (evaluators.length !== 1) return `${path} must have exactly one evaluator (${EVALUATORS.join(', ')})`;
  const ev = evaluators[0];
  if (!EVALUATOR_SET.has(ev)) return `${path} uses unknown evaluator '${ev}' (known: ${EVALUATORS.join(', ')})`;
  const values = node[ev];
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
    return `${path}.${ev} must be a non-empty array of strings`;
  }
  return undefined;
}

/** `not` holds one rule, written as an object or a one-element array. */
function unwrapNot(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 1 ? v[0] : undefined;
  return v && typeof v === 'object' ? v : undefined;
}

/** Evaluates a (validated) targetRule. An absent attribute never matches a leaf (so `not` of it does). */
export function evaluateTargetRule(rule: unknown, ctx: RuleContext): boolean {
  const node = rule as Record<string, unknown>;
  if (Array.isArray(node.and)) return (node.and as unknown[]).every((c) => evaluateTargetRule(c, ctx));
  if (Array.isArray(node.or)) return (node.or as unknown[]).some((c) => evaluateTargetRule(c, ctx));
  if ('not' in node) return !evaluateTargetRule(unwrapNot(node.not), ctx);
  const dim = Object.keys(node).find((k) => DIMENSION_SET.has(k)) as Dimension;
  const ev = Object.keys(node).find((k) => EVALUATOR_SET.has(k)) as Evaluator;
  const actual = readDimension(dim, String(node[dim]), ctx);
  if (actual === undefined) return false;
  // Several values in one leaf mean OR (Target's audience builder semantics).
  return (node[ev] as string[]).some((expected) => compare(ev, actual, expected));
}

function readDimension(dim: Dimension, key: string, ctx: RuleContext): string | undefined {
  switch (dim) {
    case 'profile':
      return ctx.profile(key);
    case 'mbox':
      return ctx.mbox(key);
    case 'page':
      return key === 'url' ? ctx.pageUrl : undefined;
    default:
      // geo, browser and custom data are not emulated: such leaves never match in the sandbox.
      return undefined;
  }
}

function compare(ev: Evaluator, actual: string, expected: string): boolean {
  switch (ev) {
    case 'equals':
      return actual === expected;
    case 'matches':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'contains':
      return actual.includes(expected);
    case 'startsWith':
      return actual.startsWith(expected);
    case 'endsWith':
      return actual.endsWith(expected);
    default: {
      // Profile values are strings; ordering evaluators compare them as numbers, and never match otherwise.
      const a = toNumber(actual);
      const b = toNumber(expected);
      if (a === undefined || b === undefined) return false;
      if (ev === 'greater') return a > b;
      if (ev === 'lesser') return a < b;
      if (ev === 'greaterEquals') return a >= b;
      return a <= b;
    }
  }
}

function toNumber(s: string): number | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}
