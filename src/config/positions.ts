// Source positions: maps a YAML path (['activities', 'hero', 'experiences', 0]) to the 1-based
// line:column of its node, so every diagnostic can point at the offending text.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

/** Position of a path's value node, or of its key with part 'key'; the nearest existing ancestor when the path is missing. */
export type Locate = (path: readonly PathSegment[], part?: 'key' | 'value') => Position;

const ORIGIN: Position = { line: 1, column: 1 };

export function formatPath(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

/** A locator for documents that were never parsed (configs built in code): everything at 1:1. */
export function locateNowhere(): Position {
  return ORIGIN;
}

export function createLocator(doc: Document, lineCounter: LineCounter): Locate {
  const positionOf = (node: unknown): Position | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { line, column: col };
  };
  return (path, part = 'value') => {
    let node: unknown = doc.contents;
    let best = positionOf(node) ?? ORIGIN;
    for (let i = 0; i < path.length; i++) {
      node = resolveAlias(doc, node);
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(path[i]));
        if (!pair) return best;
        const keyPos = positionOf(pair.key) ?? best;
        if (last && part === 'key') return keyPos;
        node = pair.value;
        best = positionOf(node) ?? keyPos;
      } else if (isSeq(node)) {
        const index = typeof path[i] === 'number' ? (path[i] as number) : Number(path[i]);
        const item = Number.isInteger(index) ? node.items[index] : undefined;
        if (item === undefined) return best;
        node = item;
        best = positionOf(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  };
}

/** Every node's value position by dotted path (for Config.source.positions). */
export function collectPositions(doc: Document, lineCounter: LineCounter): Record<string, Position> {
  const out: Record<string, Position> = {};
  const seen = new Set<unknown>();
  const visit = (node: unknown, path: string, depth: number): void => {
    node = resolveAlias(doc, node);
    if (!node || seen.has(node) || depth > 12) return;
    const range = (node as Node).range;
    if (range) {
      const { line, col } = lineCounter.linePos(range[0]);
      out[path] = { line, column: col };
    }
    if (isMap(node)) {
      seen.add(node);
      for (const pair of node.items) {
        const k = keyText(pair.key);
        const child = path ? `${path}.${k}` : k;
        if (pair.value == null) {
          const kr = (pair.key as Node | null)?.range;
          if (kr) {
            const { line, col } = lineCounter.linePos(kr[0]);
            out[child] = { line, column: col };
          }
        } else visit(pair.value, child, depth + 1);
      }
      seen.delete(node);
    } else if (isSeq(node)) {
      seen.add(node);
      node.items.forEach((item, i) => visit(item, path ? `${path}.${i}` : String(i), depth + 1));
      seen.delete(node);
    }
  };
  visit(doc.contents, '', 0);
  return out;
}

function resolveAlias(doc: Document, node: unknown): unknown {
  let current = node;
  // Aliases may chain; a bounded loop avoids cycles.
  for (let i = 0; i < 16 && isAlias(current); i++) current = current.resolve(doc);
  return current;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}
