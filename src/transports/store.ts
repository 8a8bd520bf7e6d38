/**
 * The `strata:NAME` transport: strata's own store as a source (images resolve through its tags and
 * IDs; layer sizes come from its layer database, so inspect and history read no layer) and as a
 * destination (blobs kept as received, images recorded with their layer database entries). A Docker
 * manifest is listed in index.json through an OCI view for skopeo and umoci; this source still reads
 * the manifest as received, found by its digest.
 */
import { join } from 'node:path';
import { LayerFactsCache } from '../cache/layer-facts.js';
import { layerTypeInfo } from '../oci/mediatypes.js';
import { SNIFF_BYTES, checkSniffed, peekStream, sniffCompression } from '../layer/compression.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { Store } from '../store/store.js';
import { measureLayer } from '../threads/jobs.js';
import { createLayoutSource } from './oci-common.js';
import { DirBlobStore } from './oci-layout.js';
import type { CommittedLayer, ImageDestination, ImageSource, SourceOptions } from './types.js';

type StoreLocation = Extract<ImageLocation, { transport: 'strata' }>;

/** The store the CLI works on ($STRATA_ROOT). */
export function openStore(root?: string): Promise<Store> {
  return Store.open(root);
}

/** Read an image of the store. */
export async function createStoreSource(
  loc: StoreLocation,
  _options: SourceOptions = {},
): Promise<ImageSource> {
  const store = await openStore();
  return storeSource(store, loc);
}

export async function storeSource(store: Store, loc: StoreLocation): Promise<ImageSource> {
  const image = await store.resolveImage(loc.name);
  const name = formatLocation(loc);
  const blobs = new DirBlobStore(store.root, store.what);
  const layout = createLayoutSource(name, blobs, { digest: image.manifestDigest });
  return {
    ...layout,
    name,
    // Layers enter the store only after their diffID checked out (copy's meter, or measureStoredLayer).
    diffIDsVerified: true,
    async resolve(options) {
      const resolved = await layout.resolve(options);
      resolved.facts = {
        repoTags: image.record.tags.map((t) => formatReference(parseReference(t.ref), true)),
        repoDigests: [...image.record.repoDigests],
      };
      const sizes = await store.layerSizes(image);
      if (sizes !== undefined) resolved.facts.layerSizes = sizes;
      const index = image.record.index;
      if (index !== undefined && (await store.hasBlob(index))) {
        resolved.index = { bytes: await store.readBlob(index), digest: index, mediaType: 'application/json' };
        const parsed = JSON.parse(resolved.index.bytes.toString('utf8')) as { mediaType?: string };
        if (typeof parsed.mediaType === 'string') resolved.index.mediaType = parsed.mediaType;
      }
      return resolved;
    },
  };
}

/**
 * Unpacked size of a stored layer: decompressed, checked against its diffID on the way, and
 * remembered by diffID so no layer is scanned twice.
 */
export async function measureStoredLayer(store: Store, layer: CommittedLayer): Promise<number> {
  const cache = new LayerFactsCache(join(store.root, 'cache', 'layers', 'sha256'));
  const known = await cache.get(layer.diffID);
  if (known) return known.unpackedSize;
  const what = `${store.what}: layer ${layer.blob.digest}`;
  const peeked = await peekStream(await store.openBlob(layer.blob.digest), SNIFF_BYTES);
  const declared = layerTypeInfo(layer.blob.mediaType)?.compression;
  const compression = checkSniffed(sniffCompression(peeked.head), declared, what);
  const r = await measureLayer(peeked.stream, compression, layer.diffID, what);
  await cache.put(layer.diffID, { unpackedSize: r.size, entries: r.entries });
  return r.size;
}

/** Write images into the store. */
export async function createStoreDestination(
  loc: StoreLocation,
  _options: SourceOptions = {},
): Promise<ImageDestination> {
  return storeDestination(await openStore(), loc);
}

export function storeDestination(store: Store, loc: StoreLocation): ImageDestination {
  return {
    name: formatLocation(loc),
    layerCompression: 'keep',
    // The layer database records unpacked sizes: copy measures them on the way in, one read less.
    recordsUnpackedSizes: true,
    hasBlob: (blob) => store.hasBlob(blob.digest, blob.size),
    claimBlob: (blob) => store.claimBlob(blob.digest),
    putBlob: (blob, content, onProgress) => store.putBlob(blob, content, onProgress),
    commitImage: (image) => store.commitImage(image, (layer) => measureStoredLayer(store, layer)),
    async close() {},
  };
}
