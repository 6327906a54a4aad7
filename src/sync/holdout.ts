// Deterministic holdout assignment: sha256(salt + ":" + key) → a bucket in [0, 10000) compared with
// percent × 100. The same on every run and machine, independent of run order and population.
import { createHash } from 'node:crypto';
import type { HoldoutDef } from '../config/types.js';

export const HOLDOUT_BUCKETS = 10_000;

/** Customer.io person attribute that mirrors the assignment when `writeback` is on. */
export function holdoutWritebackAttribute(holdoutKey: string): string {
  return `audiences_holdout_${holdoutKey}`;
}

/**
 * The bucket of one person: the first 8 bytes of the digest as an unsigned integer, modulo 10,000.
 * 2^64 mod 10,000 leaves a bias below 1e-15, far under any percent that can be declared.
 */
export function holdoutBucket(salt: string, key: string): number {
  const digest = createHash('sha256').update(`${salt}:${key}`, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(HOLDOUT_BUCKETS));
}

/** True when the person is in the control group of this holdout. */
export function isHeldOut(holdout: Pick<HoldoutDef, 'salt' | 'percent'>, key: string): boolean {
  return holdoutBucket(holdout.salt, key) < Math.round(holdout.percent * 100);
}
