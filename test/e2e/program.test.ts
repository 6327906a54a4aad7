// The root program end to end against the sandbox over HTTP: apply then plan is empty for every kind, out-of-band edits are reverted, and every guard refuses without --force.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/commands/apply.js';
import { runPlan } from '../../src/cli/commands/plan.js';
import { AdobeTargetClient } from '../../src/providers/adobe-target/client.js';
import { CustomerioClient } from '../../src/providers/customerio/client.js';
import { formatThirdPartyId } from '../../src/plan/marker.js';
import { FAST_HTTP, buildContext, closeWorkspaces, openWorkspace, type TestWorkspace } from './helpers.js';

const ROOT = path.resolve(__dirname, '../..');
const OFFER_FILES = ['offers/cart-resume.html', 'offers/replenish-reminder.html', 'offers/welcome-second-order.html', 'offers/winback-15.html'];
/** The root program plus one manual segment, so every kind of object is covered. */
const MANUAL_SEGMENT = `  vip_testers: { name: "VIP testers", type: manual, description: "Hand-picked testers" }\n`;

async function loadProgram(): Promise<{ yaml: string; files: Record<string, string> }> {
  const yaml = (await readFile(path.join(ROOT, 'audiences.yaml'), 'utf8')).replace('\naudiences:', `${MANUAL_SEGMENT}\naudiences:`);
  const files: Record<string, string> = {};
  for (const f of OFFER_FILES) files[f] = await readFile(path.join(ROOT, f), 'utf8');
  return { yaml, files };
}

