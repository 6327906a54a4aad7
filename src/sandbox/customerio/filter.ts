// The Customer.io search/export filter grammar (and/or/not/segment/attribute eq|exists): checks a
// filter the way the App API documents it and evaluates it against emulated people.

/** A filter as sent by clients (shape checked by checkFilter). */
export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { segment: { id: number } }
  | { attribute: { field: string; operator: 'eq' | 'exists'; value?: string } };

/** Returns a problem description, or undefined when the filter follows the grammar. */
export function checkFilter(value: unknown, path = 'filter'): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return `${path} must be an object`;
  const keys = Object.keys(value);
  if (keys.length !== 1) return `${path} must have exactly one key (and, or, not, segment, attribute), found ${keys.length}`;
  const key = keys[0];
  const inner = (value as Record<string, unknown>)[key];
  switch (key) {
    case 'and':
    case 'or': {
      if (!Array.isArray(inner) || inner.length === 0) return `${path}.${key} must be a non-empty array`;
      for (let i = 0; i < inner.length; i++) {
        const problem = checkFilter(inner[i], `${path}.${key}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'not':
      if (Array.isArray(inner)) return `${path}.not takes a single object, not an array`;
      return checkFilter(inner, `${path}.not`);
    case 'segment': {
      const id = (inner as { id?: unknown } | null)?.id;
      if (!inner || typeof inner !== 'object' || typeof id !== 'number' || !Number.isInteger(id)) {
        return `${path}.segment.id must be an integer`;
      }
      return undefined;
    }
    case 'attribute': {
      if (!inner || typeof inner !== 'object') return `${path}.attribute must be an object`;
      const a = inner as Record<string, unknown>;
      if (typeof a.field !== 'string' || a.field === '') return `${path}.attribute.field must be a non-empty string`;
      if (a.operator === 'eq') {
        if (typeof a.value !== 'string') return `${path}.attribute.value must be a string for operator eq`;
        return undefined;
      }
      if (a.operator === 'exists') return undefined;
      return `${path}.attribute.operator must be "eq" or "exists"`;
    }
    default:
      return `${path} has unknown key "${key}" (expected and, or, not, segment, attribute)`;
  }
}

export interface FilterSubject {
  /** Attribute values as strings (identifiers included: id, email, cio_id). */
  attributes: Record<string, string>;
  /** Ids of the segments the person is in. */
  segments: ReadonlySet<number>;
}

/** Evaluates a filter already accepted by checkFilter. */
export function matchFilter(filter: Filter, subject: FilterSubject): boolean {
  if ('and' in filter) return filter.and.every((f) => matchFilter(f, subject));
  if ('or' in filter) return filter.or.some((f) => matchFilter(f, subject));
  if ('not' in filter) return !matchFilter(filter.not, subject);
  if ('segment' in filter) return subject.segments.has(filter.segment.id);
  const { field, operator, value } = filter.attribute;
  const actual = subject.attributes[field];
  if (operator === 'exists') return actual !== undefined && actual !== '';
  return actual === value;
}
