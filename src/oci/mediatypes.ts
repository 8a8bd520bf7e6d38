/** Media types strata reads, and what they mean. */
export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociForeignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociForeignLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociForeignLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export type Compression = 'none' | 'gzip' | 'zstd';

export const MANIFEST_TYPES: readonly string[] = [MediaType.dockerManifest, MediaType.ociManifest];
export const INDEX_TYPES: readonly string[] = [MediaType.dockerManifestList, MediaType.ociIndex];
export const SCHEMA1_TYPES: readonly string[] = [
  MediaType.dockerSchema1,
  MediaType.dockerSchema1Signed,
  'application/json',
];

/** What registries are asked for, in order of preference. */
export const ACCEPT_MANIFESTS: readonly string[] = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
];

export const isIndexType = (mt: string | undefined) => mt !== undefined && INDEX_TYPES.includes(mt);
export const isManifestType = (mt: string | undefined) => mt !== undefined && MANIFEST_TYPES.includes(mt);

export interface LayerTypeInfo {
  compression: Compression;
  /** Non-distributable ("foreign") layers are fetched from their URLs, not the registry. */
  foreign: boolean;
}

/**
 * The compression and kind a layer media type declares, or undefined when strata does not know the
 * type. Docker accepts any application/vnd.oci.image.* or application/vnd.docker.* type and sniffs;
 * strata knows the standard ones by name and falls back to the magic bytes for the rest.
 */
export function layerTypeInfo(mediaType: string): LayerTypeInfo | undefined {
  switch (mediaType) {
    case MediaType.dockerLayer:
    case MediaType.ociLayer:
      return { compression: 'none', foreign: false };
    case MediaType.dockerLayerGzip:
    case MediaType.ociLayerGzip:
      return { compression: 'gzip', foreign: false };
    case MediaType.ociLayerZstd:
      return { compression: 'zstd', foreign: false };
    case MediaType.dockerForeignLayerGzip:
    case MediaType.ociForeignLayerGzip:
      return { compression: 'gzip', foreign: true };
    case MediaType.ociForeignLayer:
      return { compression: 'none', foreign: true };
    case MediaType.ociForeignLayerZstd:
      return { compression: 'zstd', foreign: true };
    default:
      return undefined;
  }
}

/** Docker's rule: layer types must be in the OCI image or Docker vendor trees. */
export function isAcceptableLayerType(mediaType: string): boolean {
  return (
    layerTypeInfo(mediaType) !== undefined ||
    mediaType.startsWith('application/vnd.oci.image.') ||
    (mediaType.startsWith('application/vnd.docker.') && !mediaType.startsWith('application/vnd.docker.ai.'))
  );
}
