// The lint rule registry: every rule in id order, the catalogue of non-lint categories, and the
// runner that turns findings into placed diagnostics.
import type { Diagnostic, Severity } from '../../model/diagnostic.js';
import { toDiagnostic } from '../findings.js';
import type { Locate } from '../positions.js';
import type { Config } from '../types.js';
import { tooManyAudiences } from './aud001-too-many-audiences.js';
import { unstableIdentifier } from './aud002-unstable-identifier.js';
import { missingPrecedence } from './aud003-missing-precedence.js';
import { misalignedWindow } from './aud004-misaligned-window.js';
import { noHoldout } from './aud005-no-holdout.js';
import { incentiveStacking } from './aud006-incentive-stacking.js';
import { unusedField } from './aud007-unused-field.js';
import { unmirrored } from './aud008-unmirrored.js';
import { cooldownConflict } from './aud009-cooldown-conflict.js';
import { literalSecret } from './aud010-literal-secret.js';
import { unreachableExperience } from './aud011-unreachable-experience.js';
import { experienceOrder } from './aud012-experience-order.js';
import { splitTotal } from './aud013-split-total.js';
import { priorityTie } from './aud014-priority-tie.js';
import type { LintRule } from './rule.js';

export type { LintRule } from './rule.js';

export const LINT_RULES: readonly LintRule[] = [
  tooManyAudiences,
  unstableIdentifier,
  missingPrecedence,
  misalignedWindow,
  noHoldout,
  incentiveStacking,
  unusedField,
  unmirrored,
  cooldownConflict,
  literalSecret,
  unreachableExperience,
  experienceOrder,
  splitTotal,
  priorityTie,
];

export interface RuleInfo {
  id: string;
  name: string;
  severity: Severity;
  summary: string;
}

/** Categories of problems that are not lint rules (they carry these ids in diagnostics). */
export const CATEGORIES: readonly RuleInfo[] = [
  { id: 'input', name: 'input', severity: 'error', summary: 'The config file cannot be read (missing, directory, empty, binary, too big).' },
  { id: 'yaml', name: 'yaml', severity: 'error', summary: 'The file is not valid YAML (syntax, duplicate keys, alias bombs).' },
  { id: 'schema', name: 'schema', severity: 'error', summary: 'A key or value does not fit the config language (unknown key, wrong type, out of range).' },
  { id: 'reference', name: 'reference', severity: 'error', summary: 'A reference names something that is not declared.' },
  { id: 'semantic', name: 'semantic', severity: 'error', summary: 'Values that are valid alone but inconsistent together (duplicate names, missing content file).' },
  { id: 'env', name: 'env', severity: 'error', summary: 'An environment variable a command needs is not set.' },
];

/** Every rule and category, for renderers (SARIF rule metadata, human rule names). */
export function listRuleInfo(): RuleInfo[] {
  return [
    ...LINT_RULES.map(({ id, name, severity, summary }) => ({ id, name, severity, summary })),
    ...CATEGORIES,
  ];
}

export function findRuleInfo(id: string): RuleInfo | undefined {
  return listRuleInfo().find((r) => r.id === id);
}

/** The anchor of a rule's section in docs/rules.md (GitHub's heading slug). */
export function formatRuleAnchor(info: RuleInfo): string {
  return info.id === info.name ? info.id : `${info.id}-${info.name}`.toLowerCase();
}

/** Runs every lint rule; a rule that throws is a bug and is reported as such, not swallowed. */
export function runLintRules(config: Config, file: string, locate: Locate): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of LINT_RULES) {
    for (const finding of rule.check(config)) out.push(toDiagnostic(rule.id, rule.severity, finding, file, locate));
  }
  return out;
}
