// End-to-end check for one test profile: out of, into, then out of a manual segment via Track;
// sync just that profile; read its Target profile; ask Delivery what the location serves; compare
// with what the contract says at each phase.
import type { Config, SegmentDef } from '../config/types.js';
import { UsageError } from '../model/errors.js';
import { parseMarker, stripHtmlMarker } from '../plan/marker.js';
import { FALSE, TRUE, segmentAttribute } from '../model/attributes.js';
import { expectedExperience, type ExpectedExperience } from './expected.js';
import { resolveIdentity } from './identity.js';
import { runSync, type PollOptions } from './run-sync.js';
import type { SyncSources } from './sources.js';
import type { SyncStore } from './state/types.js';

export interface Delivered {
  /** Content of the first option, undefined when the location served nothing. */
  content?: string;
  activityId?: string;
  offerId?: string;
}

export interface VerifyTarget {
  /** Profile attribute values (strings), or undefined when Target has no such profile (yet). */
  getProfile(thirdPartyId: string): Promise<Record<string, string> | undefined>;
  deliver(thirdPartyId: string, location: string): Promise<Delivered>;
}

export interface VerifyMembership {
  add(segment: SegmentDef, key: string): Promise<void>;
  remove(segment: SegmentDef, key: string): Promise<void>;
}

export interface VerifyOptions {
  config: Config;
  store: SyncStore;
  sources: SyncSources;
  /** Where sync writes its batch files (RunSyncOptions.workDir). */
  workDir?: string;
  membership: VerifyMembership;
  target: VerifyTarget;
  /** The Customer.io identifier of the test profile (per identity.customerio). */
  profile: string;
  segment?: string;
  location?: string;
  /** Makes sure the contract's audiences and activities exist in Target (an apply), before the check. */
  ensureApplied?: () => Promise<void>;
  /** How long to wait for each propagation step (Customer.io membership, Target profile, Delivery). */
  timeoutMs?: number;
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  poll?: PollOptions;
  onPhase?: (phase: VerifyPhase) => void;
}

export interface VerifyPhase {
  name: 'before' | 'in' | 'after';
  member: boolean;
  /** The segment flag in the Target profile (undefined: never arrived). */
  targetFlag?: string;
  expected?: Pick<ExpectedExperience, 'activity' | 'experience' | 'offer'>;
  served: { content?: string; activityId?: string; offerId?: string; offer?: string };
  ok: boolean;
  problem?: string;
}

export interface VerifyReport {
  profile: string;
  thirdPartyId: string;
  segment: string;
  location: string;
  phases: VerifyPhase[];
  /** The experience served differed between in and out of the segment. */
  switched: boolean;
  ok: boolean;
}

/** The manual segment and location verify works with (flags, or the first that fits the contract). */
export function chooseVerifyTarget(config: Config, segment?: string, location?: string): { segment: SegmentDef; location: string } {
  const manual = Object.values(config.segments).filter((s) => s.type === 'manual');
  let seg: SegmentDef | undefined;
  if (segment) {
    seg = config.segments[segment];
    if (!seg) throw new UsageError(`No segment "${segment}" in the config.`, { hint: `Segments: ${Object.keys(config.segments).join(', ')}.` });
    if (seg.type !== 'manual') {
      throw new UsageError(`Segment "${segment}" is data-driven: only a manual segment can be changed through the Track API.`, {
        hint: manual.length ? `Use a manual segment: ${manual.map((s) => s.key).join(', ')}.` : 'Declare a manual segment for testing (type: manual) and an audience on it.',
      });
    }
  }
  const usesSeg = (s: SegmentDef) =>
    Object.values(config.activities).filter((a) => a.experiences.some((e) => e.audience && config.audiences[e.audience]?.segment === s.key));
  if (!seg) {
    seg = manual.find((s) => usesSeg(s).length > 0);
    if (!seg) {
      throw new UsageError('No manual segment drives an activity, so verify has nothing it can switch.', {
        hint: 'Verify needs a manual test segment (type: manual), an audience on it and an experience for that audience. Apply and verify the QA program in examples/verify-qa.yaml (same accounts, its own location), or add such a segment here.',
      });
    }
  }
  let loc = location;
  if (!loc) {
    const act = usesSeg(seg)[0];
    if (!act) throw new UsageError(`No activity serves an audience on segment "${seg.key}".`, { hint: 'Pass --location MBOX.' });
    loc = act.location;
  }
  return { segment: seg, location: loc };
}

