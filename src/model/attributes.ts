// The Target profile attribute names that `sync` writes and compiled audience rules read: the one
// source of truth, so the two can never disagree.

/** Segment membership flag, pushed as an explicit "true" or "false" (Target never clears a value). */
export function segmentAttribute(segmentKey: string): string {
  return `seg_${segmentKey}`;
}

/** An exported Customer.io trait. */
export function fieldAttribute(fieldKey: string): string {
  return `trait_${fieldKey}`;
}

/** Holdout assignment flag, "true" for the control group, "false" for everyone else. */
export function holdoutAttribute(holdoutKey: string): string {
  return `holdout_${holdoutKey}`;
}

export const TRUE = 'true';
export const FALSE = 'false';
