// Bench: the pure core on ~5,000 objects (compile, populate-side conversion, diff, render), with
// time per step and peak memory. Run: npx tsx bench/plan-diff.ts
import { performance } from 'node:perf_hooks';
import { compileDesired } from '../src/plan/compile.js';
import { diffResources } from '../src/plan/diff.js';
import { checkGuards } from '../src/plan/guards.js';
import { renderPlanHuman } from '../src/render/plan-human.js';
import { renderPlanJson } from '../src/render/plan-json.js';
import { renderPlanMarkdown } from '../src/render/plan-markdown.js';
import { activity, audience, config, exp, offer, segment, where } from '../test/plan/builders.js';
import { FakePlatforms } from '../test/plan/fake-platform.js';

const SEGMENTS = 50;
const AUDIENCES = 1800;
const OFFERS = 1800;
const ACTIVITIES = 1000;

let heapPeak = 0;
const sample = () => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function time<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  sample();
  console.log(`${label.padEnd(38)} ${(performance.now() - t0).toFixed(1).padStart(8)} ms`);
  return out;
}

function program(variant: number) {
  const segments = Array.from({ length: SEGMENTS }, (_, i) => segment(`s${i}`, { id: 10_000 + i }));
  const audiences = Array.from({ length: AUDIENCES }, (_, i) =>
    audience(`a${i}`, `s${i % SEGMENTS}`, { where: i % 3 === 0 ? [where('ltv', 'gte', i)] : [] }),
  );
  const offers = Array.from({ length: OFFERS + (variant ? 50 : 0) }, (_, i) =>
    offer(`o${i}`, { content: `<div class="o${i}">\n  ${variant && i % 20 === 0 ? 'changed' : 'content'} ${i}\n</div>` }),
  );
  const activities = Array.from({ length: ACTIVITIES - (variant ? 50 : 0) }, (_, i) =>
    activity(`x${i}`, {
      location: `mbox-${i}`,
      holdout: i % 5 === 0 ? 'h' : undefined,
      experiences: [exp(`a${(2 * i) % AUDIENCES}`, `o${(2 * i) % OFFERS}`), exp(`a${(2 * i + 1) % AUDIENCES}`, `o${(2 * i + 1) % OFFERS}`)],
    }),
  );
  return config({
    segments,
    audiences,
    offers,
    activities,
    holdouts: { h: { key: 'h', percent: 10, salt: 's', writeback: false } },
  });
}

const base = program(0);
const changed = program(1);
const desired0 = time('compile (baseline config)', () => compileDesired(base));
const fake = new FakePlatforms(base.workspace);
for (const s of Object.values(base.segments)) fake.addDynamicSegment(s.id!, s.name);
time('apply baseline to in-memory platform', () => fake.apply(diffResources(desired0, fake.populate())));

const desired = time('compile (changed config)', () => compileDesired(changed));
const existing = time('convert platform JSON → resources', () => fake.populate());
console.log(`objects: desired ${desired.length}, existing ${existing.length}`);
const rssBefore = process.memoryUsage().rss;
const plan = time('diff (5,000 objects)', () => diffResources(desired, existing));
time('guards', () => checkGuards(plan, existing, { force: false, desired, now: new Date('2026-12-04T12:00:00Z') }));
const human = time('render human', () => renderPlanHuman(plan, { color: false }));
const md = time('render markdown', () => renderPlanMarkdown(plan));
const json = time('render json', () => renderPlanJson(plan));
const empty = time('diff again after apply (expect empty)', () => {
  fake.apply(plan);
  return diffResources(desired, fake.populate());
});

console.log(`plan: ${JSON.stringify(plan.summary)}; after apply: ${empty.changes.length} changes`);
console.log(`output sizes: human ${human.length}, markdown ${md.length} (cap 65,000), json ${json.length} chars`);
const mem = process.memoryUsage();
console.log(
  `memory: peak heapUsed (sampled) ${mb(heapPeak)}, rss now ${mb(mem.rss)} (before diff ${mb(rssBefore)}), ` +
    `peak rss (maxRSS) ${mb(process.resourceUsage().maxRSS * 1024)}`,
);
