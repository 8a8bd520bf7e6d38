/**
 * Test fixtures built from scratch: layer tars (tar-stream), gzip (node:zlib), zstd (zstd-napi),
 * image configs, and writers for every file shape strata reads: the legacy `docker save` archive,
 * the Docker 25+ OCI-style archive, multi-image archives, OCI layout directories and OCI archives.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { compress as zstdCompress } from 'zstd-napi';

export type Compression = 'none' | 'gzip' | 'zstd';

export const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const hex = (digest: string) => digest.slice(digest.indexOf(':') + 1);

export interface EntrySpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const FIXED_TIME = new Date('2024-01-02T03:04:05Z');

/** Write tar entries into a tar-stream pack and collect the bytes (small test tars only). */
export async function makeLayerTar(entries: EntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    const header = {
      name: e.name,
      type,
      linkname: e.linkname,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: FIXED_TIME,
      size: body?.length ?? 0,
    };
    await new Promise<void>((resolve, reject) => {
      if (body) pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function compressWith(kind: Compression, data: Buffer): Buffer {
  if (kind === 'gzip') return gzipSync(data);
  if (kind === 'zstd') return zstdCompress(data);
  return data;
}

export interface TestLayer {
  tar: Buffer;
  diffID: string;
  blob: Buffer;
  digest: string;
  compression: Compression;
  /** The OCI media type for the blob's compression. */
  mediaType: string;
}

const OCI_LAYER: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export function makeLayer(tarBytes: Buffer, compression: Compression = 'none'): TestLayer {
  const blob = compressWith(compression, tarBytes);
  return {
    tar: tarBytes,
    diffID: sha256(tarBytes),
    blob,
    digest: sha256(blob),
    compression,
    mediaType: OCI_LAYER[compression],
  };
}

export interface TestImage {
  config: Buffer;
  configDigest: string;
  layers: TestLayer[];
  tags: string[];
  platform: { os: string; architecture: string; variant?: string };
}

export interface ImageOptions {
  tags?: string[];
  os?: string;
  architecture?: string;
  variant?: string;
  /** Override the diff_ids written into the config (for mismatch tests). */
  diffIDs?: string[];
  cmd?: string[];
}

export function makeImage(layers: TestLayer[], options: ImageOptions = {}): TestImage {
  const platform = {
    os: options.os ?? 'linux',
    architecture: options.architecture ?? 'amd64',
    ...(options.variant ? { variant: options.variant } : {}),
  };
  const diffIDs = options.diffIDs ?? layers.map((l) => l.diffID);
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Cmd: options.cmd ?? ['/bin/sh'] },
      created: FIXED_TIME.toISOString(),
      rootfs: { type: 'layers', diff_ids: diffIDs },
      history: diffIDs.map((_, i) => ({ created: FIXED_TIME.toISOString(), created_by: `step ${i}` })),
    }),
  );
  return { config, configDigest: sha256(config), layers, tags: options.tags ?? [], platform };
}

/** A small image of `count` layers, each holding one distinct file. */
export async function simpleImage(
  count: number,
  options: ImageOptions & { compression?: Compression } = {},
): Promise<TestImage> {
  const layers: TestLayer[] = [];
  for (let i = 0; i < count; i++) {
    const tarBytes = await makeLayerTar([
      { name: `dir${i}/`, type: 'directory' },
      {
        name: `dir${i}/file${i}.txt`,
        content: `layer ${i} ${options.tags?.join(',') ?? ''}\n`.repeat(i + 1),
      },
    ]);
    layers.push(makeLayer(tarBytes, options.compression ?? 'none'));
  }
  return makeImage(layers, options);
}

export function ociManifest(image: TestImage, layerTypes?: string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: image.configDigest,
        size: image.config.length,
      },
      layers: image.layers.map((l, i) => ({
        mediaType: layerTypes?.[i] ?? l.mediaType,
        digest: l.digest,
        size: l.blob.length,
      })),
    }),
  );
}

/** One file of a fixture: data, a symlink, or a directory. */
export interface FixtureFile {
  path: string;
  data?: Buffer;
  symlink?: string;
  dir?: boolean;
}

export async function writeTarFile(path: string, files: FixtureFile[]): Promise<void> {
  const pack = tar.pack();
  const out = pipeline(pack, createWriteStream(path));
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (f.dir) pack.entry({ name: f.path, type: 'directory', mode: 0o755, mtime: FIXED_TIME }, cb);
      else if (f.symlink !== undefined)
        pack.entry({ name: f.path, type: 'symlink', linkname: f.symlink, mtime: FIXED_TIME }, cb);
      else
        pack.entry(
          { name: f.path, mode: 0o644, mtime: FIXED_TIME, size: f.data?.length ?? 0 },
          f.data ?? Buffer.alloc(0),
          cb,
        );
    });
  }
  pack.finalize();
  await out;
}

export async function writeDir(root: string, files: FixtureFile[]): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const f of files) {
    const full = join(root, f.path);
    await mkdir(f.dir ? full : dirname(full), { recursive: true });
    if (f.symlink !== undefined) await symlink(f.symlink, full);
    else if (!f.dir) await writeFile(full, f.data ?? Buffer.alloc(0));
  }
}

