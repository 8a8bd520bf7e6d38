// Builds the analysis benchmark's image once: a Debian base from mmdebstrap plus large package installs,
// about 2 GB unpacked and 100,000 files, with some deleted and overwritten files so there is waste to find.
// Written as an OCI layout at bench/out/large-oci (tag "1") and a docker save tar beside it.
// Run: npx tsx bench/large-image.ts   (needs root for mmdebstrap and the Docker Engine; takes minutes)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, startDocker } from '../test/helpers/docker.js';
import { OUT } from './lib.js';

export const LARGE_OCI = join(OUT, 'large-oci');
export const LARGE_TAR = join(OUT, 'large-image.tar');
export const LARGE_REF = 'strata-bench/large:1';

// Each RUN is one layer; the package sets are chosen for size and file count (headers, sources, docs).
const STEPS = [
  'apt-get update && apt-get install -y --no-install-recommends build-essential gdb git && rm -rf /var/lib/apt/lists/*',
  'apt-get update && apt-get install -y --no-install-recommends golang-go golang-src python3-numpy python3-scipy && rm -rf /var/lib/apt/lists/*',
  'apt-get update && apt-get install -y --no-install-recommends linux-headers-amd64 linux-headers-rt-amd64 perl-doc && rm -rf /var/lib/apt/lists/*',
  'apt-get update && apt-get install -y --no-install-recommends libboost1.81-dev texlive-latex-extra && rm -rf /var/lib/apt/lists/*',
  // Waste on purpose: a file removed, a directory removed, a file overwritten.
  'rm -rf /usr/share/doc /usr/share/go-1.19/test && rm -f /usr/bin/gdb && cp /usr/bin/git /usr/bin/perl',
];

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

async function main(): Promise<void> {
  if (existsSync(join(LARGE_OCI, 'index.json')) && process.env.REBUILD !== '1') {
    console.log(`${LARGE_OCI} exists (REBUILD=1 to build again)`);
    return;
  }
  mkdirSync(OUT, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'strata-bench-large-'));
  const engine = await startDocker();
  try {
    const base = join(scratch, 'base.tar');
    sh('mmdebstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', base]);
    await docker(engine.host, ['import', base, 'strata-bench/debian-base:1']);
    const ctx = join(scratch, 'ctx');
    mkdirSync(ctx);
    const dockerfile = [
      'FROM strata-bench/debian-base:1',
      'ENV DEBIAN_FRONTEND=noninteractive',
      ...STEPS.map((s) => `RUN ${s}`),
      'CMD ["/bin/bash"]',
      '',
    ];
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile.join('\n'));
    sh('docker', ['-H', engine.host, 'build', '--network', 'host', '-t', LARGE_REF, ctx]);
    rmSync(LARGE_TAR, { force: true });
    rmSync(LARGE_OCI, { recursive: true, force: true });
    sh('docker', ['-H', engine.host, 'save', '-o', LARGE_TAR, LARGE_REF]);
    // skopeo's default conversion: an OCI manifest with gzip layers, as a registry would serve them.
    sh('skopeo', ['copy', `docker-archive:${LARGE_TAR}`, `oci:${LARGE_OCI}:1`]);
    console.log(`wrote ${LARGE_OCI} and ${LARGE_TAR}`);
  } finally {
    await engine.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
