/**
 * A full check of the store: every blob hashes to its name, every image's documents and layers are
 * present (a Docker manifest's OCI view too, naming the same blobs), every layer database entry agrees
 * with the chains that use it and with itself. A layer not read since it was pulled has no entry yet;
 * `strata system verify` reads those too (transports/store.ts registerLayers).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { chainIDs } from '../oci/chainid.js';
import { sha256 } from '../oci/digest.js';
import { type ImageManifest, expectImageManifest, parseManifest } from '../oci/manifest.js';
import { MediaType, layerTypeInfo } from '../oci/mediatypes.js';
import { blobSize, listBlobs } from './blobs.js';
import { entryProblems, listLayerEntries, readLayerEntry } from './layerdb.js';
import type { Store, StoreImage } from './store.js';
import { viewMismatches } from './view.js';

/** One sentence naming the thing that is wrong. */
export type StoreProblem = string;

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

async function blobProblems(store: Store): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  for (const digest of await listBlobs(store.paths)) {
    const actual = await hashFile(store.paths.blob(digest));
    if (actual !== digest) problems.push(`blob ${digest} is corrupt: its content hashes to ${actual}`);
  }
  return problems;
}

async function imageProblems(store: Store, image: StoreImage): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  const at = `image ${image.id.slice(7, 19)} (manifest ${image.manifestDigest})`;
  if (image.manifest.layers.length !== image.diffIDs.length)
    problems.push(`${at}: ${image.manifest.layers.length} layers but ${image.diffIDs.length} diff_ids`);
  for (const [i, layer] of image.manifest.layers.entries()) {
    const size = await blobSize(store.paths, layer.digest);
    if (size === undefined && !layerTypeInfo(layer.mediaType)?.foreign)
      problems.push(`${at}: layer ${i} (${layer.digest}) is missing`);
    else if (size !== undefined && size !== layer.size)
      problems.push(`${at}: layer ${i} (${layer.digest}) is ${size} bytes, the manifest says ${layer.size}`);
  }
  const index = image.record.index;
  if (index !== undefined && (await blobSize(store.paths, index)) === undefined)
    problems.push(`${at}: its index ${index} is missing`);
  problems.push(...(await viewProblems(store, image, at)));
  for (const [i, chainID] of image.chainIDs.entries()) {
    const entry = await readLayerEntry(store.paths, chainID);
    // No entry: a layer not read since it was pulled (registered on first use).
    if (entry === undefined && !(await hasLayerDir(store, chainID))) continue;
    const want = { chainID, diffID: image.diffIDs[i] as string, parent: image.chainIDs[i - 1] };
    problems.push(...entryProblems(entry, want).map((p) => `${at}: ${p}`));
  }
  return problems;
}

/** Whether the layer database has a directory for the chain, complete or not. */
async function hasLayerDir(store: Store, chainID: string): Promise<boolean> {
  return stat(store.paths.layer(chainID)).then(
    () => true,
    () => false,
  );
}

async function readView(store: Store, digest: string): Promise<ImageManifest> {
  const what = `${store.what}: OCI view ${digest}`;
  const bytes = await store.readBlob(digest, `OCI view ${digest}`);
  return expectImageManifest(parseManifest(bytes, MediaType.ociManifest, what), what);
}

/** The view index.json lists for a Docker manifest must be there and name the same blobs. */
async function viewProblems(store: Store, image: StoreImage, at: string): Promise<StoreProblem[]> {
  const view = image.record.view;
  if (view === undefined) return [];
  const label = `${at}: its OCI view ${view.digest}`;
  const size = await blobSize(store.paths, view.digest);
  if (size === undefined) return [`${label} is missing`];
  if (size !== view.size) return [`${label} is ${size} bytes, index.json says ${view.size}`];
  let parsed: ImageManifest;
  try {
    parsed = await readView(store, view.digest);
  } catch (err) {
    return [`${label}: ${(err as Error).message}`];
  }
  return viewMismatches(parsed, image.manifest).map((p) => `${label}: ${p}`);
}

/** An entry's name must be the chain ID of its parent and diff; its parent must be recorded. */
async function layerdbProblems(store: Store): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  const stored = new Set(await listLayerEntries(store.paths));
  for (const chainID of stored) {
    const entry = await readLayerEntry(store.paths, chainID);
    if (entry === undefined) {
      problems.push(`layerdb entry ${chainID} is incomplete`);
      continue;
    }
    const expected =
      entry.parent === undefined ? chainIDs([entry.diffID])[0] : sha256(`${entry.parent} ${entry.diffID}`);
    if (expected !== chainID)
      problems.push(`layerdb entry ${chainID}: its parent and diff make chain ${expected}`);
    if (entry.parent !== undefined && !stored.has(entry.parent))
      problems.push(`layerdb entry ${chainID}: parent ${entry.parent} is not recorded`);
  }
  return problems;
}

export async function verifyStore(store: Store): Promise<StoreProblem[]> {
  const problems = await blobProblems(store);
  for (const record of await store.records()) {
    let image: StoreImage;
    try {
      image = await store.load(record);
    } catch (err) {
      problems.push(`manifest ${record.manifest.digest}: ${(err as Error).message}`);
      continue;
    }
    problems.push(...(await imageProblems(store, image)));
  }
  problems.push(...(await layerdbProblems(store)));
  return problems;
}
