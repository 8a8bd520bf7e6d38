/**
 * Writes what `docker save` writes on Engine 25+: an OCI layout (blobs/sha256, index.json, oci-layout)
 * that also carries the manifest.json and repositories files older engines load from. Layers are
 * stored as given (uncompressed tars, named by their diffID); several images share one blob set.
 */
import { StrataError, invalid } from '../errors.js';
import { parseImageConfig } from '../oci/config.js';
import { digestHex, sha256 } from '../oci/digest.js';
import type { RawBlob } from '../oci/manifest.js';
import { MediaType, layerTypeInfo } from '../oci/mediatypes.js';
import {
  type ImageReference,
  familiarName,
  formatReference,
  parseReference,
} from '../reference/reference.js';
import type { CommittedLayer } from '../transports/types.js';
import type { BlobDir } from './blob-dir.js';
import type { TarWriteEntry } from './tar-writer.js';

const CONTAINERD_NAME = 'io.containerd.image.name';
const REF_NAME = 'org.opencontainers.image.ref.name';
/** Docker writes this file literally so, space included. */
const OCI_LAYOUT = '{"imageLayoutVersion": "1.0.0"}';

const OCI_LAYER_TYPE = {
  none: MediaType.ociLayer,
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
} as const;

interface SavedImage {
  manifest: RawBlob;
  config: RawBlob;
  layers: CommittedLayer[];
  diffIDs: string[];
  /** Name:tag references (no digest), in the order given. */
  tags: ImageReference[];
}

/** A reference as a tag Docker can record: it must carry a tag; a digest beside it is dropped. */
export function tagReference(text: string, what: string): ImageReference {
  const ref = parseReference(text);
  if (ref.tag === undefined)
    throw new StrataError('usage', `${what}: ${text} has no tag; an archive records name:tag only`);
  return { domain: ref.domain, path: ref.path, tag: ref.tag };
}

/** The Docker 25 OCI manifest of an image: config and layers as the archive stores them. */
function ociManifestFor(config: RawBlob, layers: CommittedLayer[]): RawBlob {
  const json = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.bytes.length },
    layers: layers.map((l) => ({
      mediaType:
        l.blob.digest === l.diffID
          ? MediaType.ociLayer
          : OCI_LAYER_TYPE[layerTypeInfo(l.blob.mediaType)?.compression ?? 'none'],
      digest: l.blob.digest,
      size: l.blob.size,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(json));
  return { bytes, digest: sha256(bytes), mediaType: MediaType.ociManifest };
}

const blobName = (digest: string) => `blobs/sha256/${digestHex(digest)}`;

export class DockerArchiveWriter {
  private readonly images: SavedImage[] = [];

  constructor(
    readonly blobs: BlobDir,
    readonly what: string,
  ) {}

  get imageCount(): number {
    return this.images.length;
  }

  /** Record an image whose layer blobs are already in the blob dir; returns its manifest digest. */
  async addImage(image: { config: RawBlob; layers: CommittedLayer[]; tags: string[] }): Promise<{
    digest: string;
  }> {
    const what = `${this.what}: config ${image.config.digest}`;
    const diffIDs = parseImageConfig(image.config.bytes, what).rootfs.diff_ids;
    if (diffIDs.length !== image.layers.length) {
      throw invalid(
        `${what}: layers length mismatch: ${image.layers.length} layers for ${diffIDs.length} diff_ids`,
      );
    }
    for (const [i, layer] of image.layers.entries()) {
      if (layer.diffID !== diffIDs[i])
        throw invalid(`${what}: layer ${i} has diffID ${layer.diffID}, the config says ${diffIDs[i]}`);
      if (!(await this.blobs.has(layer.blob)))
        throw invalid(`${this.what}: layer ${i} (${layer.blob.digest}) was never written`);
    }
    const config = { ...image.config, mediaType: MediaType.ociConfig };
    await this.blobs.putBytes(config, 'config');
    const manifest = ociManifestFor(config, image.layers);
    await this.blobs.putBytes(manifest, 'manifest');
    const tags = image.tags.map((t) => tagReference(t, this.what));
    // A tag names one image: the image committed last takes it, as a later `docker tag` would.
    const names = new Set(tags.map((t) => formatReference(t)));
    for (const other of this.images) other.tags = other.tags.filter((t) => !names.has(formatReference(t)));
    this.images.push({ manifest, config, layers: image.layers, diffIDs, tags: dedupe(tags) });
    return { digest: manifest.digest };
  }

  /** index.json: one descriptor per tag, or one bare descriptor for an untagged image. */
  indexJson(): Buffer {
    const manifests = this.images.flatMap((img) => {
      const desc = {
        mediaType: MediaType.ociManifest,
        digest: img.manifest.digest,
        size: img.manifest.bytes.length,
      };
      if (img.tags.length === 0) return [desc];
      return img.tags.map((t) => ({
        ...desc,
        annotations: { [CONTAINERD_NAME]: formatReference(t), [REF_NAME]: t.tag as string },
      }));
    });
    return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
  }

  /** manifest.json, the list docker load reads on every engine version. */
  manifestJson(): Buffer {
    const items = this.images.map((img) => ({
      Config: blobName(img.config.digest),
      RepoTags: img.tags.length === 0 ? null : img.tags.map((t) => formatReference(t, true)),
      Layers: img.layers.map((l) => blobName(l.blob.digest)),
    }));
    return Buffer.from(`${JSON.stringify(items)}\n`);
  }

  /** repositories: repo → tag → top layer's diffID hex (Docker 25's choice), keys sorted like Go's. */
  repositoriesJson(): Buffer | undefined {
    const repos: Record<string, Record<string, string>> = {};
    for (const img of this.images) {
      const top = img.diffIDs.at(-1);
      if (top === undefined) continue;
      for (const t of img.tags) {
        const repo = familiarName(t);
        repos[repo] = { ...repos[repo], [t.tag as string]: digestHex(top) };
      }
    }
    if (Object.keys(repos).length === 0) return undefined;
    const sorted = Object.fromEntries(
      Object.keys(repos)
        .sort()
        .map((repo) => [repo, sortKeys(repos[repo] as Record<string, string>)]),
    );
    return Buffer.from(`${JSON.stringify(sorted)}\n`);
  }

  /** Every entry of the archive, in the lexical order Docker's tar walk gives. */
  async entries(): Promise<TarWriteEntry[]> {
    const digests = new Set<string>();
    for (const img of this.images) {
      digests.add(img.config.digest);
      digests.add(img.manifest.digest);
      for (const l of img.layers) digests.add(l.blob.digest);
    }
    const blobs: TarWriteEntry[] = [];
    for (const digest of [...digests].sort()) {
      const size = await this.blobs.sizeOf(digest);
      if (size === undefined) throw invalid(`${this.what}: blob ${digest} is missing from the stage`);
      blobs.push({ name: blobName(digest), type: 'file', path: this.blobs.path(digest), size });
    }
    const entries: TarWriteEntry[] = [
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/', type: 'directory' },
      ...blobs,
      { name: 'index.json', type: 'file', data: this.indexJson() },
      { name: 'manifest.json', type: 'file', data: this.manifestJson() },
      { name: 'oci-layout', type: 'file', data: Buffer.from(OCI_LAYOUT) },
    ];
    const repositories = this.repositoriesJson();
    if (repositories) entries.push({ name: 'repositories', type: 'file', data: repositories });
    return entries;
  }
}

function dedupe(tags: ImageReference[]): ImageReference[] {
  const seen = new Set<string>();
  return tags.filter((t) => {
    const key = formatReference(t);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortKeys(obj: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, obj[k] as string]),
  );
}
