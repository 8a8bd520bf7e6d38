import { ResultCache } from '../cache/result-cache.js';
import type { Image } from '../image/image.js';
import type { LayerIndex } from '../layer/index-types.js';
import { type LayerIndexOptions, layerIndexes } from '../image/layer-indexes.js';
import type { ImageSource } from '../transports/types.js';
import { type WasteReport, analyseWaste } from './waste.js';

/** Bump when analyseWaste's results change for the same layers, so cached reports are not reused. */
const WASTE_REPORT_VERSION = 1;

export interface ImageWasteOptions extends LayerIndexOptions {
  /** Layers that are the base (default 1). */
  baseLayers?: number;
  results?: ResultCache;
  /** The image's layer indexes when the caller has them already. */
  indexes?: readonly LayerIndex[];
}

/**
 * The waste report of an image: from the result cache when this image (its config digest fixes every
 * layer by diffID) was analysed with the same base before, else from its layer indexes (cached or
 * scanned), then cached.
 */
export async function imageWaste(
  source: ImageSource,
  image: Image,
  options: ImageWasteOptions = {},
): Promise<WasteReport> {
  const baseLayers = options.baseLayers ?? 1;
  const results = options.results ?? new ResultCache();
  const key = `waste/${WASTE_REPORT_VERSION}/${image.id}/${baseLayers}`;
  const cached = await results.get<WasteReport>(key);
  if (cached) return cached;
  const indexes = options.indexes ?? (await layerIndexes(source, image, options));
  const report = analyseWaste(indexes, { baseLayers });
  await results.put(key, report);
  return report;
}
