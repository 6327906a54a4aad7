// Drift history, size swings, findings, fingerprints and the notify decision: pure units.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendRun, defaultHistoryFile, emptyHistory, latestManagedCounts, parseHistory, readHistory, shouldNotify, writeHistory, type DriftRun } from '../../src/drift/history.js';
import { buildDriftReport, renderDriftHuman, renderDriftMarkdown } from '../../src/drift/report.js';
import { checkSizeSwings, median } from '../../src/drift/size-swing.js';
import type { Change } from '../../src/plan/types.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function buildRun(sizes: Record<string, number>, over: Partial<DriftRun> = {}): DriftRun {
  return { at: '2026-01-01T00:00:00.000Z', status: 'clean', fingerprint: '', findings: 0, sizes, ...over };
}

function buildChange(over: Partial<Change>): Change {
  return {
    address: 'adobe_target.audience.vip',
    platform: 'adobe_target',
    kind: 'audience',
    key: 'vip',
    action: 'update',
    before: {},
    after: {},
    fields: [{ path: 'name', before: 'VIP', after: 'VIPs' }],
    dependsOn: [],
    ...over,
  };
}

describe('history file', () => {
  it('keeps only the newest N runs', () => {
    let h = emptyHistory();
    for (let i = 0; i < 7; i++) h = appendRun(h, buildRun({ s: i }), 5);
    expect(h.runs.map((r) => r.sizes.s)).toEqual([2, 3, 4, 5, 6]);
  });

  it('reads a missing file as empty and round-trips', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hist-'));
    dirs.push(dir);
    const file = path.join(dir, '.audiences', 'drift-history.json');
    expect(await readHistory(file)).toEqual(emptyHistory());
    await writeHistory(file, appendRun(emptyHistory(), buildRun({ a: 1 })));
    expect((await readHistory(file)).runs[0]!.sizes).toEqual({ a: 1 });
    expect(JSON.parse(await readFile(file, 'utf8')).format_version).toBe(1);
  });

  it('refuses a damaged file with a message that says what to do', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hist-'));
    dirs.push(dir);
    const file = path.join(dir, 'h.json');
    await writeFile(file, 'not json');
    await expect(readHistory(file)).rejects.toThrow(/not valid JSON/);
    expect(() => parseHistory('{"format_version":1}')).toThrow(/no "runs" list/);
    expect(() => parseHistory('{"format_version":9,"runs":[]}')).toThrow(/format 9/);
  });
});