export interface LegacyOptions {
  /** Write repeated layers as symlinks to the first copy, as docker save does (default true). */
  linkDuplicates?: boolean;
  /** Replace manifest.json's bytes. */
  manifestJson?: Buffer;
}

/** The files of a legacy (Docker ≤ 24) `docker save` archive holding these images. */
export function legacyArchiveFiles(images: TestImage[], options: LegacyOptions = {}): FixtureFile[] {
  const files: FixtureFile[] = [];
  const firstCopy = new Map<string, string>();
  const items = images.map((image) => {
    const layerPaths = image.layers.map((layer, i) => {
      const id = hex(sha256(`${image.configDigest} ${i} ${layer.diffID}`));
      const path = `${id}/layer.tar`;
      files.push({ path: `${id}/`, dir: true }, { path: `${id}/VERSION`, data: Buffer.from('1.0') });
      files.push({
        path: `${id}/json`,
        data: Buffer.from(JSON.stringify({ id, created: FIXED_TIME.toISOString() })),
      });
      const first = firstCopy.get(layer.digest);
      if (first !== undefined && options.linkDuplicates !== false)
        files.push({ path, symlink: `../${first}` });
      else {
        files.push({ path, data: layer.blob });
        firstCopy.set(layer.digest, path);
      }
      return path;
    });
    files.push({ path: `${hex(image.configDigest)}.json`, data: image.config });
    return {
      Config: `${hex(image.configDigest)}.json`,
      RepoTags: image.tags.length ? image.tags : null,
      Layers: layerPaths,
    };
  });
  files.push({
    path: 'manifest.json',
    data: options.manifestJson ?? Buffer.from(`${JSON.stringify(items)}\n`),
  });
  return files;
}

/** The files of a Docker 25+ `docker save` archive: an OCI layout plus manifest.json. */
export function docker25ArchiveFiles(
  images: TestImage[],
  options: { layerTypes?: string[] } = {},
): FixtureFile[] {
  const blobs = new Map<string, Buffer>();
  const indexEntries: object[] = [];
  const items = images.map((image) => {
    const manifest = ociManifest(image, options.layerTypes);
    blobs.set(image.configDigest, image.config);
    blobs.set(sha256(manifest), manifest);
    for (const l of image.layers) blobs.set(l.digest, l.blob);
    for (const tag of image.tags.length ? image.tags : [undefined]) {
      const annotations = tag
        ? {
            'io.containerd.image.name': `docker.io/library/${tag}`,
            'org.opencontainers.image.ref.name': tag.split(':')[1],
          }
        : undefined;
      indexEntries.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
        ...(annotations ? { annotations } : {}),
      });
    }
    return {
      Config: `blobs/sha256/${hex(image.configDigest)}`,
      RepoTags: image.tags.length ? image.tags : null,
      Layers: image.layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
      LayerSources: Object.fromEntries(
        image.layers.map((l, i) => [
          l.diffID,
          { mediaType: options.layerTypes?.[i] ?? l.mediaType, size: l.blob.length, digest: l.digest },
        ]),
      ),
    };
  });
  return [
    { path: 'blobs/', dir: true },
    { path: 'blobs/sha256/', dir: true },
    ...[...blobs].map(([d, data]) => ({ path: `blobs/sha256/${hex(d)}`, data })),
    {
      path: 'index.json',
      data: Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: indexEntries,
        }),
      ),
    },
    { path: 'manifest.json', data: Buffer.from(`${JSON.stringify(items)}\n`) },
    { path: 'oci-layout', data: Buffer.from('{"imageLayoutVersion": "1.0.0"}') },
  ];
}

export interface LayoutEntry {
  /** org.opencontainers.image.ref.name, if any. */
  name?: string;
  /** One image, or several: then an image index with one platform each. */
  images: TestImage[];
  /** Give index.json's own descriptor a platform (for unnamed multi-platform layouts). */
  platformOnEntry?: boolean;
  layerTypes?: string[];
}

/** The files of an OCI image layout holding these entries. */
export function ociLayoutFiles(
  entries: LayoutEntry[],
  options: { omitBlobs?: string[]; indexJson?: Buffer } = {},
): FixtureFile[] {
  const blobs = new Map<string, Buffer>();
  const top = entries.map((entry) => {
    const manifests = entry.images.map((image) => {
      const manifest = ociManifest(image, entry.layerTypes);
      blobs.set(image.configDigest, image.config);
      blobs.set(sha256(manifest), manifest);
      for (const l of image.layers) blobs.set(l.digest, l.blob);
      return {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
        platform: image.platform,
      };
    });
    const annotations = entry.name
      ? { annotations: { 'org.opencontainers.image.ref.name': entry.name } }
      : {};
    if (manifests.length === 1) {
      const { platform, ...desc } = manifests[0] as (typeof manifests)[0];
      return { ...desc, ...(entry.platformOnEntry ? { platform } : {}), ...annotations };
    }
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
    );
    blobs.set(sha256(index), index);
    return {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: sha256(index),
      size: index.length,
      ...annotations,
    };
  });
  for (const d of options.omitBlobs ?? []) blobs.delete(d);
  return [
    { path: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    {
      path: 'index.json',
      data: options.indexJson ?? Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: top })),
    },
    ...[...blobs].map(([d, data]) => ({ path: `blobs/sha256/${hex(d)}`, data })),
  ];
}
