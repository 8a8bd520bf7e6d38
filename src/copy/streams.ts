import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import { StrataError } from '../errors.js';
import { type StreamJob, streamJob } from '../threads/pool.js';
import type { JobResults, JobSpec } from '../threads/protocol.js';
import type { Compression } from '../oci/mediatypes.js';
import { ZLIB_CHUNK } from '../layer/compression.js';

/** A pass-through that counts the bytes going by. */
export class Tap extends Transform {
  private seen = 0;

  constructor(private readonly onBytes?: (total: number) => void) {
    super();
    // Whoever reads the tap may attach its listeners a tick late (after an await); until then an error
    // waits in this.errored, which pipeline and async iteration both report, rather than crashing.
    this.on('error', () => {});
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    this.onBytes?.(this.seen);
    cb(null, chunk);
  }
}

/** Readable → readable through a transform; errors of the input reach the output. */
export function piped<T extends Transform>(input: Readable, through: T): T {
  // The input may already have failed (a small blob read and rejected before anyone listened).
  if (input.errored) {
    through.destroy(input.errored);
    return through;
  }
  input.on('error', (err) => through.destroy(err));
  return input.pipe(through);
}

/**
 * A pass-through that has a stream worker measure the stored bytes going by for the layer database
 * (decompress, check the diffID, count the unpacked size) and check their blob digest and length (the
 * source skipped its own hash for this). It ends only once the worker agrees, so a destination never
 * keeps a blob that fails; the worker's credit window paces the copy, so memory stays flat. The copy's
 * own thread is left with the download and the writes.
 */
export class OffThreadCheck extends Transform {
  private readonly job: StreamJob<'measure'>;

  constructor(spec: JobSpec & { kind: 'measure' }, expected: { digest?: string; size?: number }) {
    super();
    const stored =
      expected.digest === undefined ? undefined : { digest: expected.digest, size: expected.size };
    this.job = streamJob({ ...spec, stored });
    this.job.input.on('error', (err) => this.destroy(err));
    // As with Tap: a reader may attach a tick late; the error waits in this.errored meanwhile.
    this.on('error', () => {});
  }

  /** The worker's answer; settles after the stream has ended (or failed). */
  get result(): Promise<JobResults['measure']> {
    return this.job.result;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.job.input.write(chunk)) cb(null, chunk);
    else this.job.input.once('drain', () => cb(null, chunk));
  }

  override _flush(cb: TransformCallback): void {
    this.job.input.end();
    this.job.result.then(
      () => cb(),
      (err: Error) => cb(err),
    );
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (err && !this.job.input.destroyed) this.job.input.destroy(err);
    cb(err);
  }
}

/** Compress a tar stream for a destination that wants a different encoding. */
export async function compressStream(tar: Readable, to: Compression): Promise<Readable> {
  if (to === 'none') return tar;
  if (to === 'gzip') return tar.pipe(createGzip({ chunkSize: ZLIB_CHUNK }));
  const zstd = await loadZstdCompressor();
  const out = new zstd();
  tar.on('error', (err) => out.destroy(err));
  return tar.pipe(out);
}

async function loadZstdCompressor(): Promise<new () => Transform> {
  try {
    const mod = (await import('zstd-napi')) as unknown as { CompressStream: new () => Transform };
    return mod.CompressStream;
  } catch {
    throw new StrataError(
      'unsupported',
      'zstd compression needs the zstd-napi module, which is not installed',
      {
        hint: 'run npm ci on a machine with a C++ compiler, or use --compress gzip',
      },
    );
  }
}
