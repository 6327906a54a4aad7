// AUD004 misaligned-window: an experience outlives its segment, or sync is too slow for a window.
import { formatDuration } from '../duration.js';
import type { Finding } from '../findings.js';
import { listTargetedExperiences, type LintRule } from './rule.js';

export const misalignedWindow: LintRule = {
  id: 'AUD004',
  name: 'misaligned-window',
  severity: 'error',
  summary: "An experience lasts longer than its segment's window, or sync is slower than a quarter of a window.",
  check(config) {
    const findings: Finding[] = [];
    let shortest: { key: string; ms: number; text: string } | undefined;
    for (const { activity, index, audience, segment } of listTargetedExperiences(config)) {
      const window = segment?.window;
      if (!segment || !window) continue;
      if (!shortest || window.ms < shortest.ms) shortest = { key: segment.key, ms: window.ms, text: window.text };
      const lasts = activity.experiences[index].lasts;
      if (lasts && lasts.ms > window.ms) {
        findings.push({
          path: ['activities', activity.key, 'experiences', index, 'lasts'],
          message:
            `This experience lasts ${lasts.text} but audience \`${audience.key}\` mirrors segment \`${segment.key}\`, whose window is ${window.text}: ` +
            `people leave the segment while the experience still promises it. Set \`lasts\` to ${window.text} or less, or widen the segment's window.`,
        });
      }
    }
    const latency = config.sync.max_latency;
    if (shortest && latency.ms * 4 > shortest.ms) {
      findings.push({
        path: ['sync', 'max_latency'],
        message:
          `sync.max_latency is ${latency.text}, more than a quarter of the ${shortest.text} window of segment \`${shortest.key}\`: ` +
          `Target would act on stale membership for much of the window. Set \`sync.max_latency\` to ${formatDuration(Math.floor(shortest.ms / 4))} or less.`,
      });
    }
    return findings;
  },
};
