import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decompress } from '../src/layer/compression.js';
import { scanLayerIndex } from '../src/layer/index-scan.js';
import { unpackedSizeFromStream } from '../src/layer/unpacked-size.js';

/** Size of the big layer; STRATA_BENCH_MB=1024 for a longer measurement. */
const MB = Number(process.env.STRATA_BENCH_MB ?? 256);
let dir: string;
let bigTar: string;
let smallTar: string;

const mbps = (bytes: number, ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-index-bench-'));
  const big = join(dir, 'big');
  mkdirSync(big);
  // Four random files: incompressible content, so hashing, not parsing, is what costs.
  for (let i = 0; i < 4; i++) {
    execFileSync('sh', ['-c', `head -c ${(MB / 4) * 2 ** 20} /dev/urandom > "$1"`, 'sh', join(big, `f${i}`)]);
  }
  bigTar = join(dir, 'big.tar');
  execFileSync('tar', ['--format=posix', '-C', big, '-cf', bigTar, '.']);
  const small = join(dir, 'small');
  for (let d = 0; d < 100; d++) {
    mkdirSync(join(small, `d${d}`), { recursive: true });
    for (let f = 0; f < 200; f++)
      writeFileSync(join(small, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`.repeat(f % 20));
  }
  smallTar = join(dir, 'small.tar');
  execFileSync('tar', ['--format=posix', '-C', small, '-cf', smallTar, '.']);
  execFileSync('sh', ['-c', 'gzip -1 -k "$1"', 'sh', bigTar]);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('layer index scan throughput', () => {
  test(`a ${MB} MiB layer of random files, uncompressed`, async () => {
    const size = statSync(bigTar).size;
    const [hash, hashMs] = await timed(() => sha256File(bigTar));
    const [sized, sizeMs] = await timed(() => unpackedSizeFromStream(createReadStream(bigTar), 'big'));
    const [scan, scanMs] = await timed(() => scanLayerIndex(createReadStream(bigTar), 'big'));
    console.log(
      `uncompressed ${size} bytes: scanLayerIndex ${scanMs.toFixed(0)} ms (${mbps(size, scanMs)}); ` +
        `baseline sha256 only ${hashMs.toFixed(0)} ms (${mbps(size, hashMs)}); ` +
        `unpackedSizeFromStream ${sizeMs.toFixed(0)} ms (${mbps(size, sizeMs)})`,
    );
    expect(scan.diffID).toBe(hash);
    expect(scan.unpackedSize).toBe(sized.size);
  });

  test('the same layer gzip-compressed (decompress + scan)', async () => {
    const gz = `${bigTar}.gz`;
    const size = statSync(bigTar).size;
    const [scan, ms] = await timed(async () =>
      scanLayerIndex(await decompress(createReadStream(gz), 'gzip', 'big.gz'), 'big.gz'),
    );
    const [, onlyMs] = await timed(async () => {
      for await (const _ of await decompress(createReadStream(gz), 'gzip', 'big.gz'));
    });
    console.log(
      `gzip: decompress+scan ${ms.toFixed(0)} ms (${mbps(size, ms)} of tar); decompress alone ${onlyMs.toFixed(0)} ms`,
    );
    expect(scan.diffID).toBe(await sha256File(bigTar));
  });

  test('20,000 small files', async () => {
    const [scan, ms] = await timed(() => scanLayerIndex(createReadStream(smallTar), 'small'));
    const [, tsMs] = await timed(() => unpackedSizeFromStream(createReadStream(smallTar), 'small'));
    console.log(
      `small files: ${scan.entries.length} entries in ${ms.toFixed(0)} ms ` +
        `(${((scan.entries.length / ms) * 1000).toFixed(0)} entries/s); unpackedSizeFromStream ${tsMs.toFixed(0)} ms`,
    );
    expect(scan.entries.filter((e) => e.kind === 'file')).toHaveLength(20_000);
  });
});
