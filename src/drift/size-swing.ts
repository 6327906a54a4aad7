// Audience size swings: each segment's current size against the median of its last recorded sizes. Pure.
import type { DriftRun } from './history.js';

/** Recent runs the baseline is taken from (the median resists one odd run). */
export const BASELINE_RUNS = 5;

export interface SizeSwing {
  segment: string;
  current: number;
  /** Median of the segment's size over the last BASELINE_RUNS runs that recorded it. */
  baseline: number;
  /** Signed change in percent, rounded to one decimal (-100 when a segment emptied). */
  change_pct: number;
}

export interface SizeCheck {
  swings: SizeSwing[];
  /** Segments with no earlier size on record (first run, or newly declared): nothing to compare. */
  new_segments: string[];
}

/**
 * Flags every segment whose size moved more than `thresholdPct` percent from its baseline. A
 * baseline of 0 is not compared (any growth from empty would be an infinite swing); a drop to 0
 * from a non-empty baseline is -100% and is flagged.
 */
export function checkSizeSwings(current: Record<string, number>, runs: readonly DriftRun[], thresholdPct: number): SizeCheck {
  const swings: SizeSwing[] = [];
  const newSegments: string[] = [];
  for (const segment of Object.keys(current).sort()) {
    const size = current[segment]!;
    const past = runs
      .filter((r) => r.status !== 'error' && typeof r.sizes[segment] === 'number' && Number.isFinite(r.sizes[segment]))
      .slice(-BASELINE_RUNS)
      .map((r) => r.sizes[segment]!);
    if (past.length === 0) {
      newSegments.push(segment);
      continue;
    }
    const baseline = median(past);
    if (baseline <= 0) continue;
    const changePct = ((size - baseline) / baseline) * 100;
    if (Math.abs(changePct) > thresholdPct) {
      swings.push({ segment, current: size, baseline, change_pct: Math.round(changePct * 10) / 10 });
    }
  }
  return { swings, new_segments: newSegments };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
