// The secret registry: every credential the process learns is registered here, and every byte the
// tool writes (stdout, stderr, plan files, history, notifications, error messages) passes redact().

const secrets = new Set<string>();

/** Values shorter than this are not treated as secrets (redacting "1" would mangle all output). */
const MIN_SECRET_LENGTH = 6;

export const REDACTED = '[REDACTED]';

/** Registers a credential value (and its common encodings) so it never appears in output. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  secrets.add(encodeURIComponent(value));
  secrets.add(Buffer.from(value, 'utf8').toString('base64'));
}

/** Registers a Basic-auth pair, whose base64 form differs from each part's own encoding. */
export function registerBasicAuth(user: string, password: string): void {
  registerSecret(`${user}:${password}`);
  registerSecret(password);
}

/** Replaces every registered secret in `text` with [REDACTED]. Longest first, so overlaps redact whole. */
export function redact(text: string): string {
  if (secrets.size === 0 || !text) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep-redacts strings inside a JSON-like value (for structured reports). */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactValue(v);
    return out as T;
  }
  return value;
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  secrets.clear();
}
