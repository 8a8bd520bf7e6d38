import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { decodeLayerIndex } from '../../src/layer/index-codec.js';
import { sha256 } from '../../src/oci/digest.js';
import { ChunkBatcher, streamJob, workerCount } from '../../src/threads/pool.js';
import type { EncodedIndex, JobKind, JobSpec } from '../../src/threads/protocol.js';
import { errorOf } from '../helpers/errors.js';
import { makeLayerTar } from '../helpers/make-image.js';

const tar = await makeLayerTar([
  { name: 'etc/', type: 'directory' },
  { name: 'etc/hello', content: 'hello world\n' },
  { name: 'big', content: Buffer.alloc(3 << 20, 7) },
]);
const gz = gzipSync(tar);

/** Feed bytes to a job in small chunks, as a download would. */
async function run<K extends JobKind>(spec: JobSpec & { kind: K }, bytes: Buffer) {
  const job = streamJob(spec);
  const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) =>
    bytes.subarray(i * 65_536, (i + 1) * 65_536),
  );
  const [, result] = await Promise.all([pipeline(Readable.from(chunks), job.input), job.result]);
  return result;
}

const spec = (kind: JobKind, diffID = sha256(tar)) => ({
  kind,
  compression: 'gzip' as const,
  diffID,
  what: 'layer 0',
});

describe.each(['2', '0'])('stream jobs with STRATA_THREADS=%s', (threads) => {
  const saved = process.env.STRATA_THREADS;
  process.env.STRATA_THREADS = threads;
  afterEach(() => {
    process.env.STRATA_THREADS = threads;
  });
  test.sequential('measure: unpacked size and member count, diffID checked', async () => {
    process.env.STRATA_THREADS = threads;
    expect(await run(spec('measure'), gz)).toEqual({ size: 12 + (3 << 20), entries: 3 });
  });

  test.sequential('index: the encoded index decodes to the layer', async () => {
    process.env.STRATA_THREADS = threads;
    const { encoded, members } = (await run(spec('index'), gz)) as EncodedIndex;
    const index = decodeLayerIndex(Buffer.from(encoded));
    expect(members).toBe(3);
    if (threads !== '0') expect(workerCount()).toBe(1);
    expect(index.diffID).toBe(sha256(tar));
    expect(index.entries.map((e) => e.path)).toEqual(['/etc', '/etc/hello', '/big']);
  });

  test.sequential('a wrong diffID is a digest-mismatch error naming the layer', async () => {
    process.env.STRATA_THREADS = threads;
    for (const kind of ['measure', 'index'] as const) {
      const err = await errorOf(run(spec(kind, sha256('other')), gz));
      expect(err).toMatchObject({ kind: 'digest-mismatch' });
      expect(err.message).toContain('layer 0: uncompressed content');
    }
  });

  test.sequential('corrupt and truncated gzip data are invalid errors, and the sender is released', async () => {
    process.env.STRATA_THREADS = threads;
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 100, 400);
    expect(await errorOf(run(spec('index'), corrupt))).toMatchObject({ kind: 'invalid' });
    expect(await errorOf(run(spec('measure'), gz.subarray(0, gz.length >> 1)))).toMatchObject({
      kind: 'invalid',
    });
  });

  test.sequential('the stored bytes hashed on the way: their size and digest checked', async () => {
    process.env.STRATA_THREADS = threads;
    const stored = { digest: sha256(gz), size: gz.length };
    expect(await run({ ...spec('measure'), stored }, gz)).toEqual({ size: 12 + (3 << 20), entries: 3 });
    const wrongSize = await errorOf(run({ ...spec('measure'), stored: { ...stored, size: 5 } }, gz));
    expect(wrongSize).toMatchObject({ kind: 'invalid' });
    expect(wrongSize.message).toContain('more data than the 5 bytes its descriptor declares');
  });

  test.sequential('a blob that is not its digest is reported as such, not as the corrupt gzip it is', async () => {
    process.env.STRATA_THREADS = threads;
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 100, 400);
    for (const kind of ['measure', 'index'] as const) {
      const err = await errorOf(run({ ...spec(kind), stored: { digest: sha256(gz) } }, corrupt));
      expect(err).toMatchObject({ kind: 'digest-mismatch' });
      expect(err.message).toContain(sha256(corrupt));
    }
    // The right blob with a lying diffID is still the diffID's mismatch.
    const lying = await errorOf(run({ ...spec('measure', sha256('x')), stored: { digest: sha256(gz) } }, gz));
    expect(lying.message).toContain('uncompressed content');
  });

  test.sequential('a failed download fails the job with the download error', async () => {
    process.env.STRATA_THREADS = threads;
    const job = streamJob(spec('measure'));
    job.input.on('error', () => {}); // the download's own pipeline would take it
    job.input.write(gz.subarray(0, 1000));
    job.input.destroy(new Error('connection reset'));
    await expect(job.result).rejects.toThrow('connection reset');
    const checked = streamJob({ ...spec('measure'), stored: { digest: sha256(gz) } });
    checked.input.on('error', () => {});
    checked.input.write(gz.subarray(0, 1000));
    checked.input.destroy(new Error('connection reset'));
    await expect(checked.result).rejects.toThrow('connection reset');
  });
  if (saved === undefined) delete process.env.STRATA_THREADS;
});

describe('ChunkBatcher', () => {
  const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
  const join = (pieces: Uint8Array[]) => Buffer.concat(pieces.map((p) => Buffer.from(p)));

  test('small chunks are gathered into 1 MiB pieces, in order, nothing lost', () => {
    const b = new ChunkBatcher(false);
    const input = Array.from({ length: 40 }, (_, i) => bytes(65_536 + i, i));
    const pieces = [...input.flatMap((c) => b.add(c)), ...b.flush()];
    expect(pieces.length).toBe(3);
    expect(pieces.slice(0, -1).every((p) => p.byteLength <= 1 << 20)).toBe(true);
    expect(join(pieces).equals(Buffer.concat(input))).toBe(true);
  });

  test('a large chunk is copied unless it is handed over and owns its buffer', () => {
    const big = new Uint8Array(1 << 20).fill(3);
    const [copied] = new ChunkBatcher(false).add(big);
    expect(copied!.buffer).not.toBe(big.buffer);
    const [handed] = new ChunkBatcher(true).add(big);
    expect(handed!.buffer).toBe(big.buffer);
    const slice = Buffer.from(new Uint8Array(2 << 20)).subarray(0, 1 << 20);
    expect(new ChunkBatcher(true).add(slice)[0]!.buffer).not.toBe(slice.buffer);
  });

  test('a large chunk first sends what was gathered before it', () => {
    const b = new ChunkBatcher(false);
    expect(b.add(bytes(10, 1))).toEqual([]);
    const out = b.add(bytes(1 << 20, 2));
    expect(out.map((p) => p.byteLength)).toEqual([10, 1 << 20]);
    expect(b.flush()).toEqual([]);
  });
});
