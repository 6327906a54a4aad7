// Adobe Target targetRule building blocks: the audience conditions compiled from the config, written
// only with the profile attributes `sync` writes (src/model/attributes.ts) and with evaluators the
// reference confirms or best evidences (see docs/decisions.md "targetRule evaluators").
import { FALSE, TRUE, fieldAttribute, holdoutAttribute, segmentAttribute } from '../model/attributes.js';
import type { Condition, ConditionOp } from '../config/types.js';
import type { JsonValue } from './types.js';

/** A targetRule node: `{and:[…]}`, `{or:[…]}`, `{not: node}` or a leaf `{profile: attr, <evaluator>: [values]}`. */
export type RuleNode = { [key: string]: JsonValue };

/**
 * Config operator → Target evaluator. `equals`/`matches` are confirmed by Adobe's own samples;
 * `greater`, `greaterEquals`, `lesser`, `lesserEquals`, `contains` and `not` are the best evidence
 * (third-party REST testing). `ne` has no evidenced evaluator (no `notEquals`), so it is `not` of
 * `equals`; `in` is `equals` with several values (several values are an OR).
 */
export const EVALUATOR: Record<Exclude<ConditionOp, 'ne'>, string> = {
  eq: 'equals',
  in: 'equals',
  gt: 'greater',
  gte: 'greaterEquals',
  lt: 'lesser',
  lte: 'lesserEquals',
  contains: 'contains',
};

/** Profile attribute values are strings; numbers print without exponent noise, booleans as "true"/"false". */
export function ruleValue(v: string | number | boolean): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
  return String(v);
}

export function leaf(attribute: string, evaluator: string, values: Array<string | number | boolean>): RuleNode {
  return { profile: attribute, [evaluator]: values.map(ruleValue) };
}

/** `seg_<segment> equals ["true"]`. */
export function segmentMember(segmentKey: string): RuleNode {
  return leaf(segmentAttribute(segmentKey), 'equals', [TRUE]);
}

/** `seg_<segment> equals ["false"]` (sync always writes an explicit false). */
export function segmentNonMember(segmentKey: string): RuleNode {
  return leaf(segmentAttribute(segmentKey), 'equals', [FALSE]);
}

/** `holdout_<holdout> equals ["false"]`: everyone but the control group. */
export function outsideHoldout(holdoutKey: string): RuleNode {
  return leaf(holdoutAttribute(holdoutKey), 'equals', [FALSE]);
}

export function conditionRule(c: Condition): RuleNode {
  const attr = fieldAttribute(c.field);
  const values = Array.isArray(c.value) ? c.value : [c.value];
  if (c.op === 'ne') return { not: leaf(attr, 'equals', values) };
  return leaf(attr, EVALUATOR[c.op], values);
}

export function and(nodes: RuleNode[]): RuleNode {
  return { and: nodes };
}