describe('checkSizeSwings', () => {
  it('flags moves beyond the threshold against the median of recent runs', () => {
    const runs = [buildRun({ a: 100, b: 100 }), buildRun({ a: 1000, b: 100 }), buildRun({ a: 100, b: 100 })];
    const r = checkSizeSwings({ a: 140, b: 40, c: 5 }, runs, 50);
    // a: median 100 → +40%, inside ±50; b: -60% flagged; c: nothing to compare with.
    expect(r.swings).toEqual([{ segment: 'b', current: 40, baseline: 100, change_pct: -60 }]);
    expect(r.new_segments).toEqual(['c']);
  });

  it('flags a segment that emptied, ignores error runs and an empty baseline', () => {
    const runs = [buildRun({ a: 10, z: 0 }), buildRun({ a: 99999 }, { status: 'error' })];
    const r = checkSizeSwings({ a: 0, z: 500 }, runs, 50);
    expect(r.swings).toEqual([{ segment: 'a', current: 0, baseline: 10, change_pct: -100 }]);
  });

  it('median of even and odd lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('drift report and notify decision', () => {
  const plan = {
    changes: [
      buildChange({}),
      buildChange({ address: 'adobe_target.offer.hero', kind: 'offer', key: 'hero', action: 'create', before: null, fields: [] }),
      buildChange({ address: 'customerio.segment.vip', platform: 'customerio', kind: 'segment', action: 'manual', reason: 'rename it in Customer.io' }),
    ],
    warnings: [{ code: 'name_collision', address: 'adobe_target.audience.cart', message: 'an unowned audience is named "Cart"' }],
  };

  it('turns changes, warnings and swings into categorized findings', () => {
    const report = buildDriftReport({ workspace: 'acme', plan, sizes: { vip: 10 }, runs: [buildRun({ vip: 100 })], sizeSwingPct: 50 });
    expect(report.status).toBe('drift');
    expect(report.findings.map((f) => [f.category, f.address])).toEqual([
      ['missing', 'adobe_target.offer.hero'],
      ['changed', 'adobe_target.audience.vip'],
      ['collision', 'adobe_target.audience.cart'],
      ['manual', 'customerio.segment.vip'],
      ['size_swing', 'customerio.segment.vip'],
    ]);
    const human = renderDriftHuman(report);
    expect(human).toMatch(/^Drift detected in workspace acme: 5 findings\./);
    expect(human).toContain('adobe_target.audience.vip: differs in name');
    expect(human).toMatch(/vip\s+10\s+SWING/);
    expect(renderDriftMarkdown(report)).toContain('*Audience size swings*');
  });

  it('is clean with no findings, and the fingerprint ignores size numbers but not the direction', () => {
    const clean = buildDriftReport({ workspace: 'acme', plan: { changes: [], warnings: [] }, sizes: { a: 5 }, runs: [], sizeSwingPct: 50 });
    expect(clean.status).toBe('clean');
    expect(renderDriftHuman(clean)).toMatch(/^No drift/);
    const down1 = buildDriftReport({ workspace: 'w', plan: { changes: [], warnings: [] }, sizes: { a: 10 }, runs: [buildRun({ a: 100 })], sizeSwingPct: 50 });
    const down2 = buildDriftReport({ workspace: 'w', plan: { changes: [], warnings: [] }, sizes: { a: 20 }, runs: [buildRun({ a: 100 })], sizeSwingPct: 50 });
    const up = buildDriftReport({ workspace: 'w', plan: { changes: [], warnings: [] }, sizes: { a: 900 }, runs: [buildRun({ a: 100 })], sizeSwingPct: 50 });
    expect(down1.fingerprint).toBe(down2.fingerprint);
    expect(up.fingerprint).not.toBe(down1.fingerprint);
  });

  it('notifies only when the status or the set of findings changed since the webhook last heard', () => {
    const h = emptyHistory();
    expect(shouldNotify(h, { status: 'clean', fingerprint: '' })).toBe(false);
    expect(shouldNotify(h, { status: 'drift', fingerprint: 'f1' })).toBe(true);
    const heard = { ...h, last_notified: { status: 'drift' as const, fingerprint: 'f1', at: 'x' } };
    expect(shouldNotify(heard, { status: 'drift', fingerprint: 'f1' })).toBe(false);
    expect(shouldNotify(heard, { status: 'drift', fingerprint: 'f2' })).toBe(true);
    expect(shouldNotify(heard, { status: 'clean', fingerprint: '' })).toBe(true);
    expect(shouldNotify(heard, { status: 'error', fingerprint: '' })).toBe(true);
  });
});

describe('managed counts for the empty-read guard', () => {
  it('come from the newest run that recorded them, skipping error runs and older histories without them', () => {
    const h = emptyHistory();
    expect(latestManagedCounts(h)).toBeUndefined();
    h.runs.push(buildRun({}, { at: 'a', managed: { customerio: 1, adobe_target: 25 } }));
    h.runs.push(buildRun({}, { at: 'b', managed: { customerio: 1, adobe_target: 30 } }));
    h.runs.push(buildRun({}, { at: 'c', status: 'error' }));
    h.runs.push(buildRun({}, { at: 'd' }));
    expect(latestManagedCounts(h)).toEqual({ at: 'b', counts: { customerio: 1, adobe_target: 30 } });
    // Round-trips through the file format.
    expect(latestManagedCounts(parseHistory(JSON.stringify(h)))).toEqual({ at: 'b', counts: { customerio: 1, adobe_target: 30 } });
  });

  it('live apart from the real history when the sandbox is used', () => {
    expect(defaultHistoryFile('/p', false)).toBe(path.join('/p', '.audiences', 'drift-history.json'));
    expect(defaultHistoryFile('/p', true)).toBe(path.join('/p', '.audiences', 'sandbox', 'drift-history.json'));
  });
});
