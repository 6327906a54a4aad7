// Data Out's public API: run a sync, verify one profile end to end, and the pieces they are built from.
export { runSync, type RunSyncOptions, type SyncStage, type PollOptions } from './run-sync.js';
export { runVerify, renderVerifyHuman, chooseVerifyTarget, type VerifyOptions, type VerifyReport, type VerifyPhase } from './verify.js';
export { renderSyncHuman, type SyncReport } from './report.js';
export { buildSyncSpec, desiredAttributes, diffProfile, normalizeTrait, type SyncSpec } from './compute.js';
export { expectedExperience, type ExpectedExperience } from './expected.js';
export { resolveIdentity, rejectReason, maskId, sha256Hex, type PersonIdentifiers, type RejectReason } from './identity.js';
export { holdoutBucket, isHeldOut, holdoutWritebackAttribute } from './holdout.js';
export { BatchBuilder, batchHeader, batchLine, parseBatch, MAX_BATCH_ROWS, MAX_BATCH_BYTES, type BatchLimits } from './batch.js';
export { customerioSources, targetProfileSink, targetVerifyProbe, customerioManualMembership } from './adapters.js';
export { openSyncSession, type SyncSession, type SyncSessionOptions } from './session.js';
export { SqliteSyncStore, openSqliteStore } from './state/sqlite.js';
export { UNKNOWN_VALUE, type SyncStore } from './state/types.js';
export { MissingSegmentError, type MembershipSource, type TraitSource, type ProfileSink, type WritebackSink, type SyncSources } from './sources.js';
export { outputProgress, silentProgress, type SyncProgress } from './progress.js';
