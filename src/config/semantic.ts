// Semantic checks on a schema-valid config: dangling references, duplicate names on one platform,
// segment identity, offer content, condition types and schedules. Pure: data in, findings out.
import { formatSuggestion } from './suggest.js';
import type { Finding } from './findings.js';
import type { Condition, Config, FieldType, RawConfig } from './types.js';

export interface SemanticFinding extends Finding {
  rule: 'reference' | 'semantic';
}

/** Every reference and consistency problem in the config. */
export function checkSemantics(config: Config, raw: RawConfig): SemanticFinding[] {
  return [
    ...checkReferences(config),
    ...checkDuplicates(config),
    ...checkSegments(raw),
    ...checkOffers(raw),
    ...checkConditions(config),
    ...checkSchedules(config),
    ...checkMoves(config, raw),
  ];
}

function reference(path: Finding['path'], message: string): SemanticFinding {
  return { rule: 'reference', path, message };
}
function semantic(path: Finding['path'], message: string, part?: 'key'): SemanticFinding {
  return { rule: 'semantic', path, message, ...(part ? { part } : {}) };
}

function dangling(kind: string, section: string, name: string, known: Record<string, unknown>): string {
  const keys = Object.keys(known);
  const suggestion = formatSuggestion(name, keys);
  const fix = suggestion || (keys.length ? ` Declared ${section}: ${keys.join(', ')}.` : ` There is no \`${section}:\` section yet.`);
  return `${kind} \`${name}\` is not declared under \`${section}\`.${fix} Declare it or fix the key.`;
}

export function checkReferences(config: Config): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  for (const a of Object.values(config.audiences)) {
    if (!Object.hasOwn(config.segments, a.segment)) {
      out.push(reference(['audiences', a.key, 'segment'], dangling('Segment', 'segments', a.segment, config.segments)));
    }
    a.where.forEach((c, i) => {
      if (!Object.hasOwn(config.fields, c.field)) {
        out.push(
          reference(
            ['audiences', a.key, 'where', i, 'field'],
            `${dangling('Field', 'fields', c.field, config.fields)} Only fields exported to Target can be used in \`where\`.`,
          ),
        );
      }
    });
  }
  config.precedence.forEach((key, i) => {
    if (!Object.hasOwn(config.audiences, key)) out.push(reference(['precedence', i], dangling('Audience', 'audiences', key, config.audiences)));
  });
  for (const c of Object.values(config.cooldowns)) {
    if (!Object.hasOwn(config.segments, c.segment)) {
      out.push(reference(['cooldowns', c.key, 'segment'], dangling('Segment', 'segments', c.segment, config.segments)));
    }
    c.suppress.forEach((key, i) => {
      if (!Object.hasOwn(config.activities, key)) {
        out.push(reference(['cooldowns', c.key, 'suppress', i], dangling('Activity', 'activities', key, config.activities)));
      }
    });
  }
  for (const act of Object.values(config.activities)) {
    if (act.holdout !== undefined && !Object.hasOwn(config.holdouts, act.holdout)) {
      out.push(reference(['activities', act.key, 'holdout'], dangling('Holdout', 'holdouts', act.holdout, config.holdouts)));
    }
    act.experiences.forEach((e, i) => {
      if (e.audience !== undefined && !Object.hasOwn(config.audiences, e.audience)) {
        out.push(
          reference(['activities', act.key, 'experiences', i, 'audience'], dangling('Audience', 'audiences', e.audience, config.audiences)),
        );
      }
      if (!Object.hasOwn(config.offers, e.offer)) {
        out.push(reference(['activities', act.key, 'experiences', i, 'offer'], dangling('Offer', 'offers', e.offer, config.offers)));
      }
    });
  }
  return out;
}

export function checkDuplicates(config: Config): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  const sameName = (
    section: 'segments' | 'audiences' | 'offers' | 'activities',
    platform: string,
    items: Array<{ key: string; name: string }>,
  ) => {
    const first = new Map<string, string>();
    for (const item of items) {
      if (!item.name) continue;
      const id = item.name.trim().toLowerCase();
      const other = first.get(id);
      if (other === undefined) first.set(id, item.key);
      else {
        out.push(
          semantic(
            [section, item.key, 'name'],
            `${platform} name "${item.name}" is also used by \`${section}.${other}\`; names must be unique on ${platform.split(' ')[0]} (matching ignores case). Rename one of them.`,
          ),
        );
      }
    }
  };
  sameName('segments', 'Customer.io segment', Object.values(config.segments));
  sameName('audiences', 'Target audience', Object.values(config.audiences));
  sameName('offers', 'Target offer', Object.values(config.offers));
  sameName('activities', 'Target activity', Object.values(config.activities));

  const ids = new Map<number, string>();
  for (const s of Object.values(config.segments)) {
    if (s.id === undefined) continue;
    const other = ids.get(s.id);
    if (other === undefined) ids.set(s.id, s.key);
    else out.push(semantic(['segments', s.key, 'id'], `Segment id ${s.id} is also used by \`segments.${other}\`: two keys would manage one Customer.io segment. Keep one of them.`));
  }

  const seen = new Map<string, number>();
  config.precedence.forEach((key, i) => {
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else out.push(semantic(['precedence', i], `\`${key}\` appears twice in precedence (items ${first + 1} and ${i + 1}). List each audience once, at its rank.`));
  });

  const bySection = { segments: config.segments, audiences: config.audiences, offers: config.offers, activities: config.activities };
  for (const [section, items] of Object.entries(bySection)) {
    const claimed = new Map<string, string>();
    for (const item of Object.values(items as Record<string, { key: string; previous_keys: string[] }>)) {
      item.previous_keys.forEach((old, i) => {
        if (Object.hasOwn(items, old)) {
          out.push(
            semantic(
              [section, item.key, 'previous_keys', i],
              `Previous key \`${old}\` is still a key in \`${section}\`. Remove it from previous_keys, or finish the rename by removing \`${section}.${old}\`.`,
            ),
          );
        } else if (claimed.has(old)) {
          out.push(
            semantic(
              [section, item.key, 'previous_keys', i],
              `Previous key \`${old}\` is also claimed by \`${section}.${claimed.get(old)}\`. An object can be renamed into one key only.`,
            ),
          );
        } else claimed.set(old, item.key);
      });
    }
  }
  return out;
}

