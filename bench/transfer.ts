// Pull, save and load, side by side with skopeo and the Docker Engine on the same image, same machine.
// Run: npm run bench:transfer   (BENCH_MB sets the size of each of the 3 random-data layers)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, importBusyboxBase, startDocker } from '../test/helpers/docker.js';
import { startRegistry } from '../test/helpers/registry.js';
import { OUT, type Timing, fmtMs, measureAlternating, strataCmd } from './lib.js';

const MB = Number(process.env.BENCH_MB ?? 150);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const engine = await startDocker();
  const registry = await startRegistry();
  const scratch = mkdtempSync(join(tmpdir(), 'strata-bench-transfer-'));
  try {
    await importBusyboxBase(engine.host, 'bench-base:1');
    const ctx = join(scratch, 'ctx');
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM bench-base:1',
        ...[1, 2, 3].map((i) => `RUN dd if=/dev/urandom of=/blob${i} bs=1048576 count=${MB}`),
        'RUN mkdir /many && cd /many && for i in $(seq 1 5000); do echo "file $i" > f$i; done',
        '',
      ].join('\n'),
    );
    const ref = `${registry.host}/bench/transfer:1`;
    await docker(engine.host, ['build', '-q', '-t', ref, ctx], { env: { DOCKER_BUILDKIT: '0' } });
    await docker(engine.host, ['push', ref]);
    const env = { DOCKER_HOST: engine.host };
    const dockerCli = (...args: string[]) => ['docker', ...args];
    const rmiAll = () => {
      // A clean engine for each docker pull/load: no image, no layers, no cache.
      spawnQuiet(['docker', 'rmi', '-f', ref], env);
      spawnQuiet(['docker', 'image', 'prune', '-af'], env);
    };
    const storeDir = join(scratch, 'store');
    const freshStore = () => rmSync(storeDir, { recursive: true, force: true });
    const strataEnv = { STRATA_ROOT: storeDir };
    const results: Timing[] = [];
    const pulls = measureAlternating(
      [
        {
          label: 'strata pull',
          cmd: strataCmd('pull', '-q', ref),
          opts: { env: strataEnv, before: freshStore },
        },
        {
          label: 'skopeo copy docker:// → oci:',
          cmd: [
            'skopeo',
            'copy',
            '-q',
            '--src-tls-verify=false',
            `docker://${ref}`,
            `oci:${join(scratch, 'oci')}:1`,
          ],
          opts: { before: () => rmSync(join(scratch, 'oci'), { recursive: true, force: true }) },
        },
        {
          label: 'docker pull (clean engine)',
          cmd: dockerCli('pull', '-q', ref),
          opts: { env, before: rmiAll },
        },
      ],
      RUNS,
    );
    results.push(...pulls);
    // save/load: strata's store and the engine both hold the image now.
    spawnQuiet(strataCmd('pull', '-q', ref), strataEnv);
    spawnQuiet(['docker', 'pull', '-q', ref], env);
    const strataTar = join(scratch, 'strata-save.tar');
    const dockerTar = join(scratch, 'docker-save.tar');
    results.push(
      ...measureAlternating(
        [
          { label: 'strata save', cmd: strataCmd('save', '-o', strataTar, ref), opts: { env: strataEnv } },
          { label: 'docker save', cmd: dockerCli('save', '-o', dockerTar, ref), opts: { env } },
        ],
        RUNS,
      ),
      ...measureAlternating(
        [
          {
            label: 'strata load (fresh store)',
            cmd: strataCmd('load', '-q', '-i', dockerTar),
            opts: { env: strataEnv, before: freshStore },
          },
          {
            label: 'docker load (clean engine)',
            cmd: dockerCli('load', '-q', '-i', dockerTar),
            opts: { env, before: rmiAll },
          },
        ],
        RUNS,
      ),
    );
    const ratio = (a: string, b: string) => {
      const x = results.find((r) => r.label === a)!;
      const y = results.find((r) => r.label === b)!;
      return (x.ms / y.ms).toFixed(2);
    };
    const lines = [
      `Image: busybox base + 3 layers of ${MB} MB random data + 5,000 small files; ${RUNS} runs each, alternating, median.`,
      '',
      '| operation | median time | peak RSS |',
      '|---|---|---|',
      ...results.map((r) => `| ${r.label} | ${fmtMs(r.ms)} | ${(r.maxRssKiB / 1024).toFixed(0)} MiB |`),
      '',
      `strata pull / skopeo copy = ${ratio('strata pull', 'skopeo copy docker:// → oci:')}; strata pull / docker pull = ${ratio('strata pull', 'docker pull (clean engine)')};`,
      `strata save / docker save = ${ratio('strata save', 'docker save')}; strata load / docker load = ${ratio('strata load (fresh store)', 'docker load (clean engine)')}.`,
    ];
    writeFileSync(join(OUT, 'transfer.json'), JSON.stringify({ MB, results }, null, 2));
    console.log(lines.join('\n'));
  } finally {
    await registry.stop();
    await engine.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Run a set-up step; a failure (removing an image that is not there) is fine. */
function spawnQuiet(cmd: string[], env: NodeJS.ProcessEnv): void {
  spawnSync(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
