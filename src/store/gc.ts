/**
 * Garbage collection by reachability: a blob lives while index.json reaches it (manifest, its OCI
 * view, config, layers, the recorded index); a layer database entry lives while some image's chain uses it.
 */
import { rm } from 'node:fs/promises';
import { fromSystemError } from '../errors.js';
import { blobSize, listBlobs } from './blobs.js';
import { fsyncDir, type StorePaths } from './layout.js';
import { listLayerEntries, removeLayerEntry } from './layerdb.js';
import { isProcessAlive, lockOwner } from './lock.js';

export interface GcResult {
  /** Blob digests deleted. */
  blobs: string[];
  /** Bytes those blobs took. */
  bytes: number;
  /** Chain IDs whose layer database entries were deleted. */
  layers: string[];
}

/** The parts of an image GC needs. */
export interface ReachableImage {
  manifestDigest: string;
  id: string;
  manifest: { layers: Array<{ digest: string }> };
  record: { index?: string; view?: { digest: string } };
  chainIDs: string[];
}

/** Every blob digest the images reach. Pure. */
export function imageBlobs(images: readonly ReachableImage[]): Set<string> {
  const keep = new Set<string>();
  for (const image of images) {
    keep.add(image.manifestDigest);
    keep.add(image.id);
    for (const layer of image.manifest.layers) keep.add(layer.digest);
    if (image.record.index !== undefined) keep.add(image.record.index);
    if (image.record.view !== undefined) keep.add(image.record.view.digest);
  }
  return keep;
}

/** A blob some live process has claimed (is fetching) must not be swept from under it. */
async function isClaimed(paths: StorePaths, digest: string): Promise<boolean> {
  const owner = await lockOwner(paths.blobLock(digest));
  return owner !== undefined && isProcessAlive(owner);
}

/**
 * Delete, among the candidates (everything stored when undefined), the blobs and entries the kept
 * images do not reach. The caller holds the store lock.
 */
export async function sweep(
  paths: StorePaths,
  keepImages: readonly ReachableImage[],
  candidates: { blobs?: Iterable<string>; chains?: Iterable<string> } = {},
): Promise<GcResult> {
  const keepBlobs = imageBlobs(keepImages);
  const keepChains = new Set(keepImages.flatMap((i) => i.chainIDs));
  const result: GcResult = { blobs: [], bytes: 0, layers: [] };
  for (const digest of new Set(candidates.blobs ?? (await listBlobs(paths)))) {
    if (keepBlobs.has(digest) || (await isClaimed(paths, digest))) continue;
    const size = await blobSize(paths, digest);
    if (size === undefined) continue;
    try {
      await rm(paths.blob(digest), { force: true });
    } catch (err) {
      throw fromSystemError(err, `${paths.root}: blob ${digest}`);
    }
    result.blobs.push(digest);
    result.bytes += size;
  }
  if (result.blobs.length > 0) await fsyncDir(paths.blobDir);
  const stored = new Set(await listLayerEntries(paths));
  // Top of the chain first, as the engine releases layers.
  for (const chainID of [...new Set(candidates.chains ?? stored)].reverse()) {
    if (keepChains.has(chainID) || !stored.has(chainID)) continue;
    await removeLayerEntry(paths, chainID);
    result.layers.push(chainID);
  }
  return result;
}
