import { LayerFactsCache, type LayerFacts } from '../cache/layer-facts.js';
import { unpackedSizeFromFile } from '../layer/unpacked-size.js';
import { measureOnWorker } from '../threads/pool.js';
import type { ImageSource } from '../transports/types.js';
import type { Image, ImageLayer } from './image.js';

export interface LayerSizeOptions {
  cache?: LayerFactsCache;
  /** Layers scanned at once. */
  concurrency?: number;
}

/**
 * Scan one layer for its facts. An uncompressed layer in a local file is read header by header
 * (seeking past file data); anything else is streamed once to a stream worker, which checks its blob
 * digest, decompresses it and checks it against its diffID.
 */
export async function scanLayerFacts(source: ImageSource, layer: ImageLayer): Promise<LayerFacts> {
  const what = `layer ${layer.index} (${layer.diffID})`;
  const range = await source.layerFile?.(layer.blob, layer.index);
  if (range) {
    const r = await unpackedSizeFromFile(range, what);
    return { unpackedSize: r.size, entries: r.entries };
  }
  const { digest, size, compression } = layer.blob;
  // The worker hashes the blob as it measures it, so the source need not.
  const blob = await source.openLayer(layer.blob, layer.index, { digestChecked: digest !== undefined });
  const stored = digest === undefined ? undefined : { digest, size };
  const r = await measureOnWorker(blob, { kind: 'measure', compression, diffID: layer.diffID, what, stored });
  return { unpackedSize: r.size, entries: r.entries };
}

/**
 * Unpacked size of every layer, as Docker's layer database records it: from the source when it already
 * knows (a local engine), else from the cache by diffID, else by one scan of the layer.
 */
export async function layerSizes(
  source: ImageSource,
  image: Image,
  options: LayerSizeOptions = {},
): Promise<number[]> {
  const known = image.facts.layerSizes;
  if (known && known.length === image.layers.length) return [...known];
  const cache = options.cache ?? new LayerFactsCache();
  const sizes = new Array<number>(image.layers.length);
  const queue = [...image.layers];
  const worker = async () => {
    for (let layer = queue.shift(); layer; layer = queue.shift()) {
      let facts = await cache.get(layer.diffID);
      if (!facts) {
        facts = await scanLayerFacts(source, layer);
        await cache.put(layer.diffID, facts);
      }
      sizes[layer.index] = facts.unpackedSize;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  await source.recordLayerSizes?.(sizes);
  return sizes;
}
