import { type Readable, pipeline } from 'node:stream';
import {
  type DockerSaveItem,
  digestFromBlobPath,
  digestFromConfigPath,
  parseDockerSaveManifest,
  parseLayoutIndex,
  selectDockerSaveItem,
} from '../archive/docker-save-manifest.js';
import { openFileRange, readFileRange, readRangeHead } from '../archive/file-range.js';
import { type OpenArchive, openArchive } from '../archive/open-archive.js';
import type { TarIndex } from '../archive/tar-index.js';
import { invalid, notFound, unsupported } from '../errors.js';
import { type ImageConfig, parseImageConfig } from '../oci/config.js';
import { VerifyingStream, digestMismatch, sha256 } from '../oci/digest.js';
import { type Descriptor, type ImageManifest, type RawBlob, parseManifest } from '../oci/manifest.js';
import {
  type Compression,
  MediaType,
  isAcceptableLayerType,
  isIndexType,
  isManifestType,
  layerTypeInfo,
} from '../oci/mediatypes.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { SNIFF_BYTES, checkSniffed, sniffCompression } from '../layer/compression.js';
import { TarBlobStore } from './oci-common.js';
import {
  type FileRange,
  type ImageSource,
  type LayerBlob,
  type OpenLayerOptions,
  type ResolvedImage,
  type SourceOptions,
  sourceHashes,
} from './types.js';

const MAX_INDEX_DEPTH = 4;

/** What docker save archives without media types hold, by the compression their bytes show. */
const TYPE_FOR: Record<Compression, string> = {
  none: MediaType.dockerLayer,
  gzip: MediaType.dockerLayerGzip,
  zstd: MediaType.ociLayerZstd,
};

interface OciView {
  manifest: RawBlob;
  parsed: ImageManifest;
  index?: RawBlob;
}

interface Resolution {
  image: ResolvedImage;
  /** Where each layer's file is; undefined for a foreign layer the archive does not hold. */
  ranges: Array<FileRange | undefined>;
}

/** Read and parse manifest.json; a missing one means this is not a docker save archive. */
async function readManifestJson(
  index: TarIndex,
  archive: string,
): Promise<{ bytes: Buffer; items: DockerSaveItem[] }> {
  const range = index.resolveRange('manifest.json', 'manifest.json');
  if (range === undefined) {
    const maybe = index.ended ? '' : ' (the tar has no end-of-archive marker: it may be truncated)';
    throw invalid(`${archive} is not a docker archive: no manifest.json${maybe}`);
  }
  const bytes = await readFileRange(range, `${archive}: manifest.json`);
  return { bytes, items: parseDockerSaveManifest(bytes, `${archive}: manifest.json`) };
}

