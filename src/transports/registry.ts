import type { Readable } from 'node:stream';
import { invalid, notFound, unsupported } from '../errors.js';
import { type ImageConfig, parseImageConfig } from '../oci/config.js';
import {
  type Descriptor,
  type ImageManifest,
  type RawBlob,
  expectImageManifest,
  parseManifest,
} from '../oci/manifest.js';
import { type Compression, isAcceptableLayerType, layerTypeInfo } from '../oci/mediatypes.js';
import { type Platform, formatPlatform, hostPlatform, platformRank } from '../oci/platform.js';
import { type ImageReference, familiarName } from '../reference/reference.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { RegistryClient } from '../registry/client.js';
import type { HttpTimeouts, RequestHook } from '../registry/http.js';
import type { RetryPolicy } from '../registry/retry.js';
import {
  type DownloadOptions,
  type ImageSource,
  type LayerBlob,
  type ResolveOptions,
  type OpenLayerOptions,
  type ResolvedImage,
  type SourceFacts,
  type SourceOptions,
  sourceHashes,
} from './types.js';

/** SourceOptions plus the registry client's knobs (request hook for observability, retry tuning). */
export interface RegistrySourceOptions extends SourceOptions {
  onRequest?: RequestHook;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<HttpTimeouts>;
}

/** Configs larger than this are refused: a config is metadata, not data. */
export const CONFIG_LIMIT = 64 << 20;

/** Docker's rule for config media types: its own and OCI's trees, plus the loose types old images used. */
export function isAcceptableConfigType(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image') ||
    mediaType.startsWith('application/vnd.docker') ||
    ['application/octet-stream', 'application/json', 'text/html', ''].includes(mediaType)
  );
}

/** The best entry of an index for a platform; a not-found error listing what there is otherwise. */
export function chooseManifest(entries: readonly Descriptor[], wanted: Platform, what: string): Descriptor {
  let best: Descriptor | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const entry of entries) {
    const rank = platformRank(wanted, entry.platform);
    if (rank !== undefined && rank < bestRank) {
      best = entry;
      bestRank = rank;
    }
  }
  if (best !== undefined) return best;
  const available = [
    ...new Set(
      entries
        .map((e) => e.platform)
        .filter((p): p is Platform => p !== undefined && p.os !== 'unknown')
        .map(formatPlatform),
    ),
  ];
  throw notFound(
    `no image for ${formatPlatform(wanted)} in ${what}; available: ${available.length > 0 ? available.join(', ') : 'none'}`,
    'pick one of the available platforms with --platform',
  );
}

/** Compression of a layer type strata does not know by name but Docker would accept. */
function guessCompression(mediaType: string): Compression {
  if (/[+.]gzip$/.test(mediaType)) return 'gzip';
  if (/[+.]zstd$/.test(mediaType)) return 'zstd';
  return 'none';
}

/** The layer blobs a manifest lists, refusing types that are not image layers. */
export function layerBlobs(manifest: ImageManifest, what: string): LayerBlob[] {
  return manifest.layers.map((d, i) => {
    if (!isAcceptableLayerType(d.mediaType)) {
      throw unsupported(`layer ${i} of ${what} has media type ${d.mediaType}, which is not an image layer`);
    }
    const info = layerTypeInfo(d.mediaType) ?? {
      compression: guessCompression(d.mediaType),
      foreign: /nondistributable|foreign/.test(d.mediaType),
    };
    const layer: LayerBlob = {
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      compression: info.compression,
      foreign: info.foreign,
    };
    if (d.urls !== undefined && d.urls.length > 0) layer.urls = d.urls;
    if (d.annotations !== undefined) layer.annotations = d.annotations;
    return layer;
  });
}

/** RepoTags and RepoDigests as Docker records them after pulling this reference. */
export function registryFacts(ref: ImageReference, topDigest: string): SourceFacts {
  const name = familiarName(ref);
  return {
    // A reference with a digest is pulled by digest, and Docker then records no tag.
    repoTags: ref.tag !== undefined && ref.digest === undefined ? [`${name}:${ref.tag}`] : [],
    repoDigests: [`${name}@${topDigest}`],
  };
}

function checkLayerCount(config: ImageConfig, layers: readonly LayerBlob[], what: string): void {
  const diffIds = config.rootfs.diff_ids.length;
  if (diffIds !== layers.length) {
    throw invalid(
      `${what}: the manifest lists ${layers.length} layers but the config has ${diffIds} diff_ids`,
    );
  }
}

