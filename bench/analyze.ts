// strata analyze on the ~2.9 GB / 95,000-path image of bench/large-image.ts, read from its OCI layout,
// next to Node's own zlib + sha256 over the same layer blobs (bench/zlib-baseline.mjs): cold (no
// cache), warm from the layer-index cache alone, and warm from the result cache.
// Run: npx tsx bench/large-image.ts (once), then npm run bench:analyze
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LARGE_OCI } from './large-image.js';
import { OUT, REPO, type Timing, fmtMs, freshRoot, measure, strataCmd } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Manifest {
  layers: Array<{ digest: string; size: number }>;
}

function layerBlobs(): string[] {
  const index = JSON.parse(readFileSync(join(LARGE_OCI, 'index.json'), 'utf8'));
  const blob = (digest: string) => join(LARGE_OCI, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8')) as Manifest;
  return [...manifest.layers].sort((a, b) => b.size - a.size).map((l) => blob(l.digest));
}

function baseline(blobs: string[]): { sequentialMs: number; parallelMs: number } {
  const runs = Array.from({ length: RUNS }, () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bench', 'zlib-baseline.mjs'), ...blobs], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`baseline failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { sequentialMs: number; parallelMs: number };
  });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    sequentialMs: median(runs.map((r) => r.sequentialMs)),
    parallelMs: median(runs.map((r) => r.parallelMs)),
  };
}

function main(): void {
  if (!existsSync(join(LARGE_OCI, 'index.json'))) {
    console.error(`no ${LARGE_OCI}: run npx tsx bench/large-image.ts first`);
    process.exit(2);
  }
  const blobs = layerBlobs();
  const stored = blobs.reduce((n, b) => n + statSync(b).size, 0);
  const ref = `oci:${LARGE_OCI}:1`;
  const root = freshRoot();
  const cmd = strataCmd('analyze', '--top', '5', ref);
  const cacheDir = join(String(root.env.STRATA_ROOT), 'cache');
  const base = baseline(blobs);
  const results: Timing[] = [
    measure('strata analyze, cold', cmd, { runs: RUNS, env: root.env, before: root.reset }),
    measure('strata analyze, warm (layer indexes cached)', cmd, {
      runs: RUNS,
      env: root.env,
      before: () => rmSync(join(cacheDir, 'results'), { recursive: true, force: true }),
    }),
    measure('strata analyze, warm (result cached)', cmd, { runs: RUNS, env: root.env }),
  ];
  root.reset();
  const cold = results[0]!.ms;
  const best = Math.min(base.sequentialMs, base.parallelMs);
  const report = {
    image: ref,
    layers: blobs.length,
    storedBytes: stored,
    baseline: base,
    strata: results,
    ratioColdToBestBaseline: cold / best,
  };
  writeFileSync(join(OUT, 'analyze.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${blobs.length} layers, ${(stored / 1e6).toFixed(0)} MB stored (gzip)`);
  console.log(`node zlib + sha256, one layer at a time   ${fmtMs(base.sequentialMs)}`);
  console.log(`node zlib + sha256, two layers at a time  ${fmtMs(base.parallelMs)}`);
  for (const t of results)
    console.log(`${t.label.padEnd(44)} ${fmtMs(t.ms)}  peak RSS ${(t.maxRssKiB / 1024).toFixed(0)} MiB`);
  console.log(`cold / best baseline = ${(cold / best).toFixed(2)}`);
}

main();
