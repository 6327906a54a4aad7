// Reading audiences.yaml safely: type, size and encoding checks before parsing, then YAML parsing
// with positions, duplicate-key errors and alias-bomb protection.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { isScalar, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';
import { fileDiagnostic } from './findings.js';

/** Configs are a few KB; anything near this is the wrong file (or an attack). */
export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;
/** Alias expansions allowed when building the data: generous for DRY YAML, fatal for a "billion laughs". */
export const MAX_ALIAS_COUNT = 100;

export interface ConfigSource {
  /** As given by the caller (used in messages). */
  file: string;
  /** Absolute folder of the file: content_file and the state dir resolve against it. */
  dir: string;
  text: string;
}

export interface ParsedConfig {
  doc: Document;
  lineCounter: LineCounter;
  /** The plain data (aliases expanded); undefined when parsing failed. */
  data: unknown;
  diagnostics: Diagnostic[];
}

/** Reads the file after checking it is a regular, non-huge, UTF-8 text file. Never throws. */
export async function readConfigSource(file: string): Promise<{ source?: ConfigSource; diagnostics: Diagnostic[] }> {
  const fail = (message: string) => ({ diagnostics: [fileDiagnostic('input', file, message)] });
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    return fail(describeFsError(file, err));
  }
  if (info.isDirectory()) {
    return fail(
      `${file} is a directory, not a config file. Pass the file itself, e.g. \`-c ${path.join(file, 'audiences.yaml')}\`.`,
    );
  }
  if (!info.isFile()) return fail(`${file} is not a regular file. Pass the path of your audiences.yaml.`);
  if (info.size > MAX_CONFIG_BYTES) {
    return fail(
      `${file} is ${formatMegabytes(info.size)}, over the 10 MB limit for a config. An audiences.yaml is a few KB: check that you passed the right file.`,
    );
  }
  let bytes: Buffer;
  try {
    // Read through one handle with a hard cap, so a file that grows after stat() is still bounded.
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(info.size, MAX_CONFIG_BYTES) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    return fail(describeFsError(file, err));
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    return fail(`${file} is over the 10 MB limit for a config. An audiences.yaml is a few KB: check that you passed the right file.`);
  }
  const text = decodeText(bytes);
  if (text === undefined) {
    return fail(
      `${file} is not a UTF-8 text file (it looks binary). Pass the YAML config, e.g. \`-c audiences.yaml\`.`,
    );
  }
  return { source: { file, dir: path.dirname(path.resolve(file)), text }, diagnostics: [] };
}

/** Parses YAML text with positions; every syntax problem becomes a diagnostic. Never throws. */
export function parseConfigText(source: ConfigSource): ParsedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const diagnostics: Diagnostic[] = [];
  for (const err of doc.errors) diagnostics.push(yamlDiagnostic(source, lineCounter, err, 'error'));
  for (const warn of doc.warnings) diagnostics.push(yamlDiagnostic(source, lineCounter, warn, 'warning'));
  if (diagnostics.some((d) => d.severity === 'error')) return { doc, lineCounter, data: undefined, diagnostics };

  const contents = doc.contents;
  if (contents === null || contents === undefined || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    diagnostics.push(
      fileDiagnostic(
        'input',
        source.file,
        `${source.file} is empty. A config needs at least \`version: 1\` and \`workspace: <name>\`; start from examples/minimal.yaml.`,
      ),
    );
    return { doc, lineCounter, data: undefined, diagnostics };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const bomb = err instanceof ReferenceError || /alias/i.test(String((err as Error)?.message));
    diagnostics.push(
      fileDiagnostic(
        'yaml',
        source.file,
        bomb
          ? `${source.file} expands YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times, the pattern of an alias bomb. Write the repeated values out, or use fewer anchors.`
          : `${source.file} cannot be read as data: ${(err as Error)?.message ?? String(err)}. Fix the YAML at that point.`,
      ),
    );
    return { doc, lineCounter, data: undefined, diagnostics };
  }
  return { doc, lineCounter, data, diagnostics };
}

function yamlDiagnostic(source: ConfigSource, lineCounter: LineCounter, err: YAMLError, severity: 'error' | 'warning'): Diagnostic {
  const offset = Math.min(Math.max(0, err.pos?.[0] ?? 0), source.text.length);
  const { line, col } = lineCounter.linePos(offset);
  let reason = err.message.replace(/\s+at line \d+, column \d+.*$/s, '').trim().replace(/\.$/, '');
  if (err.code === 'MULTIPLE_DOCS') reason = 'The file holds more than one YAML document';
  if (/call stack/i.test(reason)) {
    return {
      rule: 'yaml',
      severity,
      message: 'The YAML is nested too deeply to read. A config is only a few levels deep: check the brackets and indentation here.',
      path: '',
      file: source.file,
      line,
      column: col,
    };
  }
  if (err.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(source.text.slice(offset))?.[0].trim() ?? '';
    if (key && key.length <= 60 && !key.includes('\n')) reason = `Key \`${key}\` appears twice in the same mapping`;
  }
  return {
    rule: 'yaml',
    severity,
    message: `${reason}. ${yamlFix(err.code)}`,
    path: '',
    file: source.file,
    line,
    column: col,
  };
}

function yamlFix(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'Each key may appear only once in a mapping: remove or rename the repeated key.';
    case 'MULTIPLE_DOCS':
      return 'Keep one YAML document in the file: remove the extra `---`.';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'Check the indentation (spaces, not tabs) and the quoting on this line.';
    case 'TAB_AS_INDENT':
      return 'Indent with spaces, not tabs.';
    case 'BAD_ALIAS':
    case 'BAD_DIRECTIVE':
      return 'Remove or fix the alias or directive here.';
    case 'TAG_RESOLVE_FAILED':
      return 'Remove the custom `!tag`: the config uses plain YAML only.';
    default:
      return 'Fix the YAML syntax at this position.';
  }
}

function describeFsError(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return `${file} does not exist. Create it (examples/minimal.yaml is a starting point) or pass the right path with \`-c FILE\`.`;
    case 'EACCES':
    case 'EPERM':
      return `${file} cannot be read (permission denied). Check the file's permissions.`;
    case 'ENOTDIR':
      return `${file} does not exist: a part of the path is not a folder. Pass the right path with \`-c FILE\`.`;
    case 'EISDIR':
      return `${file} is a directory, not a config file. Pass the file itself.`;
    default:
      return `${file} cannot be read (${code ?? 'I/O error'}). Check the path and try again.`;
  }
}

/** Strict UTF-8 (a BOM is dropped); NUL bytes mark binary content even when they decode. */
function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return undefined;
  }
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
