import { StrataError } from '../errors.js';
import { sha256 } from '../oci/digest.js';
import { type Compression, MediaType } from '../oci/mediatypes.js';
import type { RawBlob } from '../oci/manifest.js';
import type { BlobInfo } from '../transports/types.js';

/** The layer media type for a compression, in the family (Docker or OCI) of the manifest. */
export function layerMediaType(manifestType: string, compression: Compression): string {
  const oci = manifestType === MediaType.ociManifest;
  switch (compression) {
    case 'none':
      return oci ? MediaType.ociLayer : MediaType.dockerLayer;
    case 'gzip':
      return oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip;
    case 'zstd':
      return MediaType.ociLayerZstd;
  }
}

/**
 * A manifest whose layers were re-encoded: same config and order, new layer descriptors. Docker's
 * schema 2 has no zstd type, so a zstd copy becomes an OCI manifest (the config bytes stay the same,
 * so the image ID does not change). Other fields of the original are kept in their order.
 */
export function rewriteManifest(original: RawBlob, layers: readonly BlobInfo[], anyZstd: boolean): RawBlob {
  const doc = JSON.parse(original.bytes.toString('utf8')) as Record<string, unknown>;
  const oldLayers = doc.layers as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(oldLayers) || oldLayers.length !== layers.length) {
    throw new StrataError('invalid', 'cannot rewrite the manifest: its layers do not match the image');
  }
  let mediaType = original.mediaType;
  if (anyZstd && mediaType === MediaType.dockerManifest) {
    mediaType = MediaType.ociManifest;
    doc.mediaType = MediaType.ociManifest;
    const config = doc.config as Record<string, unknown>;
    config.mediaType = MediaType.ociConfig;
  }
  doc.layers = oldLayers.map((old, i) => ({
    ...old,
    mediaType: layers[i]!.mediaType,
    digest: layers[i]!.digest,
    size: layers[i]!.size,
  }));
  const bytes = Buffer.from(JSON.stringify(doc));
  return { bytes, digest: sha256(bytes), mediaType };
}

/**
 * A Docker schema 2 manifest for an image whose source has none (a legacy `docker save` tar, whose
 * manifest.json is not an image manifest): the config and the layers as the destination holds them.
 * Docker writes the same kind of document when it pushes such an image.
 */
export function synthesizeManifest(config: RawBlob, layers: readonly BlobInfo[]): RawBlob {
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, size: config.bytes.length, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
  };
  const bytes = Buffer.from(JSON.stringify(doc));
  return { bytes, digest: sha256(bytes), mediaType: MediaType.dockerManifest };
}
