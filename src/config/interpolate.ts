// `${VAR}` references in provider settings: parsing templates and substituting environment values.
import type { Interpolated } from './types.js';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}?/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface TemplateProblem {
  /** What is wrong with the reference, for a message. */
  reason: string;
}

/** Parses a setting into a template and its variables; `$${` is a literal `${`. */
export function parseTemplate(text: string): { value: Interpolated; problems: TemplateProblem[] } {
  const vars: string[] = [];
  const problems: TemplateProblem[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    if (match[0] === '$${') continue;
    if (!match[0].endsWith('}')) {
      problems.push({ reason: `\`${match[0]}\` is not closed: write \`\${NAME}\`` });
      continue;
    }
    const name = match[1] ?? '';
    if (!VAR_NAME.test(name)) {
      problems.push({ reason: `\`\${${name}}\` is not a valid variable name: use letters, digits and _ (e.g. \${CUSTOMERIO_APP_API_KEY})` });
      continue;
    }
    if (!vars.includes(name)) vars.push(name);
  }
  return { value: { template: text, vars }, problems };
}

/** Substitutes every `${VAR}` from env; lists the variables that are unset or empty. */
export function interpolateTemplate(
  template: string,
  env: NodeJS.ProcessEnv,
): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = template.replace(REFERENCE, (whole: string, name: string | undefined) => {
    if (whole === '$${') return '${';
    if (name === undefined || !whole.endsWith('}') || !VAR_NAME.test(name)) return whole;
    const v = env[name];
    if (v === undefined || v === '') {
      if (!missing.includes(name)) missing.push(name);
      return whole;
    }
    return v;
  });
  return { value, missing };
}

/** Interpolates a non-secret setting when every variable is set; otherwise keeps the template for later. */
export function interpolateWhenSet(template: string, env: NodeJS.ProcessEnv): string {
  const { value, missing } = interpolateTemplate(template, env);
  return missing.length === 0 ? value : template;
}