export function checkSegments(raw: RawConfig): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  for (const [key, s] of Object.entries(raw.segments ?? {})) {
    if (s.type === 'data_driven' && s.id === undefined && s.name === undefined) {
      out.push(
        semantic(
          ['segments', key],
          `Data-driven segment \`${key}\` has neither \`id\` nor \`name\`, so it cannot be found in Customer.io. Add its id (from the segment's URL) or its exact name.`,
          'key',
        ),
      );
    }
    if (s.type === 'manual' && s.name === undefined) {
      out.push(
        semantic(['segments', key], `Manual segment \`${key}\` needs a \`name\`: the tool creates it in Customer.io under that name. Add \`name: "…"\`.`, 'key'),
      );
    }
  }
  return out;
}

export function checkOffers(raw: RawConfig): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  for (const [key, o] of Object.entries(raw.offers ?? {})) {
    if (o.content !== undefined && o.content_file !== undefined) {
      out.push(semantic(['offers', key, 'content_file'], `Offer \`${key}\` has both \`content\` and \`content_file\`. Keep one of them.`));
    } else if (o.content === undefined && o.content_file === undefined) {
      out.push(
        semantic(['offers', key], `Offer \`${key}\` has no content. Add \`content: "<div>…</div>"\` or \`content_file: offers/${key.replace(/_/g, '-')}.html\`.`, 'key'),
      );
    }
  }
  return out;
}

const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte']);

export function checkConditions(config: Config): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  for (const a of Object.values(config.audiences)) {
    a.where.forEach((c, i) => {
      if (!Object.hasOwn(config.fields, c.field)) return;
      const field = config.fields[c.field];
      const problem = describeConditionMismatch(c, field.type);
      if (problem) out.push(semantic(['audiences', a.key, 'where', i, c.op], problem));
    });
  }
  return out;
}

function describeConditionMismatch(c: Condition, type: FieldType): string | undefined {
  const numeric = type === 'number' || type === 'integer';
  if (NUMERIC_OPS.has(c.op) && !numeric) {
    return `\`${c.op}\` compares numbers, but field \`${c.field}\` is a ${type}. Use eq, ne or in, or export the field as a number.`;
  }
  if (c.op === 'contains' && type !== 'string') {
    return `\`contains\` matches text, but field \`${c.field}\` is a ${type}. Use eq, ne, in or a comparison.`;
  }
  const values = Array.isArray(c.value) ? c.value : [c.value];
  const fits = (v: unknown) =>
    type === 'string' ? typeof v === 'string' : type === 'boolean' ? typeof v === 'boolean' : typeof v === 'number' && (type === 'number' || Number.isInteger(v));
  const bad = values.find((v) => !fits(v));
  if (bad !== undefined) {
    const want = type === 'integer' ? 'whole numbers' : type === 'number' ? 'numbers' : type === 'boolean' ? 'true or false' : 'strings (quote them)';
    return `Field \`${c.field}\` is a ${type}, but the condition compares it with ${JSON.stringify(bad)}. Use ${want}.`;
  }
  return undefined;
}

export function checkSchedules(config: Config): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  for (const a of Object.values(config.activities)) {
    if (a.starts_at && a.ends_at && Date.parse(a.starts_at) >= Date.parse(a.ends_at)) {
      out.push(semantic(['activities', a.key, 'ends_at'], `Activity \`${a.key}\` ends (${a.ends_at}) before it starts (${a.starts_at}). Fix one of the dates.`));
    }
  }
  return out;
}

/** Explicit `moved:` entries (those derived from previous_keys are checked by checkDuplicates). */
export function checkMoves(config: Config, raw: RawConfig): SemanticFinding[] {
  const out: SemanticFinding[] = [];
  const sections = config as unknown as Record<string, Record<string, unknown>>;
  (raw.moved ?? []).forEach((m, i) => {
    const [toSection, toKey] = m.to.split('.');
    const [fromSection, fromKey] = m.from.split('.');
    if (toSection !== fromSection) {
      out.push(semantic(['moved', i], `A move must stay in one section: \`${m.from}\` → \`${m.to}\`. Use the same section on both sides.`));
      return;
    }
    if (!Object.hasOwn((sections[toSection] ?? {}), toKey)) {
      out.push(reference(['moved', i, 'to'], `\`${m.to}\` is not declared. Point \`to\` at the object's new key.`));
    }
    if (Object.hasOwn(sections[fromSection] ?? {}, fromKey)) {
      out.push(semantic(['moved', i, 'from'], `\`${m.from}\` still exists, so it was not moved. Remove the old object or this entry.`));
    }
  });
  return out;
}
