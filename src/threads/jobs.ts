// What a stream worker runs: pure functions of a layer's stored bytes, also run in-process where
// threads cannot start.
import { type Hash, createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { decompressFileSync, decompressTransient } from '../layer/compression.js';
import { LayerIndexEncoder } from '../layer/index-codec.js';
import { type LayerScan, layerIndexer, scanLayerIndex } from '../layer/index-scan.js';
import type { UnpackedSize } from '../layer/unpacked-size.js';
import { blobProblem, digestMismatch } from '../oci/digest.js';
import type { Compression } from '../oci/mediatypes.js';
import type { EncodedIndex, FileJobSpec, JobKind, JobResults, JobSpec } from './protocol.js';

/**
 * Decompress a stored layer, check its diffID and count its unpacked size as the layer database records
 * it.
 */
export async function measureLayer(
  stored: Readable,
  compression: Compression,
  diffID: string,
  what: string,
): Promise<UnpackedSize> {
  const tar = await decompressTransient(stored, compression, what);
  const scan = await scanLayerIndex(tar, what, { measureOnly: true });
  if (scan.diffID !== diffID) throw digestMismatch(`${what}: uncompressed content`, diffID, scan.diffID);
  return { size: scan.unpackedSize, entries: scan.members };
}

/** Decompress and index a stored layer in one read, its diffID checked; the index encoded for the cache. */
export async function indexLayer(
  stored: Readable,
  compression: Compression,
  diffID: string,
  what: string,
): Promise<EncodedIndex> {
  const tar = await decompressTransient(stored, compression, what);
  const encoder = new LayerIndexEncoder();
  const scan = await scanLayerIndex(tar, what, { onEntry: (entry) => encoder.add(entry) });
  return encodedIndex(scan, encoder, diffID, what);
}

/**
 * `indexLayer` of a layer stored in a local file, read on this thread without a stream (a stream
 * worker's whole job: nothing allocated per chunk, no bytes passed between threads).
 */
export async function indexLayerFile(
  spec: FileJobSpec,
  onRead?: (storedBytes: number) => void,
): Promise<EncodedIndex> {
  const encoder = new LayerIndexEncoder();
  const indexer = await layerIndexer(spec.what, { onEntry: (e) => encoder.add(e) });
  decompressFileSync(spec.file, spec.compression, spec.what, (tar) => indexer.write(tar), onRead);
  return encodedIndex(indexer.finish(), encoder, spec.diffID, spec.what);
}

/** The scan's index encoded, once its diffID is the layer's. */
function encodedIndex(
  scan: LayerScan,
  encoder: LayerIndexEncoder,
  diffID: string,
  what: string,
): EncodedIndex {
  if (scan.diffID !== diffID) throw digestMismatch(`${what}: uncompressed content`, diffID, scan.diffID);
  // A copy with a buffer of its own, so a worker can hand it over (pooled buffers cannot be).
  const encoded = new Uint8Array(encoder.finish(scan.diffID, scan.unpackedSize));
  return { encoded, members: scan.members, unpackedSize: scan.unpackedSize };
}

function runJob<K extends JobKind>(stored: Readable, spec: JobSpec & { kind: K }): Promise<unknown> {
  const run = spec.kind === 'measure' ? measureLayer : indexLayer;
  return run(stored, spec.compression, spec.diffID, spec.what);
}

/**
 * One job and the bytes it is fed, on a worker or in-process. With `spec.stored` the bytes are hashed as
 * they come, and once they have all come a wrong blob is reported as such: a job that failed on them
 * meanwhile (corrupt gzip, say) takes no more of them, but its failure waits for the verdict.
 */
export class JobFeed<K extends JobKind> {
  private readonly input = new PassThrough();
  private readonly hash?: Hash;
  private size = 0;
  private failed = false;
  private aborted?: Error;
  private ended!: () => void;
  private readonly allIn = new Promise<void>((resolve) => {
    this.ended = resolve;
  });
  readonly result: Promise<JobResults[K]>;

  constructor(private readonly spec: JobSpec & { kind: K }) {
    if (spec.stored) this.hash = createHash('sha256');
    this.result = this.settle(runJob(this.input, spec));
  }

  /** Take the next chunk; `taken` runs once the job has it (or has stopped taking any). */
  write(chunk: Buffer, taken: () => void): void {
    this.hash?.update(chunk);
    this.size += chunk.length;
    if (this.failed || this.input.destroyed) taken();
    else this.input.write(chunk, () => taken());
  }

  end(): void {
    this.input.end();
    this.ended();
  }

  abort(reason: Error = new Error('aborted')): void {
    this.aborted = reason;
    this.input.destroy(reason);
    this.ended();
  }

  private async settle(run: Promise<unknown>): Promise<JobResults[K]> {
    const { stored, what } = this.spec;
    let result: unknown;
    try {
      result = await run;
    } catch (err) {
      if (!stored || this.aborted) throw this.aborted ?? err;
      this.failed = true;
      this.input.resume(); // whatever is still buffered for the job goes nowhere
      await this.allIn;
      if (this.aborted) throw this.aborted;
      throw blobProblem(this.stored(), stored, what) ?? err;
    }
    if (stored) {
      await this.allIn;
      const problem = blobProblem(this.stored(), stored, what);
      if (problem) throw problem;
    }
    return result as JobResults[K];
  }

  /** The digest and length of what came; read once, when all of it has. */
  private stored(): { digest?: string; size: number } {
    return { digest: this.hash && `sha256:${this.hash.digest('hex')}`, size: this.size };
  }
}
