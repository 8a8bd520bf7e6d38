// Building the union of 30 layers with about 100,000 paths (synthetic), timed: npx tsx bench/union.ts
import { analyseWaste } from '../src/analysis/waste.js';
import { buildUnion } from '../src/union/tree.js';
import { syntheticStack } from '../test/union/layers.js';

const layers = syntheticStack(30);
const runs: number[] = [];
let paths = 0;
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  paths = buildUnion(layers).nodes.size;
  runs.push(performance.now() - start);
}
const wasteStart = performance.now();
const waste = analyseWaste(layers);
const wasteMs = performance.now() - wasteStart;
console.log(
  `union of ${paths} paths over 30 layers: first ${runs[0]!.toFixed(0)} ms, then ${runs
    .slice(1)
    .map((r) => r.toFixed(0))
    .join(', ')} ms; waste analysis ${wasteMs.toFixed(0)} ms (${waste.files.length} wasted copies)`,
);
