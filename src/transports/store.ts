/**
 * The `strata:NAME` transport: strata's own store as a source (images resolve through its tags and
 * IDs; layer sizes come from its layer database, so inspect and history read no layer) and as a
 * destination (blobs kept as received, images recorded with their layer database entries). A Docker
 * manifest is listed in index.json through an OCI view for skopeo and umoci; this source still reads
 * the manifest as received, found by its digest.
 */
import { layerTypeInfo } from '../oci/mediatypes.js';
import { SNIFF_BYTES, checkSniffed, peekStream, sniffCompression } from '../layer/compression.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { Store, type StoreImage } from '../store/store.js';
import { measureOnWorker } from '../threads/pool.js';
import { createLayoutSource } from './oci-common.js';
import { DirBlobStore } from './oci-layout.js';
import type { ImageDestination, ImageSource, SourceOptions } from './types.js';

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
  const source: ImageSource & { diffIDsVerified: boolean } = {
    ...layout,
    name,
    // True once resolve() found every layer registered (read and checked against its diffID).
    diffIDsVerified: false,
    async resolve(options) {
      const resolved = await layout.resolve(options);
      resolved.facts = {
        repoTags: image.record.tags.map((t) => formatReference(parseReference(t.ref), true)),
        repoDigests: [...image.record.repoDigests],
      };
      const sizes = await store.layerSizes(image);
      if (sizes !== undefined) resolved.facts.layerSizes = sizes;
      source.diffIDsVerified = sizes !== undefined;
      const index = image.record.index;
      if (index !== undefined && (await store.hasBlob(index))) {
        resolved.index = { bytes: await store.readBlob(index), digest: index, mediaType: 'application/json' };
        const parsed = JSON.parse(resolved.index.bytes.toString('utf8')) as { mediaType?: string };
        if (typeof parsed.mediaType === 'string') resolved.index.mediaType = parsed.mediaType;
      }
      return resolved;
    },
    recordLayerSizes: (sizes) => store.register(image, sizes),
  };
  return source;
}

export interface Registration {
  /** Images with a layer that could not be registered: its tar is not what the config says, say. */
  failures: Array<{ image: StoreImage; error: Error }>;
}

/**
 * Register every layer of the store's images (all, or those given) that no scan has read yet: pulled
 * layers are stored as fetched, and their tars are first read on first use. Each is decompressed,
 * checked against its diffID and measured, and the layer database entries are written. One image's
 * bad layer does not stop the others: it is reported in `failures`.
 */
export async function registerLayers(
  store: Store,
  images?: StoreImage[],
  options: { onStart?: (layers: number) => void } = {},
): Promise<Registration> {
  const all = images ?? (await store.images());
  const before = await Promise.all(all.map((image) => store.knownSizes(image)));
  const unread = new Set(
    all.flatMap((image, n) => image.diffIDs.filter((_, i) => before[n]![i] === undefined)),
  );
  if (unread.size > 0) options.onStart?.(unread.size);
  const result: Registration = { failures: [] };
  for (const image of all) {
    // Read again: a layer shared with an image registered just before is known now.
    const known = await store.knownSizes(image);
    const missing = known.flatMap((size, i) => (size === undefined ? [i] : []));
    // Two at a time: each is a stream worker's job, and the machines strata is measured on have two cores.
    const measureSome = async () => {
      for (let i = missing.shift(); i !== undefined; i = missing.shift())
        known[i] = await measureStoredLayer(store, image, i);
    };
    const measured = await Promise.all([measureSome(), measureSome()]).catch((error: Error) => error);
    await store.register(image, known);
    if (measured instanceof Error) result.failures.push({ image, error: measured });
  }
  return result;
}

/** Unpacked size of a stored layer: decompressed and checked against its diffID on the way; cached. */
async function measureStoredLayer(store: Store, image: StoreImage, index: number): Promise<number> {
  const diffID = image.diffIDs[index] as string;
  const blob = image.manifest.layers[index]!;
  const what = `${store.what}: layer ${index} (${blob.digest})`;
  // The blob was checked against its digest when it was stored, and the diffID proves its content now:
  // no hash of the blob itself (`strata system verify` hashes every blob).
  const peeked = await peekStream(await store.openBlob(blob.digest, undefined, { hash: false }), SNIFF_BYTES);
  const declared = layerTypeInfo(blob.mediaType)?.compression;
  const compression = checkSniffed(sniffCompression(peeked.head), declared, what);
  const r = await measureOnWorker(peeked.stream, { kind: 'measure', compression, diffID, what });
  await store.facts.put(diffID, { unpackedSize: r.size, entries: r.entries });
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
    // The layer database records unpacked sizes: copy measures the layers whose tars pass by anyway.
    recordsUnpackedSizes: true,
    hasBlob: (blob) => store.hasBlob(blob.digest, blob.size),
    claimBlob: (blob) => store.claimBlob(blob.digest),
    putBlob: (blob, content, onProgress) => store.putBlob(blob, content, onProgress),
    blobFile: (blob) => store.blobFile(blob),
    commitImage: (image) => store.commitImage(image),
    async close() {},
  };
}
