import { Readable } from 'node:stream';
import { digestMismatch, sha256 } from '../oci/digest.js';
import { type RawBlob, parseManifest } from '../oci/manifest.js';
import { type ImageReference, parseReference } from '../reference/reference.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import type { RegistryClient } from '../registry/client.js';
import { type RegistrySourceOptions, registryClientFor } from './registry.js';
import type { BlobInfo, BlobInput, BlobProgress, ImageDestination, ImageToCommit } from './types.js';

const PUSH = ['pull', 'push'] as const;

/** What a push records, enough for the CLI's last line: `TAG: digest: sha256:… size: N`. */
export interface PushedManifest {
  digest: string;
  /** Size in bytes of the manifest as stored. */
  size: number;
}

/**
 * The tags of `image.tags` (fully qualified) that name this same repository, after the reference's own.
 * Tags of other repositories are not this destination's to write.
 */
export function tagsToWrite(ref: ImageReference, extra: readonly string[]): string[] {
  const tags = ref.tag !== undefined ? [ref.tag] : [];
  for (const text of extra) {
    const other = parseReference(text);
    if (other.domain !== ref.domain || other.path !== ref.path || other.tag === undefined) continue;
    if (!tags.includes(other.tag)) tags.push(other.tag);
  }
  return tags;
}

/** The media type to send a manifest with: as the source served it, else what its bytes say. */
function manifestType(manifest: RawBlob, what: string): string {
  if (manifest.mediaType !== '') return manifest.mediaType;
  return parseManifest(manifest.bytes, undefined, what).mediaType;
}

class RegistryDestination implements ImageDestination {
  readonly layerCompression = 'keep' as const;

  constructor(
    readonly name: string,
    private readonly ref: ImageReference,
    private readonly client: RegistryClient,
  ) {}

  async hasBlob(blob: BlobInfo): Promise<boolean> {
    return (await this.client.headBlob(this.ref.path, blob.digest, PUSH)).present;
  }

  mountBlob(blob: BlobInfo, fromRepository: string): Promise<boolean> {
    return this.client.mountBlob(this.ref.path, blob.digest, fromRepository);
  }

  async putBlob(blob: BlobInput, content: Readable, onProgress?: BlobProgress): Promise<BlobInfo> {
    const stored = await this.client.uploadBlob(
      this.ref.path,
      content,
      { digest: blob.digest, size: blob.size },
      onProgress,
    );
    return { mediaType: blob.mediaType, ...stored };
  }

  /** PUT the manifest under each tag (or by digest when the reference has no tag), config first. */
  async commitImage(image: ImageToCommit): Promise<PushedManifest> {
    const { manifest } = image;
    const digest = sha256(manifest.bytes);
    if (this.ref.digest !== undefined && this.ref.digest !== digest) {
      throw digestMismatch(`manifest for ${this.name}`, this.ref.digest, digest);
    }
    await this.ensureConfig(image.config);
    const mediaType = manifestType(manifest, `manifest for ${this.name}`);
    const tags = tagsToWrite(this.ref, image.tags);
    for (const reference of tags.length > 0 ? tags : [digest]) {
      await this.client.putManifest(this.ref.path, reference, manifest.bytes, mediaType);
    }
    return { digest, size: manifest.bytes.length };
  }

  /** The config is a blob like the layers; a manifest naming it is refused until it is there. */
  private async ensureConfig(config: RawBlob): Promise<void> {
    const info = { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length };
    if (await this.hasBlob(info)) return;
    await this.putBlob(info, Readable.from([config.bytes]));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Push to a registry (docker://host/repo:tag). No network until the first blob or commit. */
export async function createRegistryDestination(
  loc: Extract<ImageLocation, { transport: 'docker' }>,
  options: RegistrySourceOptions,
): Promise<ImageDestination> {
  return new RegistryDestination(formatLocation(loc), loc.ref, registryClientFor(loc, options));
}
