import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { decodeLayerIndex } from '../../src/layer/index-codec.js';
import { sha256 } from '../../src/oci/digest.js';
import { streamJob, workerCount } from '../../src/threads/pool.js';
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

  test.sequential('a failed download fails the job with the download error', async () => {
    process.env.STRATA_THREADS = threads;
    const job = streamJob(spec('measure'));
    job.input.on('error', () => {}); // the download's own pipeline would take it
    job.input.write(gz.subarray(0, 1000));
    job.input.destroy(new Error('connection reset'));
    await expect(job.result).rejects.toThrow('connection reset');
  });
  if (saved === undefined) delete process.env.STRATA_THREADS;
});
