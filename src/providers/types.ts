// The provider interface every platform implements (dnscontrol style): populate the existing state
// as canonical Resources, apply one Change at a time. See docs/providers.md for the full contract.
import type { Change, PlatformName, Resource, ResourceKind } from '../plan/types.js';

/** Server ids known during a run, by resource address (read by populate, added by each create). */
export interface IdLookup {
  idOf(address: string): string | number | undefined;
}

export interface ProviderContext {
  /** The config's workspace: ownership markers and thirdPartyIds are written and read with it. */
  workspace: string;
  /** Ids of existing objects and of objects created earlier in this apply (activities need them). */
  ids: IdLookup;
  /** Cancels in-flight work (Ctrl-C, a global deadline). */
  signal?: AbortSignal;
  /**
   * How much populate reads in full: 'owned' (default: full bodies only where the diff or the guards
   * need them) or 'all' (every object, for `audiences import`, which converts unowned ones too).
   */
  detail?: 'owned' | 'all';
  /** Progress lines (already free of secrets; the CLI redacts again anyway). */
  log?: (line: string) => void;
}

export interface ApplyResult {
  address: string;
  status: 'succeeded' | 'failed' | 'skipped';
  /** Server id of the object after the change (new id on create/replace). */
  id?: string | number;
  /** The object as the platform echoed it, converted (lets the caller check convergence early). */
  resource?: Resource;
  /** What went wrong / why skipped, free of secrets, saying what to do. */
  message?: string;
}

/**
 * One platform. The contract (docs/providers.md):
 *
 * - **populate** reads every object of the kinds it manages, owned or not, and converts them with the
 *   pure `convert.ts` into canonical Resources (owned ones keyed by their marker, others `#<id>`).
 *   It never filters by ownership (the diff does, and warns on name collisions), and fails loudly
 *   rather than returning a partial list: a read error must never look like "nothing exists".
 * - **apply** performs exactly one Change and is **idempotent**: creating an object that already
 *   exists with our marker/thirdPartyId (a retried or interrupted apply) adopts it instead of
 *   duplicating it; deleting a missing object succeeds; updates are full replaces of our fields.
 * - **ordering** is the plan's: the engine calls apply for a change only after every change in its
 *   `dependsOn` succeeded, and passes created ids through `ctx.ids`. A provider never reorders.
 * - **partial failure**: apply resolves with status `failed` (never throws for a platform error) so
 *   independent changes go on; the next plan is the recovery report and a re-apply converges.
 * - `manual` changes are never passed to apply.
 */
export interface Provider {
  readonly platform: PlatformName;
  /** Kinds this provider reads and writes. */
  readonly kinds: readonly ResourceKind[];
  /** What the platform API cannot represent or do (printed by docs and `--help`). */
  readonly limitations: readonly string[];
  populate(ctx: ProviderContext): Promise<Resource[]>;
  apply(change: Change, ctx: ProviderContext): Promise<ApplyResult>;
}

/**
 * Runs one change's platform calls and turns the outcome into an ApplyResult: the id a create or
 * replace produced, or "failed" with the error's message (a provider's apply never throws).
 */
export async function settleChange(change: Change, perform: () => Promise<number | undefined>): Promise<ApplyResult> {
  try {
    const id = await perform();
    return id === undefined ? { address: change.address, status: 'succeeded' } : { address: change.address, status: 'succeeded', id };
  } catch (err) {
    return { address: change.address, status: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}
