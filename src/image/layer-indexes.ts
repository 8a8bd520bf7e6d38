import { Transform, type TransformCallback } from 'node:stream';
import { LayerIndexCache } from '../cache/layer-index-cache.js';
import { pipeline } from 'node:stream/promises';
import { type DecodeOptions, decodeLayerIndex } from '../layer/index-codec.js';
import type { LayerIndex } from '../layer/index-types.js';
import { canDecompressFileSync } from '../layer/compression.js';
import { fileJob, stopIdleWorkers, streamJob } from '../threads/pool.js';
import type { EncodedIndex } from '../threads/protocol.js';
import type { ImageSource } from '../transports/types.js';
import type { Image, ImageLayer } from './image.js';

/** Progress of one layer's read, in stored (compressed) bytes; total when the source knows it. */
export type LayerIndexProgress = (
  layerIndex: number,
  bytesRead: number,
  totalCompressedBytes?: number,
) => void;

export interface LayerIndexOptions extends DecodeOptions {
  /** Layers scanned at once (default 2). */
  concurrency?: number;
  onProgress?: LayerIndexProgress;
  cache?: LayerIndexCache;
  /**
   * Which layers are read first: the largest (default: the big ones finishing last would leave cores
   * idle), or the base first, for a caller that builds on the layers in order as they come.
   */
  order?: 'largest-first' | 'base-first';
}

/** A layer whose index is in: its unpacked size, and the index (a scanned one stays encoded until taken). */
export interface IndexedLayer {
  unpackedSize: number;
  /** Read from the layer's blob in this call (not found in the cache). */
  scanned: boolean;
  take(): LayerIndex;
}

function indexedLayer(got: LayerIndex | Buffer, unpackedSize: number, options: DecodeOptions): IndexedLayer {
  return {
    unpackedSize,
    scanned: Buffer.isBuffer(got),
    take: () => (Buffer.isBuffer(got) ? decodeLayerIndex(got, options) : got),
  };
}

/** Counts the stored bytes that pass, for progress. */
class ByteCounter extends Transform {
  private seen = 0;
  constructor(private readonly report: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    this.report(this.seen);
    cb(null, chunk);
  }
}

/** A scanned layer's index as the cache stores it, with what the cache records beside it. */
interface ScannedLayer {
  encoded: Buffer;
  members: number;
  unpackedSize: number;
}

/**
 * Read one layer and index it on a stream worker: stored blob → decompress → scan, the scan's diffID
 * checked against the layer's (which proves the content, so local sources skip hashing the stored
 * bytes). Resolves to the index encoded for the cache.
 */
async function scanEncoded(
  source: ImageSource,
  layer: ImageLayer,
  onProgress?: LayerIndexProgress,
): Promise<ScannedLayer> {
  const what = `layer ${layer.index} (${layer.diffID})`;
  const { compression } = layer.blob;
  // A local blob: the worker reads the file itself (no stream, nothing passed between threads).
  const file = canDecompressFileSync(compression)
    ? await source.storedFile?.(layer.blob, layer.index)
    : undefined;
  if (file) {
    const spec = { kind: 'index' as const, compression, diffID: layer.diffID, what, file };
    const result = await fileJob(spec, (n) => onProgress?.(layer.index, n, layer.blob.size));
    return encodedScan(result);
  }
  const blob = await source.openLayer(layer.blob, layer.index, { diffIDChecked: true });
  const spec = { kind: 'index' as const, compression, diffID: layer.diffID, what };
  // Nothing else reads the blob's chunks: they go to the worker without a copy.
  const job = streamJob(spec, { handOver: true });
  const counter = new ByteCounter((n) => onProgress?.(layer.index, n, layer.blob.size));
  const [, result] = await Promise.all([pipeline(blob, counter, job.input), job.result]);
  return encodedScan(result);
}

function encodedScan(result: EncodedIndex): ScannedLayer {
  const encoded = Buffer.from(result.encoded.buffer, result.encoded.byteOffset, result.encoded.byteLength);
  return { encoded, members: result.members, unpackedSize: result.unpackedSize };
}

/**
 * The index of every layer of an image, base first: from the cache by diffID when it has one, else by
 * one read of the layer, which is then cached. Scanned indexes stay encoded (a few MB) until every scan
 * is done and the workers are gone, so their memory and the decoded indexes' are not needed at once.
 */
export async function layerIndexes(
  source: ImageSource,
  image: Image,
  options: LayerIndexOptions = {},
): Promise<LayerIndex[]> {
  const out = new Array<IndexedLayer>(image.layers.length);
  await eachLayerIndex(
    source,
    image,
    (i, layer) => {
      out[i] = layer;
    },
    options,
  );
  return out.map((layer) => layer.take());
}

/**
 * Each layer's index handed to `onLayer` as soon as it is in (from the cache or a scan), in completion
 * order; the next read of that worker waits for `onLayer`. The stream workers are stopped once the last
 * read is done, before its `onLayer`, so their memory and what a caller builds on the indexes (the
 * explorer's timeline) are not needed at once.
 */
export async function eachLayerIndex(
  source: ImageSource,
  image: Image,
  onLayer: (layerIndex: number, layer: IndexedLayer) => void | Promise<void>,
  options: LayerIndexOptions = {},
): Promise<void> {
  const cache = options.cache ?? new LayerIndexCache();
  const queue = [...image.layers];
  if (options.order !== 'base-first') queue.sort((a, b) => (b.blob.size ?? 0) - (a.blob.size ?? 0));
  let reading = 0;
  const worker = async () => {
    for (let layer = queue.shift(); layer; layer = queue.shift()) {
      try {
        reading++;
        const got = await indexOne(cache, source, layer, options).finally(() => reading--);
        if (queue.length === 0 && reading === 0) await stopIdleWorkers();
        await onLayer(layer.index, indexedLayer(got.index, got.unpackedSize, options));
      } catch (err) {
        queue.length = 0; // one failure fails the call: start no more layers
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker);
  await Promise.all(workers);
  await stopIdleWorkers();
}

/** One layer's index: the cache's, else a fresh scan (left encoded), which is then cached. */
async function indexOne(
  cache: LayerIndexCache,
  source: ImageSource,
  layer: ImageLayer,
  options: LayerIndexOptions,
): Promise<{ index: LayerIndex | Buffer; unpackedSize: number }> {
  const cached = await cache.get(layer.diffID, options);
  if (cached) return { index: cached, unpackedSize: cached.unpackedSize };
  const scanned = await scanEncoded(source, layer, options.onProgress);
  await cache.putEncoded(
    { diffID: layer.diffID, unpackedSize: scanned.unpackedSize },
    scanned.members,
    scanned.encoded,
  );
  return { index: scanned.encoded, unpackedSize: scanned.unpackedSize };
}
