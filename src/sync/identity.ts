// Identity for Data Out: which Customer.io identifier becomes the Target thirdPartyId, its optional
// sha256 hashing, and the ids Target cannot take (reported with masked samples, never sent).
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';

/** One person as Customer.io membership pages and exports name them. */
export interface PersonIdentifiers {
  id?: string | null;
  email?: string | null;
  cio_id?: string | null;
}

export type IdentityConfig = Config['identity'];

export type RejectReason = 'missing' | 'empty' | 'contains_plus' | 'contains_slash' | 'too_long';

/** Target's limit on thirdPartyId length. */
export const MAX_TARGET_ID_LENGTH = 128;

/** Why each reason is rejected, for reports. */
export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
  missing: 'the person has no value for the configured identifier',
  empty: 'the identifier is empty',
  contains_plus: 'Target ids must not contain "+"',
  contains_slash: 'Target ids must not contain "/"',
  too_long: `Target ids are at most ${MAX_TARGET_ID_LENGTH} characters`,
};

/**
 * The normalized Customer.io identifier of a person (the value the holdout hash and the writeback
 * use), or undefined when the person has none. Normalization: trimmed; emails also lowercased
 * (Customer.io matches emails case-insensitively); ids and cio_ids keep their case.
 */
export function customerioKey(person: PersonIdentifiers, identity: IdentityConfig): string | undefined {
  const raw = person[identity.customerio];
  if (raw === undefined || raw === null) return undefined;
  const s = String(raw).trim();
  return identity.customerio === 'email' ? s.toLowerCase() : s;
}

/** sha256 of the normalized key, lowercase hex (64 characters). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The Target thirdPartyId for a normalized Customer.io key (hashed when identity.hash is sha256). */
export function targetIdFor(key: string, identity: IdentityConfig): string {
  return identity.hash === 'sha256' ? sha256Hex(key) : key;
}

/** Why Target cannot take this id, or undefined when it can. */
export function rejectReason(targetId: string | undefined): RejectReason | undefined {
  if (targetId === undefined) return 'missing';
  if (targetId.length === 0) return 'empty';
  if (targetId.includes('+')) return 'contains_plus';
  if (targetId.includes('/')) return 'contains_slash';
  if (targetId.length > MAX_TARGET_ID_LENGTH) return 'too_long';
  return undefined;
}

export type ResolvedIdentity =
  | { ok: true; key: string; targetId: string }
  | { ok: false; reason: RejectReason; /** the raw value, for masking; '' when missing */ raw: string };

/** Picks, normalizes, hashes and validates one person's identity. */
export function resolveIdentity(person: PersonIdentifiers, identity: IdentityConfig): ResolvedIdentity {
  const key = customerioKey(person, identity);
  if (key === undefined) return { ok: false, reason: 'missing', raw: describeMissing(person) };
  if (key.length === 0) return { ok: false, reason: 'empty', raw: '' };
  const targetId = targetIdFor(key, identity);
  const reason = rejectReason(targetId);
  if (reason) return { ok: false, reason, raw: key };
  return { ok: true, key, targetId };
}

/** A missing identifier is sampled by another identifier of the same person, so it can be found. */
function describeMissing(person: PersonIdentifiers): string {
  return String(person.cio_id ?? person.id ?? person.email ?? '');
}

/**
 * A privacy-safe sample of a rejected id: its first three characters, its length and a short hash,
 * enough to find the person in Customer.io without printing an email or an id in CI logs.
 */
export function maskId(raw: string): string {
  if (raw.length === 0) return '(empty)';
  const head = [...raw].slice(0, 3).join('');
  return `${head}…(${raw.length} chars, sha256:${sha256Hex(raw).slice(0, 10)})`;
}
