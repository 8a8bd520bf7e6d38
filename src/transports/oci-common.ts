/**
 * What OCI layout directories and OCI archives share: a blob store over "where is this file", and
 * the walk from index.json to an image (selection by name, digest or platform, every document
 * verified by digest).
 */
import { type Readable, pipeline } from 'node:stream';
import { openFileRange, readFileRange, readRangeHead } from '../archive/file-range.js';
import { parseLayoutHeader, parseLayoutIndex } from '../archive/docker-save-manifest.js';
import type { TarIndex } from '../archive/tar-index.js';
import { StrataError, invalid, notFound, unsupported } from '../errors.js';
import { parseImageConfig } from '../oci/config.js';
import { VerifyingStream, digestHex, parseDigest, verifyBytes } from '../oci/digest.js';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type RawBlob,
  parseManifest,
} from '../oci/manifest.js';
import {
  type Compression,
  isAcceptableLayerType,
  isIndexType,
  isManifestType,
  layerTypeInfo,
} from '../oci/mediatypes.js';
import { type Platform, formatPlatform, hostPlatform, platformRank } from '../oci/platform.js';
import { SNIFF_BYTES, checkCompression, checkSniffed, sniffCompression } from '../layer/compression.js';
import {
  type FileRange,
  type ImageSource,
  type LayerBlob,
  type ResolveOptions,
  type ResolvedImage,
  sourceHashes,
} from './types.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
const MAX_NESTING = 8;

/** The layout path of a blob: blobs/sha256/<hex>. */
export function blobPath(digest: string): string {
  parseDigest(digest);
  return `blobs/sha256/${digestHex(digest)}`;
}

/**
 * Read access to content-addressed blobs and the few files at a layout's root. Subclasses say only
 * where a file is; reading, verifying and streaming are shared.
 */
export abstract class BlobStore {
  /** How the store is named in messages (the path the user gave). */
  abstract readonly what: string;

  /** Where a layout-relative file is, or undefined when it is absent. */
  abstract locate(path: string): Promise<FileRange | undefined>;

  async close(): Promise<void> {}

  /** A small root file (oci-layout, index.json), or undefined when absent. */
  async readFile(path: string): Promise<Buffer | undefined> {
    const range = await this.locate(path);
    return range === undefined ? undefined : readFileRange(range, `${this.what}: ${path}`);
  }

  /** Where a blob is stored, or undefined when it is absent. */
  blobRange(digest: string): Promise<FileRange | undefined> {
    return this.locate(blobPath(digest));
  }

  /** A small blob (manifest, config), checked against its digest and size. Absent → 'invalid'. */
  async readBlob(desc: { digest: string; size?: number }, what: string): Promise<Buffer> {
    const range = await this.requireBlob(desc, what);
    const bytes = await readFileRange(range, `${this.what}: ${what}`);
    verifyBytes(bytes, desc.digest, `${this.what}: ${what}`);
    return bytes;
  }

  /** Stream a blob through a verifier: the stream fails at its end on a digest or size mismatch. */
  async openBlob(
    desc: { digest: string; size?: number },
    what: string,
    options: { hash?: boolean } = {},
  ): Promise<Readable> {
    const range = await this.requireBlob(desc, what);
    const verifier = new VerifyingStream(
      desc.digest,
      desc.size ?? range.length,
      `${this.what}: ${what}`,
      options,
    );
    pipeline(await openFileRange(range, `${this.what}: ${what}`), verifier, () => {});
    return verifier;
  }

  private async requireBlob(desc: { digest: string; size?: number }, what: string): Promise<FileRange> {
    const range = await this.blobRange(desc.digest);
    if (range === undefined) throw invalid(`${this.what} is incomplete: ${what} (${desc.digest}) is missing`);
    if (desc.size !== undefined && range.length !== desc.size) {
      throw invalid(
        `${this.what}: ${what} (${desc.digest}) is ${range.length} bytes but its descriptor says ${desc.size}`,
      );
    }
    return range;
  }
}

/** Blobs inside a tar archive, found through its index (links followed, never outside it). */
export class TarBlobStore extends BlobStore {
  constructor(
    readonly index: TarIndex,
    readonly what: string,
  ) {
    super();
  }

  async locate(path: string): Promise<FileRange | undefined> {
    return this.index.resolveRange(path, path);
  }
}

