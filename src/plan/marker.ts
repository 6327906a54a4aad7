// Ownership markers: how a platform object tells us, with no state file, that this workspace of
// audiences owns it and under which YAML key. Pure string functions.

export interface Marker {
  workspace: string;
  key: string;
}

const MARKER_RE = /\[audiences:([^:\]\s]+):([^\]\s]+)\]/g;
const HTML_MARKER_RE = /\s*<!--\s*\[audiences:[^:\]\s]+:[^\]\s]+\]\s*-->\s*/g;

/** `[audiences:<workspace>:<key>]`. */
export function formatMarker(workspace: string, key: string): string {
  return `[audiences:${workspace}:${key}]`;
}

/** The last marker found anywhere in `text` (a UI edit may append text after it), or undefined. */
export function parseMarker(text: string | null | undefined): Marker | undefined {
  if (!text) return undefined;
  let last: Marker | undefined;
  for (const m of text.matchAll(MARKER_RE)) last = { workspace: m[1], key: m[2] };
  return last;
}

/** Removes every marker (and the whitespace around it) from a description. */
export function stripMarker(text: string | null | undefined): string {
  if (!text) return '';
  return text.replace(MARKER_RE, '').replace(/[ \t]+\n/g, '\n').trim();
}

/** A description carrying the marker on its own last line (segments, audiences). */
export function withMarker(description: string | undefined, workspace: string, key: string): string {
  const marker = formatMarker(workspace, key);
  const text = (description ?? '').trim();
  return text ? `${text}\n${marker}` : marker;
}

/**
 * Offer content carrying the marker in a trailing HTML comment: content offers have no description
 * field, and a comment is invisible on the page.
 */
export function withHtmlMarker(content: string, workspace: string, key: string): string {
  return `${content}\n<!-- ${formatMarker(workspace, key)} -->`;
}

/** Offer content without its marker comment. */
export function stripHtmlMarker(content: string | null | undefined): string {
  if (!content) return '';
  return content.replace(HTML_MARKER_RE, '\n').replace(MARKER_RE, '').trim();
}

/** An activity's thirdPartyId: `<workspace>/<activity key>` (idempotency and ownership key). */
export function formatThirdPartyId(workspace: string, key: string): string {
  return `${workspace}/${key}`;
}

export function parseThirdPartyId(thirdPartyId: string | null | undefined): Marker | undefined {
  if (!thirdPartyId) return undefined;
  const i = thirdPartyId.indexOf('/');
  if (i <= 0 || i === thirdPartyId.length - 1) return undefined;
  return { workspace: thirdPartyId.slice(0, i), key: thirdPartyId.slice(i + 1) };
}
