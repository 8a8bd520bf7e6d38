import { Transform, type TransformCallback } from 'node:stream';
import { LayerIndexCache } from '../cache/layer-index-cache.js';
import { decompress } from '../layer/compression.js';
import { scanLayerIndex } from '../layer/index-scan.js';
import type { LayerIndex } from '../layer/index-types.js';
import { digestMismatch } from '../oci/digest.js';
import type { ImageSource } from '../transports/types.js';
import type { Image, ImageLayer } from './image.js';

/** Progress of one layer's read, in stored (compressed) bytes; total when the source knows it. */
export type LayerIndexProgress = (
  layerIndex: number,
  bytesRead: number,
  totalCompressedBytes?: number,
) => void;

export interface LayerIndexOptions {
  /** Layers scanned at once (default 2). */
  concurrency?: number;
  onProgress?: LayerIndexProgress;
  cache?: LayerIndexCache;
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

/**
 * Read one layer and index it: stored blob → decompress → scan, the scan's diffID checked against the
 * layer's. Resolves to the index and the tar's member count.
 */
export async function scanImageLayer(
  source: ImageSource,
  layer: ImageLayer,
  onProgress?: LayerIndexProgress,
): Promise<{ index: LayerIndex; members: number }> {
  const what = `layer ${layer.index} (${layer.diffID})`;
  const blob = await source.openLayer(layer.blob, layer.index);
  const counter = new ByteCounter((n) => onProgress?.(layer.index, n, layer.blob.size));
  blob.on('error', (err) => counter.destroy(err));
  counter.on('close', () => {
    if (!blob.destroyed) blob.destroy();
  });
  const tar = await decompress(blob.pipe(counter), layer.blob.compression, what);
  const scan = await scanLayerIndex(tar, what);
  if (scan.diffID !== layer.diffID)
    throw digestMismatch(`${what}: uncompressed content`, layer.diffID, scan.diffID);
  return {
    index: { diffID: scan.diffID, entries: scan.entries, unpackedSize: scan.unpackedSize },
    members: scan.members,
  };
}

/**
 * The index of every layer of an image, base first: from the cache by diffID when it has one, else by
 * one read of the layer, which is then cached.
 */
export async function layerIndexes(
  source: ImageSource,
  image: Image,
  options: LayerIndexOptions = {},
): Promise<LayerIndex[]> {
  const cache = options.cache ?? new LayerIndexCache();
  const out = new Array<LayerIndex>(image.layers.length);
  const queue = [...image.layers];
  const worker = async () => {
    for (let layer = queue.shift(); layer; layer = queue.shift()) {
      try {
        out[layer.index] = await indexOne(cache, source, layer, options.onProgress);
      } catch (err) {
        queue.length = 0; // one failure fails the call: start no more layers
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker);
  await Promise.all(workers);
  return out;
}

/** One layer's index: the cache's, else a fresh scan, which is then cached. */
async function indexOne(
  cache: LayerIndexCache,
  source: ImageSource,
  layer: ImageLayer,
  onProgress?: LayerIndexProgress,
): Promise<LayerIndex> {
  const cached = await cache.get(layer.diffID);
  if (cached) return cached;
  const { index, members } = await scanImageLayer(source, layer, onProgress);
  await cache.put(index, members);
  return index;
}