export interface LayoutSelector {
  tag?: string;
  digest?: string;
}

function refName(d: Descriptor): string | undefined {
  return d.annotations?.[REF_NAME];
}

function describeEntries(descs: readonly Descriptor[]): string {
  return descs.map((d) => refName(d) ?? d.annotations?.[CONTAINERD_NAME] ?? d.digest).join(', ');
}

/** The best entry of an index for a platform; entries that are not images are passed over. */
export function choosePlatform(descs: readonly Descriptor[], wanted: Platform, what: string): Descriptor {
  let best: Descriptor | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const d of descs) {
    if (!isManifestType(d.mediaType) && !isIndexType(d.mediaType)) continue;
    const rank = platformRank(wanted, d.platform);
    if (rank !== undefined && rank < bestRank) {
      best = d;
      bestRank = rank;
    }
  }
  if (best !== undefined) return best;
  const have = descs.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown')).join(', ');
  throw notFound(`${what} has no image for ${formatPlatform(wanted)}; it has: ${have || 'nothing'}`);
}

/** The index.json entry a selector names: by digest, by ref name, or the only image there is. */
export function selectLayoutEntry(
  index: ImageIndex,
  selector: LayoutSelector,
  wanted: Platform,
  what: string,
): Descriptor | undefined {
  const entries = index.manifests;
  if (selector.digest !== undefined) return entries.find((d) => d.digest === selector.digest);
  if (selector.tag !== undefined) {
    const tag = selector.tag;
    let matches = entries.filter((d) => refName(d) === tag);
    if (matches.length === 0) matches = entries.filter((d) => d.annotations?.[CONTAINERD_NAME] === tag);
    if (matches.length === 0)
      throw notFound(`${what} has no image named ${tag}; it has: ${describeEntries(entries) || 'nothing'}`);
    return matches.length === 1 ? matches[0] : choosePlatform(matches, wanted, what);
  }
  if (entries.length === 0) throw invalid(`${what} holds no images (its index.json is empty)`);
  if (entries.length === 1) return entries[0];
  // Several unnamed entries are one image for several platforms (as containerd exports them).
  if (entries.every((d) => refName(d) === undefined && d.platform !== undefined))
    return choosePlatform(entries, wanted, what);
  throw new StrataError('usage', `${what} holds ${entries.length} images: ${describeEntries(entries)}`, {
    hint: 'choose one with :NAME (its org.opencontainers.image.ref.name) or @sha256:…',
  });
}

interface ChosenManifest {
  manifest: RawBlob;
  parsed: ImageManifest;
  index?: RawBlob;
}

/** Follow nested indexes down to one image manifest, verifying each document. */
export async function descendToManifest(
  store: BlobStore,
  start: Descriptor,
  wanted: Platform,
  what: string,
): Promise<ChosenManifest> {
  let desc = start;
  let index: RawBlob | undefined;
  for (let depth = 0; depth < MAX_NESTING; depth++) {
    const bytes = await store.readBlob(desc, `manifest ${desc.digest}`);
    const served = desc.mediaType === '' ? undefined : desc.mediaType;
    const parsed = parseManifest(bytes, served, `${what}: manifest ${desc.digest}`);
    const raw: RawBlob = { bytes, digest: desc.digest, mediaType: parsed.mediaType };
    if (parsed.kind === 'manifest') return { manifest: raw, parsed: parsed.manifest, index };
    index = raw;
    desc = choosePlatform(parsed.index.manifests, wanted, `${what}: index ${desc.digest}`);
  }
  throw invalid(`${what}: indexes nested more than ${MAX_NESTING} deep`);
}

