// Durations as written in the config (30m, 4h, 21d, 1w) and their length in milliseconds.
import type { Duration } from './types.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^([1-9][0-9]{0,5})([smhdw])$/;

/** Parses `30m`, `4h`, `21d`, `1w` (also `45s`); undefined for anything else, zero included. */
export function parseDuration(text: string): Duration | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return { text: text.trim(), ms: Number(match[1]) * UNIT_MS[match[2]] };
}

/** The shortest readable form of a length in ms (for messages: "a quarter of 4h is 1h"). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNIT_MS[unit];
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
