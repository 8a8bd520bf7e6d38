import { type Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { StrataError } from '../errors.js';
import { type StreamJob, streamJob } from '../threads/pool.js';
import type { Compression } from '../oci/mediatypes.js';
import { ZLIB_CHUNK } from '../layer/compression.js';

/**
 * A pass-through that counts bytes and copies every chunk to a side writable, honouring the side's
 * back-pressure: the slower of the two readers sets the pace, and memory stays flat.
 */
export class Tap extends Transform {
  private seen = 0;

  constructor(
    private readonly onBytes?: (total: number) => void,
    private readonly side?: Writable,
  ) {
    super();
    side?.on('error', (err) => this.destroy(err));
    // Whoever reads the tap may attach its listeners a tick late (after an await); until then an error
    // waits in this.errored, which pipeline and async iteration both report, rather than crashing.
    this.on('error', () => {});
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // A failed transfer must not leave the side reader (the layer meter) waiting for data forever.
    if (err && this.side && !this.side.destroyed) this.side.destroy(err);
    cb(err);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    this.onBytes?.(this.seen);
    if (this.side && !this.side.write(chunk)) this.side.once('drain', () => cb(null, chunk));
    else cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.side) this.side.end(() => cb());
    else cb();
  }
}

/** Readable → readable through a tap; errors of the input reach the output. */
export function tapped(input: Readable, tap: Tap): Readable {
  // The input may already have failed (a small blob read and rejected before anyone listened).
  if (input.errored) {
    tap.destroy(input.errored);
    return tap;
  }
  input.on('error', (err) => tap.destroy(err));
  return input.pipe(tap);
}

/**
 * Measure a layer from a side copy of its stored bytes (decompress, check the diffID, count the unpacked
 * size as the layer database records it) on a stream worker: the copy's own thread is busy with the
 * download and its digest. Returns the writable to feed and the result.
 */
export function layerMeter(compression: Compression, diffID: string, what: string): StreamJob<'measure'> {
  return streamJob({ kind: 'measure', compression, diffID, what });
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