class RegistrySource implements ImageSource {
  constructor(
    readonly name: string,
    private readonly ref: ImageReference,
    /** The reference as the user wrote it, for messages. */
    private readonly label: string,
    private readonly client: RegistryClient,
  ) {}

  async resolve(options: ResolveOptions = {}): Promise<ResolvedImage> {
    const { ref, label, client } = this;
    const top = await client.getManifest(ref.path, ref.digest ?? ref.tag ?? 'latest');
    const parsedTop = parseManifest(top.bytes, top.mediaType || undefined, `manifest ${label}`);
    let index: RawBlob | undefined;
    let manifestRaw: RawBlob;
    let manifest: ImageManifest;
    if (parsedTop.kind === 'index') {
      index = { ...top, mediaType: parsedTop.mediaType };
      const entry = chooseManifest(parsedTop.index.manifests, options.platform ?? hostPlatform(), label);
      const child = await client.getManifest(ref.path, entry.digest);
      const what = `manifest ${entry.digest} of ${label}`;
      if (child.bytes.length !== entry.size) {
        throw invalid(`${what} is ${child.bytes.length} bytes but the index says ${entry.size}`);
      }
      const parsed = parseManifest(child.bytes, child.mediaType || entry.mediaType, what);
      manifest = expectImageManifest(parsed, what);
      manifestRaw = { ...child, mediaType: parsed.mediaType };
    } else {
      manifest = parsedTop.manifest;
      manifestRaw = { ...top, mediaType: parsedTop.mediaType };
    }
    const layers = layerBlobs(manifest, label);
    const config = await this.fetchConfig(manifest.config);
    checkLayerCount(parseImageConfig(config.bytes, `image config of ${label}`), layers, label);
    return {
      manifest: manifestRaw,
      ...(index !== undefined ? { index } : {}),
      config,
      layers,
      facts: registryFacts(ref, top.digest),
    };
  }

  private async fetchConfig(desc: Descriptor): Promise<RawBlob> {
    const what = `image config ${desc.digest} of ${this.label}`;
    if (!isAcceptableConfigType(desc.mediaType)) {
      throw unsupported(
        `${this.label} is not a container image: its config has media type ${desc.mediaType}`,
      );
    }
    const bytes = await this.client.getBlob(
      this.ref.path,
      { digest: desc.digest, size: desc.size },
      CONFIG_LIMIT,
      what,
    );
    return { bytes, digest: desc.digest, mediaType: desc.mediaType };
  }

  async openLayer(layer: LayerBlob, index: number, options?: OpenLayerOptions): Promise<Readable> {
    if (layer.digest === undefined) throw invalid(`layer ${index} of ${this.label} has no digest`);
    return this.client.openBlob(
      this.ref.path,
      { digest: layer.digest, size: layer.size, urls: layer.foreign ? layer.urls : undefined },
      `layer ${index} (${layer.digest}) of ${this.label}`,
      { hash: sourceHashes(options) },
    );
  }

  async downloadLayer(
    layer: LayerBlob,
    index: number,
    file: string,
    options: DownloadOptions = {},
  ): Promise<void> {
    if (layer.digest === undefined) throw invalid(`layer ${index} of ${this.label} has no digest`);
    const desc = { digest: layer.digest, size: layer.size, urls: layer.foreign ? layer.urls : undefined };
    const what = `layer ${index} (${layer.digest}) of ${this.label}`;
    await this.client.downloadBlob(this.ref.path, desc, file, { what, where: file }, options);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** An image in a registry (docker://host/repo:tag or a bare reference). No network until resolve(). */
export async function createRegistrySource(
  loc: Extract<ImageLocation, { transport: 'docker' }>,
  options: RegistrySourceOptions,
): Promise<ImageSource> {
  return new RegistrySource(formatLocation(loc), loc.ref, loc.text, registryClientFor(loc, options));
}

/** The client for a registry location, with the options a source or destination was given. */
export function registryClientFor(
  loc: Extract<ImageLocation, { transport: 'docker' }>,
  options: RegistrySourceOptions,
): RegistryClient {
  return new RegistryClient(loc.ref.domain, {
    insecure: options.insecure,
    username: options.username,
    password: options.password,
    authFile: options.authFile,
    onRequest: options.onRequest,
    retry: options.retry,
    timeouts: options.timeouts,
  });
}