/** The config, checked against the digest its file name carries, parsed and sanity-checked. */
async function readConfig(
  index: TarIndex,
  item: DockerSaveItem,
  archive: string,
): Promise<{ raw: RawBlob; config: ImageConfig }> {
  const what = `${archive}: config ${item.config}`;
  const range = index.resolveRange(item.config, `config ${item.config}`);
  if (range === undefined) throw invalid(`${what} is missing from the archive`);
  const bytes = await readFileRange(range, what);
  const digest = sha256(bytes);
  const named = digestFromConfigPath(item.config);
  if (named !== undefined && named !== digest) throw digestMismatch(what, named, digest);
  const config = parseImageConfig(bytes, what);
  if (item.layers.length !== config.rootfs.diff_ids.length) {
    throw invalid(
      `${archive}: layers length mismatch: manifest.json lists ${item.layers.length} layers, the config has ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }
  return { raw: { bytes, digest, mediaType: MediaType.dockerConfig }, config };
}

/**
 * In the Docker 25+ shape, the OCI manifest (reached from index.json, through nested indexes if
 * need be) whose config is this image's. Blobs the archive does not hold are passed over.
 */
async function findOciManifest(
  index: TarIndex,
  configDigest: string,
  archive: string,
): Promise<OciView | undefined> {
  const indexRange = index.resolveRange('index.json', 'index.json');
  if (indexRange === undefined) return undefined;
  const store = new TarBlobStore(index, archive);
  const top = parseLayoutIndex(
    await readFileRange(indexRange, `${archive}: index.json`),
    `${archive}: index.json`,
  );
  const visit = async (
    descs: Descriptor[],
    depth: number,
    parent?: RawBlob,
  ): Promise<OciView | undefined> => {
    for (const desc of descs) {
      if (!isManifestType(desc.mediaType) && !isIndexType(desc.mediaType)) continue;
      if ((await store.blobRange(desc.digest)) === undefined) continue;
      const bytes = await store.readBlob(desc, `manifest ${desc.digest}`);
      const parsed = parseManifest(bytes, desc.mediaType, `${archive}: manifest ${desc.digest}`);
      const raw: RawBlob = { bytes, digest: desc.digest, mediaType: parsed.mediaType };
      if (parsed.kind === 'manifest') {
        if (parsed.manifest.config.digest === configDigest)
          return { manifest: raw, parsed: parsed.manifest, index: parent };
      } else if (depth < MAX_INDEX_DEPTH) {
        const found = await visit(parsed.index.manifests, depth + 1, raw);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(top.manifests, 0);
}

/** One layer: its file, the compression its bytes show (checked against any declared type). */
async function resolveLayer(
  index: TarIndex,
  item: DockerSaveItem,
  i: number,
  diffID: string,
  declared: Descriptor | undefined,
  archive: string,
): Promise<{ blob: LayerBlob; range?: FileRange }> {
  const path = item.layers[i] as string;
  const label = `${archive}: layer ${i}`;
  const info = declared ? layerTypeInfo(declared.mediaType) : undefined;
  if (declared && info === undefined && !isAcceptableLayerType(declared.mediaType)) {
    throw unsupported(`${label} has media type ${declared.mediaType}, which strata does not read`);
  }
  const range = index.resolveRange(path, `layer ${i} (${path})`);
  if (range === undefined) {
    if (declared?.urls?.length) return { blob: foreignBlob(declared, info?.compression ?? 'gzip') };
    throw invalid(`${label} (${path}) is missing from the archive`);
  }
  if (declared && declared.size !== range.length) {
    throw invalid(`${label} (${path}) is ${range.length} bytes but its descriptor says ${declared.size}`);
  }
  const head = await readRangeHead(range, SNIFF_BYTES, label);
  const compression = checkSniffed(sniffCompression(head), info?.compression, label);
  const blob: LayerBlob = {
    mediaType: declared?.mediaType ?? TYPE_FOR[compression],
    digest: declared?.digest ?? digestFromBlobPath(path) ?? (compression === 'none' ? diffID : undefined),
    size: range.length,
    compression,
    foreign: info?.foreign ?? false,
  };
  if (blob.digest === undefined) delete blob.digest;
  if (declared?.urls) blob.urls = declared.urls;
  if (declared?.annotations) blob.annotations = declared.annotations;
  return { blob, range };
}

function foreignBlob(desc: Descriptor, compression: Compression): LayerBlob {
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    compression,
    foreign: true,
    urls: desc.urls,
  };
}

async function resolveItem(
  archive: OpenArchive,
  item: DockerSaveItem,
  manifestJson: Buffer,
  name: string,
): Promise<Resolution> {
  const { index } = archive;
  const { raw: config, config: parsed } = await readConfig(index, item, name);
  const oci = await findOciManifest(index, config.digest, name);
  if (oci && oci.parsed.layers.length !== item.layers.length) {
    throw invalid(
      `${name}: layers length mismatch: manifest.json lists ${item.layers.length} layers, the OCI manifest ${oci.parsed.layers.length}`,
    );
  }
  const diffIDs = parsed.rootfs.diff_ids;
  const layers = await Promise.all(
    diffIDs.map((diffID, i) => {
      const declared = oci?.parsed.layers[i] ?? item.layerSources?.[diffID];
      return resolveLayer(index, item, i, diffID, declared, name);
    }),
  );
  const image: ResolvedImage = {
    manifest: oci?.manifest ?? {
      bytes: manifestJson,
      digest: sha256(manifestJson),
      mediaType: 'application/json',
    },
    config: oci ? { ...config, mediaType: oci.parsed.config.mediaType } : config,
    layers: layers.map((l) => l.blob),
    facts: { repoTags: [...item.repoTags], repoDigests: [] },
  };
  if (oci?.index) image.index = oci.index;
  if (item.parent) image.facts.parent = item.parent;
  return { image, ranges: layers.map((l) => l.range) };
}

/**
 * Read an image from a `docker save` archive (`docker-archive:FILE[:TAG|:@N]`): the legacy shape,
 * the Docker 25+ OCI-style shape, multi-image archives, and gzip/zstd-compressed archives. Reads by
 * seeking in the tar; nothing is extracted.
 */
export async function createDockerArchiveSource(
  loc: Extract<ImageLocation, { transport: 'docker-archive' }>,
  _options: SourceOptions = {},
): Promise<ImageSource> {
  const archive = await openArchive(loc.path, loc.path, 'docker archive');
  let item: DockerSaveItem;
  let manifestJson: Buffer;
  try {
    const read = await readManifestJson(archive.index, loc.path);
    manifestJson = read.bytes;
    item = selectDockerSaveItem(read.items, { tag: loc.tag, index: loc.index }, loc.path).item;
  } catch (err) {
    await archive.close();
    throw err;
  }
  let resolution: Promise<Resolution> | undefined;
  const resolved = () => {
    resolution ??= resolveItem(archive, item, manifestJson, loc.path);
    return resolution;
  };
  const rangeOf = async (i: number): Promise<FileRange> => {
    const { image, ranges } = await resolved();
    if (i < 0 || i >= image.layers.length) throw notFound(`${loc.path} has no layer ${i}`);
    const range = ranges[i];
    if (range === undefined)
      throw notFound(`${loc.path}: layer ${i} is a foreign layer the archive does not hold`);
    return range;
  };
  return {
    name: formatLocation(loc),
    resolve: async () => (await resolved()).image,
    async openLayer(layer: LayerBlob, i: number, options?: OpenLayerOptions): Promise<Readable> {
      const range = await rangeOf(i);
      const what = `${loc.path}: layer ${i}`;
      const verifier = new VerifyingStream(layer.digest, range.length, what, {
        hash: sourceHashes(options),
      });
      pipeline(await openFileRange(range, what), verifier, () => {});
      return verifier;
    },
    async layerFile(layer: LayerBlob, i: number): Promise<FileRange | undefined> {
      const range = await rangeOf(i);
      return layer.compression === 'none' ? range : undefined;
    },
    storedFile: (_layer: LayerBlob, i: number) => rangeOf(i),
    close: () => archive.close(),
  };
}
