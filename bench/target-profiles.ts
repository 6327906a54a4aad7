// Bench: the Target emulator's profile store at a million profiles × 10 attributes: heap, save, load.
// Run: node --expose-gc --import tsx bench/target-profiles.ts
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ProfileStore } from '../src/sandbox/adobe-target/profile-store.js';

const PROFILES = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

gc();
const heapBefore = process.memoryUsage().heapUsed;
const store = new ProfileStore();
let t = performance.now();
const now = Date.now();
for (let i = 0; i < PROFILES; i++) {
  const attrs: Array<[string, string]> = [];
  for (let k = 0; k < 8; k++) attrs.push([`seg_s${k}`, (i + k) % 3 ? 'true' : 'false']);
  attrs.push(['trait_ltv', String(i % 5000)], ['holdout_h', i % 10 ? 'false' : 'true']);
  store.update(`crm-${i}`, attrs, now, true);
}
const buildMs = performance.now() - t;
gc();
const heap = process.memoryUsage().heapUsed - heapBefore;

const dir = mkdtempSync(join(tmpdir(), 'target-profiles-'));
const file = join(dir, 'profiles.ndjson');
try {
  t = performance.now();
  await store.save(file);
  const saveMs = performance.now() - t;
  t = performance.now();
  const loaded = new ProfileStore();
  loaded.load(file);
  const loadMs = performance.now() - t;
  console.log(`${PROFILES} profiles × 10 attributes`);
  console.log(`  write all     ${(buildMs / 1000).toFixed(1)} s`);
  console.log(`  heap          ${mb(heap)}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for an exact figure)'}`);
  console.log(`  save (NDJSON) ${(saveMs / 1000).toFixed(1)} s, ${mb(statSync(file).size)}`);
  console.log(`  load          ${(loadMs / 1000).toFixed(1)} s (${loaded.size} profiles; crm-77 trait_ltv=${loaded.getValue('crm-77', 'trait_ltv')})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
