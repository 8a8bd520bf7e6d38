// How much history/inspect/manifest/config cost on a multi-GB `docker save` tar, next to `tar -tf`
// on the same file (which reads every header and seeks past the data). Run: npm run bench:metadata
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, importBusyboxBase, startDocker } from '../test/helpers/docker.js';
import { OUT, fmtMs, freshRoot, measure, strataCmd } from './lib.js';

const GB = Number(process.env.BENCH_GB ?? 2);
const archive = join(OUT, `metadata-${GB}g.tar`);

async function makeArchive(): Promise<void> {
  if (existsSync(archive)) return;
  mkdirSync(OUT, { recursive: true });
  const engine = await startDocker();
  try {
    await importBusyboxBase(engine.host, 'bench-base:1');
    const ctx = join(OUT, 'metadata-ctx');
    mkdirSync(ctx, { recursive: true });
    const halfMB = Math.round((GB * 1000) / 2);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM bench-base:1',
        `RUN dd if=/dev/urandom of=/blob1 bs=1048576 count=${halfMB}`,
        'RUN mkdir /many && cd /many && for i in $(seq 1 20000); do echo "file $i" > f$i; done',
        `RUN dd if=/dev/urandom of=/blob2 bs=1048576 count=${halfMB}`,
        'ENV A=b',
        'CMD ["sh"]',
        '',
      ].join('\n'),
    );
    await docker(engine.host, ['build', '-q', '-t', 'bench-metadata:1', ctx], {
      env: { DOCKER_BUILDKIT: '0' },
    });
    await docker(engine.host, ['save', '-o', archive, 'bench-metadata:1']);
  } finally {
    await engine.stop();
  }
}

async function main(): Promise<void> {
  await makeArchive();
  const size = statSync(archive).size;
  const loc = `docker-archive:${archive}`;
  const cold = freshRoot();
  const warm = freshRoot();
  const dropCaches = () => {
    // Cold page cache: what a first look at a file just copied or downloaded costs.
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  };
  const results = [
    measure('tar -tf (peer)', ['tar', '-tf', archive]),
    measure('tar -tf (peer), cold page cache', ['tar', '-tf', archive], { before: dropCaches }),
    measure(
      'cat > /dev/null, cold page cache (reading every byte)',
      ['sh', '-c', `cat '${archive}' > /dev/null`],
      {
        before: dropCaches,
      },
    ),
    measure('node -e 0 (start-up floor)', [process.execPath, '-e', '0']),
    measure('strata --version (start-up)', strataCmd('--version')),
    measure('strata history, cold cache, cold page cache', strataCmd('history', loc), {
      env: cold.env,
      before: () => {
        cold.reset();
        dropCaches();
      },
    }),
    measure('strata history, cold cache', strataCmd('history', loc), { env: cold.env, before: cold.reset }),
    measure('strata history, warm cache', strataCmd('history', loc), { env: warm.env }),
    measure('strata inspect, warm cache', strataCmd('inspect', loc), { env: warm.env }),
    measure('strata layers, warm cache', strataCmd('layers', loc), { env: warm.env }),
    measure('strata manifest', strataCmd('manifest', loc), { env: warm.env }),
    measure('strata config', strataCmd('config', loc), { env: warm.env }),
    measure('strata history -q', strataCmd('history', '-q', loc), { env: cold.env, before: cold.reset }),
  ];
  const peer = results[0]!.ms;
  const lines = [
    `Archive: ${(size / 1e9).toFixed(2)} GB \`docker save\` tar, 4 layers (2 × ${GB / 2} GB of random data, 20,000 small files).`,
    '',
    'Median of 3 runs each. "cold cache" = empty $STRATA_ROOT (the layers are scanned for sizes);',
    '"warm cache" = sizes already known by diffID; "cold page cache" = kernel caches dropped first.',
    '',
    '| command | median time | × tar -tf | peak RSS |',
    '|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${fmtMs(r.ms)} | ${(r.ms / peer).toFixed(2)} | ${(r.maxRssKiB / 1024).toFixed(0)} MB |`,
    ),
  ];
  writeFileSync(join(OUT, 'metadata.json'), JSON.stringify({ size, results }, null, 2));
  console.log(lines.join('\n'));
  cold.reset();
  warm.reset();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