export async function runVerify(opts: VerifyOptions): Promise<VerifyReport> {
  const { config } = opts;
  const { segment, location } = chooseVerifyTarget(config, opts.segment, opts.location);
  const who = resolveIdentity({ [config.identity.customerio]: opts.profile }, config.identity);
  if (!who.ok) {
    throw new UsageError(`The profile id cannot be sent to Target (${who.reason}).`, { hint: 'Use another test profile, or identity.hash: sha256.' });
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const intervalMs = opts.intervalMs ?? 1000;
  const attr = segmentAttribute(segment.key);
  const only = new Set([who.key]);

  if (opts.ensureApplied) await opts.ensureApplied();

  /** Retries `probe` until it returns a value, or the timeout passes (then the last result). */
  const until = async <T>(probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (done(v) || Date.now() >= deadline) return v;
      await sleep(intervalMs);
    }
  };

  const phases: VerifyPhase[] = [];
  for (const [name, member] of [
    ['before', false],
    ['in', true],
    ['after', false],
  ] as const) {
    if (member) await opts.membership.add(segment, who.key);
    else await opts.membership.remove(segment, who.key);
    const want = member ? TRUE : FALSE;
    // Sync the one profile until its flag is confirmed (Customer.io membership may lag a write).
    await until(
      async () => {
        await runSync({ config, sources: opts.sources, store: opts.store, workDir: opts.workDir, only, poll: opts.poll });
        return opts.store.profile(who.targetId)?.pushed[attr];
      },
      (v) => v === want,
    );
    const profile = await until(
      () => opts.target.getProfile(who.targetId),
      (p) => p?.[attr] === want,
    );
    const expected = expectedExperience(config, location, profile ?? {});
    const served = await until(
      () => opts.target.deliver(who.targetId, location),
      (d) => sameContent(d.content, expected?.content),
    );
    const flagOk = profile?.[attr] === want;
    const servedOk = sameContent(served.content, expected?.content);
    const marker = parseMarker(served.content);
    const offer =
      marker && marker.workspace === config.workspace && config.offers[marker.key]
        ? config.offers[marker.key]
        : Object.values(config.offers).find((o) => served.content !== undefined && sameContent(o.content, served.content));
    const phase: VerifyPhase = {
      name,
      member,
      targetFlag: profile?.[attr],
      expected: expected ? { activity: expected.activity, experience: expected.experience, offer: expected.offer } : undefined,
      served: { ...served, offer: offer?.key },
      ok: flagOk && servedOk,
      problem: !flagOk
        ? `Target profile has ${attr}=${profile?.[attr] ?? '(none)'}, expected ${want}`
        : !servedOk
          ? `Delivery served ${offer ? `offer ${offer.key}` : served.content === undefined ? 'nothing' : 'an unknown offer'}, the contract says ${expected ? `offer ${expected.offer}` : 'nothing'}`
          : undefined,
    };
    phases.push(phase);
    opts.onPhase?.(phase);
  }
  const [before, inside, after] = phases as [VerifyPhase, VerifyPhase, VerifyPhase];
  const switched = !sameContent(before.served.content, inside.served.content);
  return {
    profile: opts.profile,
    thirdPartyId: who.targetId,
    segment: segment.key,
    location,
    phases,
    switched,
    ok: phases.every((p) => p.ok),
  };
}

/** Offer content as served equals the contract's, ignoring whitespace and the ownership marker apply adds. */
function sameContent(a: string | undefined, b: string | undefined): boolean {
  const norm = (s: string | undefined) => stripHtmlMarker(s ?? '').replace(/\s+/g, ' ').trim();
  return norm(a) === norm(b);
}

export function renderVerifyHuman(r: VerifyReport): string {
  const lines = [`Verify profile ${r.profile} on segment ${r.segment} at location ${r.location}`, ''];
  for (const p of r.phases) {
    const exp = p.expected ? `${p.expected.offer} (${p.expected.activity} / ${p.expected.experience})` : 'nothing';
    const got = p.served.offer ?? (p.served.content === undefined ? 'nothing' : 'unknown content');
    lines.push(
      `  ${p.ok ? 'ok  ' : 'FAIL'} ${p.name.padEnd(6)} ${p.member ? 'in segment    ' : 'not in segment'}  profile ${segmentAttribute(r.segment)}=${p.targetFlag ?? '(none)'}  expected ${exp}, served ${got}`,
    );
    if (p.problem) lines.push(`       ${p.problem}`);
  }
  lines.push('');
  lines.push(
    r.ok
      ? `Verified: Target serves what the contract says${r.switched ? ', and the experience switches with the segment' : ' (the experience does not depend on this segment here)'}.`
      : 'NOT verified: what Target serves differs from the contract (see above).',
  );
  return `${lines.join('\n')}\n`;
}
