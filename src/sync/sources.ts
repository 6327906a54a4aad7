// The small I/O seams of sync: where membership and traits come from, where profile batches go,
// where holdout assignments are written back. Adapters over the real clients live in adapters.ts;
// tests use in-memory fakes.
import type { SegmentDef } from '../config/types.js';
import type { PersonIdentifiers } from './identity.js';

/** A segment of the contract that the platform does not have (not applied yet, or deleted). */
export class MissingSegmentError extends Error {
  constructor(
    readonly segmentKey: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'MissingSegmentError';
  }
}

export interface MembershipSource {
  /** Members of one segment, page by page (streamed: never the whole segment at once). Throws MissingSegmentError before the first page when the segment does not exist. */
  members(segment: SegmentDef): AsyncIterable<PersonIdentifiers[]>;
}

export interface PersonAttributes {
  person: PersonIdentifiers;
  attributes: Record<string, unknown>;
}

export interface TraitSource {
  /** Attributes of people by normalized Customer.io key (≤ 100 keys a call); unknown people are absent. */
  read(keys: string[]): Promise<Map<string, Record<string, unknown>>>;
  /** Bulk path (a Customer.io export): everyone in these segments with these attributes, streamed. */
  bulk?(segments: SegmentDef[], fields: string[]): AsyncIterable<PersonAttributes[]>;
}

export type RemoteBatchStatus = 'complete' | 'incomplete' | 'stuck';

export interface BatchStatusResult {
  status: RemoteBatchStatus;
  /** From the detailed status, when Target gives it. */
  successful?: number;
  failed?: number;
  notFound?: number;
}

/** A Bulk Profile Update v2 file on local disk (ASCII text: its length is its size). */
export interface BatchUpload {
  path: string;
  bytes: number;
  rows: number;
}

export interface ProfileSink {
  /** Uploads one batch file (streamed, never read whole into memory); resolves once Target accepted it. */
  upload(file: BatchUpload): Promise<{ batchId: string; statusUrl?: string }>;
  status(batch: { batchId: string; statusUrl?: string }): Promise<BatchStatusResult>;
}

export interface WritebackSink {
  /** Sets person attributes in Customer.io (Track identify) for a normalized key. */
  identify(key: string, attributes: Record<string, string>): Promise<void>;
}

export interface SyncSources {
  membership: MembershipSource;
  traits: TraitSource;
  profiles: ProfileSink;
  writeback?: WritebackSink;
}
