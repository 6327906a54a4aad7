// Picks the plan renderer for --format (human, markdown, json); each renderer loads only when used.
import type { Plan } from '../plan/types.js';

export async function renderPlan(plan: Plan, format: 'human' | 'markdown' | 'json', color: boolean): Promise<string> {
  switch (format) {
    case 'json':
      return (await import('../render/plan-json.js')).renderPlanJson(plan);
    case 'markdown':
      return (await import('../render/plan-markdown.js')).renderPlanMarkdown(plan);
    case 'human':
      return (await import('../render/plan-human.js')).renderPlanHuman(plan, { color });
  }
}
