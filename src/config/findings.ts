// A finding is a problem at a YAML path, before it is placed in a file; toDiagnostic places it.
import type { Diagnostic, Severity } from '../model/diagnostic.js';
import { formatPath, type Locate, type PathSegment } from './positions.js';

export interface Finding {
  path: PathSegment[];
  message: string;
  /** Point at the key instead of the value (unknown keys, missing children). */
  part?: 'key' | 'value';
}

export function toDiagnostic(
  rule: string,
  severity: Severity,
  finding: Finding,
  file: string,
  locate: Locate,
): Diagnostic {
  const { line, column } = locate(finding.path, finding.part);
  return { rule, severity, message: finding.message, path: formatPath(finding.path), file, line, column };
}

/** A problem with the file as a whole (unreadable, empty, too big): placed at 1:1. */
export function fileDiagnostic(rule: string, file: string, message: string, line = 1, column = 1): Diagnostic {
  return { rule, severity: 'error', message, path: '', file, line, column };
}
