import { ResultCache } from '../cache/result-cache.js';
import type { Image } from '../image/image.js';
import type { LayerIndex } from '../layer/index-types.js';
import { type LayerIndexOptions, layerIndexes } from '../image/layer-indexes.js';
import type { ImageSource } from '../transports/types.js';
import type { UnionTree } from '../union/tree.js';
import { type WasteReport, analyseWaste, wasteOfUnion } from './waste.js';

/** Bump when analyseWaste's results change for the same layers, so cached reports are not reused. */
const WASTE_REPORT_VERSION = 2;

/**
 * Wasted files the short copy of a cached report keeps. The full list of a large image is megabytes of
 * JSON (4 MB, 60 ms to parse on the bench image); a report that lists the top few reads only this.
 */
export const SHORT_REPORT_FILES = 1000;

export interface ImageWasteOptions extends LayerIndexOptions {
  /** Layers that are the base (default 1). */
  baseLayers?: number;
  results?: ResultCache;
  /** The image's layer indexes when the caller has them already. */
  indexes?: readonly LayerIndex[];
  /** The merged filesystem of every layer when the caller has built it (the explorer's stepper has). */
  union?: UnionTree;
  /** Only the first this many wasted files are wanted: `files` holds just those; `fileCount` says how many there are. */
  firstFiles?: number;
}

/**
 * The waste report of an image: from the result cache when this image (its config digest fixes every
 * layer by diffID) was analysed with the same base before, else from its layer indexes (cached or
 * scanned), then cached in full and as a short copy.
 */
export async function imageWaste(
  source: ImageSource,
  image: Image,
  options: ImageWasteOptions = {},
): Promise<WasteReport> {
  const baseLayers = options.baseLayers ?? 1;
  const results = options.results ?? new ResultCache();
  const key = `waste/${WASTE_REPORT_VERSION}/${image.id}/${baseLayers}`;
  const shortKey = `${key}/first-${SHORT_REPORT_FILES}`;
  const wantsFew = options.firstFiles !== undefined && options.firstFiles <= SHORT_REPORT_FILES;
  const first = (r: WasteReport, n: number | undefined) =>
    n === undefined || r.files.length <= n ? r : { ...r, files: r.files.slice(0, n) };
  const cached =
    (wantsFew ? await results.get<WasteReport>(shortKey) : undefined) ??
    (await results.get<WasteReport>(key));
  if (cached) return first(cached, options.firstFiles);
  const report = options.union
    ? wasteOfUnion(options.union, image.layers.length, { baseLayers })
    : analyseWaste(
        // Waste never compares contents: the indexes are read without their content hashes.
        options.indexes ?? (await layerIndexes(source, image, { ...options, contentHashes: false })),
        { baseLayers },
      );
  await results.put(key, report);
  await results.put(shortKey, first(report, SHORT_REPORT_FILES));
  return first(report, options.firstFiles);
}
