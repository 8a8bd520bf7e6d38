// strata pull against skopeo copy docker:// → oci: from a local registry, without the Docker Engine:
// quicker to run than bench/transfer.ts when only the pull is being worked on. Prints wall and CPU time
// (user + system, every thread) of each run, alternating the two tools so the machine's drift hits both.
//   npx tsx bench/pull.ts        (BENCH_MB: size of each of the 3 noise layers, default 150; BENCH_RUNS)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLayer, noise, pushImage } from '../test/helpers/registry-fixtures.js';
import { startRegistry } from '../test/helpers/registry.js';
import { fmtMs, strataCmd } from './lib.js';

const MB = Number(process.env.BENCH_MB ?? 150);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Run {
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
}

function timed(cmd: string[], env: NodeJS.ProcessEnv = {}): Run {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', ...cmd], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [user, sys, rss] = r.stderr.toString().trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000, rssMiB: (rss ?? 0) / 1024 };
}

/**
 * What no verified pull can skip: sha256 over every byte fetched (the blob digests), in this process,
 * split over the machine's two cores at best. strata's pull reads no tar (a layer is checked against its
 * diffID when it is first read), so this is its floor as much as skopeo's.
 */
function hashFloorMs(blobs: Buffer[]): number {
  const start = performance.now();
  for (const bytes of blobs) createHash('sha256').update(bytes).digest();
  return (performance.now() - start) / 2;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const registry = await startRegistry();
  const scratch = mkdtempSync(join(tmpdir(), 'strata-bench-pull-'));
  try {
    const layers = [];
    for (let i = 1; i <= 3; i++)
      layers.push(await makeLayer([{ name: `blob${i}`, content: noise(MB * 1024 * 1024, i) }]));
    const ref = `${registry.host}/bench/pull:1`;
    await pushImage({ url: registry.url }, 'bench/pull', '1', { layers });
    const store = join(scratch, 'store');
    const oci = join(scratch, 'oci');
    const runs: Record<'strata' | 'skopeo', Run[]> = { strata: [], skopeo: [] };
    for (let i = 0; i < RUNS; i++) {
      rmSync(store, { recursive: true, force: true });
      // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p") goes to strata's node, for profiling.
      const [node, ...rest] = strataCmd('pull', '-q', ref);
      const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
      runs.strata.push(timed([node as string, ...flags, ...rest], { STRATA_ROOT: store }));
      rmSync(oci, { recursive: true, force: true });
      runs.skopeo.push(
        timed(['skopeo', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${oci}:1`]),
      );
    }
    console.log(`3 layers of ${MB} MiB noise (gzip), ${RUNS} runs each, alternating; medians:`);
    for (const [tool, rs] of Object.entries(runs))
      console.log(
        `${tool.padEnd(7)} wall ${fmtMs(median(rs.map((r) => r.wallMs)))}  CPU ${fmtMs(median(rs.map((r) => r.cpuMs)))}  peak RSS ${median(rs.map((r) => r.rssMiB)).toFixed(0)} MiB   (wall: ${rs.map((r) => fmtMs(r.wallMs)).join(', ')})`,
      );
    const ratio = median(runs.strata.map((r) => r.wallMs)) / median(runs.skopeo.map((r) => r.wallMs));
    console.log(`strata pull / skopeo copy = ${ratio.toFixed(2)}`);
    const floor = hashFloorMs(layers.map((l) => l.blob));
    console.log(
      `floor: sha256 of the blobs, on both cores at once, would take ${fmtMs(floor)} ` +
        `(${(floor / median(runs.skopeo.map((r) => r.wallMs))).toFixed(2)} × skopeo's whole copy)`,
    );
  } finally {
    await registry.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
