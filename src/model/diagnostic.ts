// Diagnostics: one problem found in a config (schema, reference, lint rule), with its source position.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable rule id: `AUD001`…, or a category for non-lint problems: `schema`, `reference`, `semantic`, `yaml`, `input`, `env`. */
  rule: string;
  severity: Severity;
  /** What is wrong and how to fix it, in one or two sentences. */
  message: string;
  /** YAML path of the offending node, dotted (`activities.homepage_hero.experiences.0.audience`); '' for the document. */
  path: string;
  /** Absolute or as-given path of the file the problem is in. */
  file: string;
  /** 1-based line and column of the offending node (1,1 when unknown). */
  line: number;
  column: number;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Deterministic order for reports: by file, line, column, then rule. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}