/** A layer descriptor as a LayerBlob, with its compression checked against the stored bytes. */
export async function layerFromDescriptor(
  store: BlobStore,
  desc: Descriptor,
  i: number,
  what: string,
): Promise<LayerBlob> {
  const label = `${what}: layer ${i}`;
  const info = layerTypeInfo(desc.mediaType);
  if (info === undefined && !isAcceptableLayerType(desc.mediaType)) {
    throw unsupported(`${label} has media type ${desc.mediaType}, which strata does not read`);
  }
  const range = await store.blobRange(desc.digest);
  if (range === undefined && !info?.foreign)
    throw invalid(`${what} is incomplete: layer ${i} (${desc.digest}) is missing`);
  if (range !== undefined && range.length !== desc.size) {
    throw invalid(`${label} (${desc.digest}) is ${range.length} bytes but its descriptor says ${desc.size}`);
  }
  let compression: Compression | undefined = info?.compression;
  if (range !== undefined && compression === undefined) {
    // A type Docker accepts but strata does not know by name: the bytes decide, as in Docker.
    compression = checkSniffed(sniffCompression(await readRangeHead(range, SNIFF_BYTES)), undefined, label);
  }
  const blob: LayerBlob = {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    compression: compression ?? 'none',
    foreign: info?.foreign ?? false,
  };
  if (desc.urls !== undefined) blob.urls = desc.urls;
  if (desc.annotations !== undefined) blob.annotations = desc.annotations;
  return blob;
}

/** Resolve the image a selector names in a layout, from oci-layout and index.json down. */
export async function resolveLayout(
  store: BlobStore,
  selector: LayoutSelector,
  options: ResolveOptions = {},
): Promise<ResolvedImage> {
  const what = store.what;
  const wanted = options.platform ?? hostPlatform();
  const header = await store.readFile('oci-layout');
  if (header === undefined) throw invalid(`${what} is not an OCI layout: no oci-layout file`);
  parseLayoutHeader(header, `${what}: oci-layout`);
  const indexBytes = await store.readFile('index.json');
  if (indexBytes === undefined) throw invalid(`${what} is not an OCI layout: no index.json`);
  const index = parseLayoutIndex(indexBytes, `${what}: index.json`);
  let start = selectLayoutEntry(index, selector, wanted, what);
  if (start === undefined && selector.digest !== undefined) {
    // Not listed in index.json, but a stored manifest is still addressable by its digest.
    const range = await store.blobRange(selector.digest);
    if (range === undefined) throw notFound(`${what} has no manifest ${selector.digest}`);
    start = { mediaType: '', digest: selector.digest, size: range.length };
  }
  const chosen = await descendToManifest(store, start as Descriptor, wanted, what);
  const configDesc = chosen.parsed.config;
  const configBytes = await store.readBlob(configDesc, 'config');
  const config = parseImageConfig(configBytes, `${what}: config ${configDesc.digest}`);
  const layers = chosen.parsed.layers;
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw invalid(
      `${what}: layers length mismatch: the manifest has ${layers.length} layers, the config ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }
  const resolved: ResolvedImage = {
    manifest: chosen.manifest,
    config: { bytes: configBytes, digest: configDesc.digest, mediaType: configDesc.mediaType },
    layers: await Promise.all(layers.map((d, i) => layerFromDescriptor(store, d, i, what))),
    facts: { repoTags: [], repoDigests: [] },
  };
  if (chosen.index !== undefined) resolved.index = chosen.index;
  return resolved;
}

/** An ImageSource over a layout's blob store: layers are found by digest, so no state is kept. */
export function createLayoutSource(name: string, store: BlobStore, selector: LayoutSelector): ImageSource {
  const label = (i: number) => `${store.what}: layer ${i}`;
  const rangeOf = async (layer: LayerBlob, i: number): Promise<FileRange> => {
    if (layer.digest === undefined) throw invalid(`${label(i)} has no digest`);
    const range = await store.blobRange(layer.digest);
    if (range !== undefined) return range;
    if (layer.foreign) {
      const from = layer.urls?.length ? `; fetch it from ${layer.urls.join(' ')}` : '';
      throw notFound(`${label(i)} is a foreign layer that ${store.what} does not store${from}`);
    }
    throw invalid(`${store.what} is incomplete: layer ${i} (${layer.digest}) is missing`);
  };
  return {
    name,
    resolve: (options) => resolveLayout(store, selector, options),
    async openLayer(layer, i, options) {
      await rangeOf(layer, i);
      const desc = { digest: layer.digest as string, size: layer.size };
      const stream = await store.openBlob(desc, `layer ${i}`, { hash: sourceHashes(options) });
      return checkCompression(stream, layer.compression, label(i));
    },
    async layerFile(layer, i) {
      if (layer.compression !== 'none') return undefined;
      return rangeOf(layer, i);
    },
    storedFile: (layer, i) => rangeOf(layer, i),
    close: () => store.close(),
  };
}
