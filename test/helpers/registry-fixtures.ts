import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { MediaType } from '../../src/oci/mediatypes.js';
import type { Platform } from '../../src/oci/platform.js';

/** Build test images and upload them to a registry through the distribution API. */

export interface FileSpec {
  name: string;
  content?: string | Buffer;
  /** Directory entry when true. */
  dir?: boolean;
}

export interface LayerFixture {
  /** The blob as stored (compressed when gzip). */
  blob: Buffer;
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  mediaType: string;
  /** For non-distributable layers: where clients may fetch the blob instead of the registry. */
  urls?: string[];
}

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export async function makeTar(files: readonly FileSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const f of files) {
    const mtime = new Date(0);
    if (f.dir) pack.entry({ name: f.name, type: 'directory', mode: 0o755, mtime });
    else pack.entry({ name: f.name, mode: 0o644, mtime }, Buffer.from(f.content ?? ''));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A gzip layer (or an uncompressed one) holding the given files. */
export async function makeLayer(
  files: readonly FileSpec[],
  opts: { format?: 'docker' | 'oci'; gzip?: boolean } = {},
): Promise<LayerFixture> {
  const tarBytes = await makeTar(files);
  const gzip = opts.gzip ?? true;
  const blob = gzip ? gzipSync(tarBytes) : tarBytes;
  const oci = opts.format === 'oci';
  const mediaType = gzip
    ? oci
      ? MediaType.ociLayerGzip
      : MediaType.dockerLayerGzip
    : oci
      ? MediaType.ociLayer
      : MediaType.dockerLayer;
  return { blob, digest: sha256(blob), size: blob.length, diffId: sha256(tarBytes), mediaType };
}

export function makeConfig(
  platform: Platform,
  layers: readonly LayerFixture[],
  extra: Record<string, unknown> = {},
): Buffer {
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
    ...extra,
  };
  return Buffer.from(JSON.stringify(config));
}

/** Where to upload, and the Authorization header to upload with (for protected registries). */
export interface RegistryApi {
  /** http://host:port */
  url: string;
  authorization?: string;
}

function headers(api: RegistryApi, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(api.authorization ? { authorization: api.authorization } : {}), ...extra };
}

async function expectStatus(res: Response, want: number, what: string): Promise<void> {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status}: ${await res.text()}`);
}

/** Upload a blob: POST an upload session, then PUT the bytes with ?digest=. */
export async function pushBlob(api: RegistryApi, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await fetch(`${api.url}/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: headers(api),
  });
  await expectStatus(start, 202, `start upload to ${repo}`);
  const location = new URL(start.headers.get('location') ?? '', api.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headers(api, { 'content-type': 'application/octet-stream' }),
    body: new Uint8Array(bytes),
  });
  await expectStatus(put, 201, `upload ${digest} to ${repo}`);
  return digest;
}

export async function pushManifest(
  api: RegistryApi,
  repo: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const res = await fetch(`${api.url}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(api, { 'content-type': mediaType }),
    body: new Uint8Array(bytes),
  });
  await expectStatus(res, 201, `put manifest ${repo}:${reference}`);
  return sha256(bytes);
}

export interface PushedImage {
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  config: Buffer;
  configDigest: string;
  layers: LayerFixture[];
  platform: Platform;
}

/** Upload layers, config and manifest; tag it when `tag` is given (else it is pushed by digest). */
export async function pushImage(
  api: RegistryApi,
  repo: string,
  tag: string | undefined,
  opts: {
    format?: 'docker' | 'oci';
    platform?: Platform;
    layers?: LayerFixture[];
    config?: Buffer;
    annotations?: Record<string, string>;
  } = {},
): Promise<PushedImage> {
  const format = opts.format ?? 'docker';
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers = opts.layers ?? [
    await makeLayer(
      [
        { name: 'etc/', dir: true },
        { name: 'etc/hello', content: `hello ${repo}\n` },
      ],
      { format },
    ),
    await makeLayer([{ name: 'app.txt', content: `app for ${formatPlatformName(platform)}\n` }], { format }),
  ];
  const config = opts.config ?? makeConfig(platform, layers);
  for (const l of layers) await pushBlob(api, repo, l.blob);
  const configDigest = await pushBlob(api, repo, config);
  const oci = format === 'oci';
  const mediaType = oci ? MediaType.ociManifest : MediaType.dockerManifest;
  const manifest = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType,
        config: {
          mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig,
          digest: configDigest,
          size: config.length,
        },
        layers: layers.map((l) => ({
          mediaType: l.mediaType,
          digest: l.digest,
          size: l.size,
          ...(l.urls ? { urls: l.urls } : {}),
        })),
        ...(opts.annotations ? { annotations: opts.annotations } : {}),
      },
      null,
      3,
    ),
  );
  const manifestDigest = await pushManifest(api, repo, tag ?? sha256(manifest), manifest, mediaType);
  return { manifest, manifestDigest, mediaType, config, configDigest, layers, platform };
}

function formatPlatformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export interface PushedIndex {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

/** Upload an index (OCI) or manifest list (Docker) over already pushed images, and tag it. */
export async function pushIndex(
  api: RegistryApi,
  repo: string,
  tag: string,
  images: readonly PushedImage[],
  format: 'docker' | 'oci' = 'oci',
): Promise<PushedIndex> {
  const mediaType = format === 'oci' ? MediaType.ociIndex : MediaType.dockerManifestList;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: images.map((img) => ({
        mediaType: img.mediaType,
        digest: img.manifestDigest,
        size: img.manifest.length,
        platform: img.platform,
      })),
    }),
  );
  const digest = await pushManifest(api, repo, tag, bytes, mediaType);
  return { bytes, digest, mediaType };
}

/** Bytes that do not compress, so a layer has a known, large size. */
export function noise(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