async function plan(ws: TestWorkspace, flags: object = {}) {
  const ctx = buildContext();
  const code = await runPlan({ config: ws.configFile, detailedExitcode: true, ...flags }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
  return { code, out: ctx.output.stdout };
}

async function apply(ws: TestWorkspace, flags: object = {}) {
  const ctx = buildContext();
  try {
    const code = await runApply(undefined, { config: ws.configFile, autoApprove: true, ...flags }, ctx, { runningSandbox: ws.sandbox, http: FAST_HTTP });
    return { code, out: ctx.output.stdout, err: ctx.output.stderr, error: undefined as Error | undefined };
  } catch (error) {
    return { code: 1, out: ctx.output.stdout, err: ctx.output.stderr, error: error as Error };
  }
}

let ws: TestWorkspace;
let base: string;
let target: AdobeTargetClient;
let cio: CustomerioClient;

beforeAll(async () => {
  const program = await loadProgram();
  base = program.yaml;
  ws = await openWorkspace(base, { files: program.files });
  target = new AdobeTargetClient({ provider: ws.sandbox.providers.adobe_target, http: FAST_HTTP });
  cio = new CustomerioClient({ provider: ws.sandbox.providers.customerio, http: FAST_HTTP });
});
afterAll(closeWorkspaces);

/** Puts the base config back and converges (with --force: undoing a guarded change trips the same guard). */
async function restore(): Promise<void> {
  await ws.writeConfig(base);
  const r = await apply(ws, { force: true });
  expect(r.error).toBeUndefined();
  expect((await plan(ws)).code).toBe(0);
}

describe('the root program', () => {
  it('applies every kind, after which the plan is empty (data-driven segments included)', async () => {
    const first = await plan(ws, { format: 'json' });
    const json = JSON.parse(first.out) as { summary: Record<string, number>; changes: Array<{ kind: string; action: string; address: string }> };
    expect(first.code).toBe(2);
    expect(new Set(json.changes.map((c) => c.kind))).toEqual(new Set(['segment', 'audience', 'offer', 'activity']));
    expect(json.summary).toMatchObject({ update: 0, delete: 0, replace: 0, manual: 0 });
    expect(json.changes.filter((c) => c.kind === 'segment').map((c) => c.address)).toEqual(['customerio.segment.vip_testers']);

    const applied = await apply(ws);
    expect(applied.error).toBeUndefined();
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/Apply: 26 succeeded, 0 failed, 0 skipped\./);
    expect(applied.out).toContain('Re-plan: no changes left');

    const again = await plan(ws);
    expect(again.code).toBe(0);
    // Nothing to change; only the read-only references the plan checked, all found.
    expect(again.out).toMatch(/^Read-only references \(Customer\.io data-driven segments/);
    expect(again.out).toMatch(/^ {2}cart_abandoned_4h +101 +"Cart Abandoned \(last 4h\)" +\w+ +\d+ +ok$/m);
    expect(again.out).not.toContain('manual action required');
    expect(again.out.endsWith('\nNo changes. The platforms match audiences.yaml.\n')).toBe(true);
  });

  it('reverts out-of-band edits of every kind with a second apply', async () => {
    const audiences = await target.listAudiences();
    const vip = audiences.find((a) => a.name === 'VIP')!;
    const vipFull = (await target.getAudience(vip.id))!;
    await target.updateAudience(vip.id, { name: 'VIP (edited in the UI)', description: vipFull.description, targetRule: { and: [{ profile: 'seg_vip_high_ltv', equals: ['true'] }] } });
    const offer = (await target.listOffers()).find((o) => o.name === 'Default hero')!;
    const offerFull = (await target.getContentOffer(offer.id))!;
    await target.updateContentOffer(offer.id, { name: offerFull.name, content: offerFull.content.replace('New arrivals', 'Old arrivals') });
    const hero = (await target.findActivityByThirdPartyId(formatThirdPartyId('acme-d2c', 'homepage_hero')))!;
    await target.setActivityName(hero.id, 'Renamed in the UI');
    const banner = (await target.findActivityByThirdPartyId(formatThirdPartyId('acme-d2c', 'winback_banner')))!;
    await target.setActivityState(banner.id, 'deactivated');
    const manual = (await cio.listSegments()).find((s) => s.name === 'VIP testers')!;
    await cio.deleteSegment(manual.id);

    const drifted = await plan(ws);
    expect(drifted.code).toBe(2);
    expect(drifted.out).toContain('~ adobe_target.audience.vip');
    expect(drifted.out).toContain('~ adobe_target.offer.default_hero');
    expect(drifted.out).toContain('~ adobe_target.activity.homepage_hero');
    expect(drifted.out).toContain('~ adobe_target.activity.winback_banner');
    expect(drifted.out).toContain('+ customerio.segment.vip_testers (create)');
    expect(drifted.out).toContain('Plan: 1 to create, 4 to update, 0 to delete, 0 to replace, 0 manual.');

    const applied = await apply(ws);
    expect(applied.error).toBeUndefined();
    expect(applied.code).toBe(0);
    expect((await plan(ws)).code).toBe(0);
    expect((await target.getAudience(vip.id))!.name).toBe('VIP');
    expect((await target.findActivityByThirdPartyId(formatThirdPartyId('acme-d2c', 'winback_banner')))!.state).toBe('approved');
  });
});

describe('guards refuse without --force and pass with it', () => {
  async function expectRefusal(guard: string) {
    const refused = await apply(ws);
    expect(refused.error?.message).toMatch(/apply refused by \d+ safety guards?; nothing was applied/);
    expect(refused.err).toContain(`Refused (${guard})`);
    expect((await plan(ws)).code).toBe(2); // nothing was applied
    const forced = await apply(ws, { force: true });
    expect(forced.error).toBeUndefined();
    expect(forced.err).toContain(`--force overrides ${guard}`);
    expect(forced.code).toBe(0);
    expect((await plan(ws)).code).toBe(0);
    await restore();
  }

  it('mass_update: renaming most audiences', async () => {
    let yaml = base;
    for (const name of ['Cart Abandoners (4h)', 'Replenishment Due', 'First-Time Buyers', 'Click-Through Intent', 'VIP', 'Lapsed Win-Back']) {
      yaml = yaml.replace(`name: "${name}"`, `name: "${name} v2"`);
    }
    await ws.writeConfig(yaml);
    await expectRefusal('mass_update');
  });

  it('mass_delete: removing every activity and audience', async () => {
    const cut = base.slice(0, base.indexOf('\naudiences:')) + '\noffers:' + base.slice(base.indexOf('\noffers:') + '\noffers:'.length, base.indexOf('\nactivities:')) + '\n';
    await ws.writeConfig(cut);
    await expectRefusal('mass_delete');
  });

  it('live_precedence: reordering the precedence of live activities', async () => {
    await ws.writeConfig(base.replace('  - cart_abandoners\n  - replenishment_due\n', '  - replenishment_due\n  - cart_abandoners\n'));
    await expectRefusal('live_precedence');
  });

  it('live_holdout: dropping the holdout of a live activity', async () => {
    const i = base.indexOf('  homepage_hero:');
    const j = base.indexOf('    holdout: onsite_control\n', i);
    await ws.writeConfig(base.slice(0, j) + base.slice(j + '    holdout: onsite_control\n'.length));
    await expectRefusal('live_holdout');
  });

  it('live_dependency: deleting an audience that an unowned live activity still uses', async () => {
    const extra = base.replace('\nprecedence:', '\n  spare:\n    name: "Spare audience"\n    segment: vip_high_ltv\n\nprecedence:');
    await ws.writeConfig(extra);
    expect((await apply(ws)).code).toBe(0);
    const spare = (await target.findAudiencesByName('Spare audience'))[0]!;
    const offer = (await target.listOffers()).find((o) => o.name === 'Default hero')!;
    const ui = await target.createActivity('xt', {
      name: 'Made in the UI',
      state: 'approved',
      priority: 1,
      options: [{ optionLocalId: 0, offerId: offer.id }],
      locations: { mboxes: [{ locationLocalId: 0, name: 'ui-location' }] },
      experiences: [{ experienceLocalId: 0, name: 'Spare', audienceIds: [spare.id], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] }],
      metrics: [{ metricLocalId: 32767, name: 'primary', conversion: true, action: { type: 'count_once' }, mboxes: [{ name: 'ui-location', successEvent: 'mbox_clicked' }] }],
    });
    await ws.writeConfig(base);
    const refused = await apply(ws);
    expect(refused.err).toContain('Refused (live_dependency)');
    expect((await target.getAudience(spare.id))?.name).toBe('Spare audience');
    const forced = await apply(ws, { force: true });
    expect(forced.err).toContain('--force overrides live_dependency');
    expect(forced.error).toBeUndefined();
    expect(forced.out).toMatch(/ok\s+delete\s+adobe_target\.audience\.spare/);
    expect(await target.getAudience(spare.id)).toBeUndefined();
    await target.deleteActivity('xt', ui.id);
    expect((await plan(ws)).code).toBe(0);
  });

  it('empty_read: a Customer.io read that comes back empty while the config references segments there', async () => {
    const saved = JSON.parse(JSON.stringify(ws.sandbox.customerio!.state));
    ws.sandbox.customerio!.reset();
    const refused = await apply(ws);
    expect(refused.err).toContain('Refused (empty_read)');
    expect(refused.error?.message).toMatch(/nothing was applied/);
    const forced = await apply(ws, { force: true });
    expect(forced.err).toContain('--force overrides empty_read');
    // The data-driven references stay missing: they are manual actions, never created.
    expect(forced.out).toContain('manual action(s) remain');
    Object.assign(ws.sandbox.customerio!.state, saved);
    ws.sandbox.customerio!.markChanged();
    await restore();
  });
});
