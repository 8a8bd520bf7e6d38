import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileRange } from '../../src/archive/file-range.js';
import { isStrataError } from '../../src/errors.js';
import { decompress } from '../../src/layer/compression.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseLocation } from '../../src/reference/transport.js';
import { createOciArchiveSource } from '../../src/transports/oci-archive.js';
import { createOciLayoutSource } from '../../src/transports/oci-layout.js';
import type { ImageSource, ResolveOptions } from '../../src/transports/types.js';
import {
  type FixtureFile,
  type LayoutEntry,
  type TestImage,
  hex,
  makeImage,
  makeLayer,
  makeLayerTar,
  ociLayoutFiles,
  sha256,
  simpleImage,
  writeDir,
  writeTarFile,
} from '../helpers/make-image.js';

let dir: string;
let amd: TestImage;
let arm: TestImage;
let zimg: TestImage;
let counter = 0;

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

type Kind = 'oci' | 'oci-archive';

/** Write the layout as a directory or as a tar, and give the location text for it. */
async function place(kind: Kind, files: FixtureFile[]): Promise<string> {
  const path = join(dir, `${kind}-${++counter}${kind === 'oci-archive' ? '.tar' : ''}`);
  if (kind === 'oci') await writeDir(path, files);
  else await writeTarFile(path, files);
  return path;
}

async function open(kind: Kind, spec: string): Promise<ImageSource> {
  const loc = parseLocation(`${kind}:${spec}`);
  if (loc.transport === 'oci') return createOciLayoutSource(loc, {});
  if (loc.transport === 'oci-archive') return createOciArchiveSource(loc, {});
  throw new Error('unexpected transport');
}

async function failure(
  kind: Kind,
  spec: string,
  options: ResolveOptions = {},
  read?: (s: ImageSource) => Promise<unknown>,
): Promise<{ kind: string; message: string; hint?: string }> {
  let err: unknown;
  try {
    const src = await open(kind, spec);
    try {
      await (read ?? ((s) => s.resolve(options)))(src);
    } finally {
      await src.close();
    }
  } catch (e) {
    err = e;
  }
  expect(isStrataError(err), `expected a StrataError, got ${String(err)}`).toBe(true);
  return err as { kind: string; message: string };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-oci-'));
  amd = await simpleImage(2, { compression: 'gzip', cmd: ['amd'] });
  arm = await simpleImage(1, { compression: 'gzip', architecture: 'arm64', variant: 'v8', cmd: ['arm'] });
  const t = await makeLayerTar([{ name: 'z.txt', content: 'zstd!\n'.repeat(100) }]);
  const u = await makeLayerTar([{ name: 'u.txt', content: 'plain\n' }]);
  zimg = makeImage([makeLayer(t, 'zstd'), makeLayer(u, 'none')], { cmd: ['z'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const kind of ['oci', 'oci-archive'] as const) {
  describe(`${kind}: selection`, () => {
    const entries = (): LayoutEntry[] => [
      { name: 'multi', images: [amd, arm] },
      { name: 'z', images: [zimg] },
    ];

    test('by name, with nested index and platform choice', async () => {
      const path = await place(kind, ociLayoutFiles(entries()));
      const src = await open(kind, `${path}:multi`);
      try {
        const host = await src.resolve({ platform: parsePlatform('linux/amd64') });
        expect(host.config.digest).toBe(amd.configDigest);
        expect(host.index?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
        expect(host.index?.digest).toBe(sha256(host.index!.bytes));
        const a = await src.resolve({ platform: parsePlatform('linux/arm64') });
        expect(a.config.digest).toBe(arm.configDigest);
        expect(a.facts).toEqual({ repoTags: [], repoDigests: [] });
        const err = await failure(kind, `${path}:multi`, { platform: parsePlatform('linux/s390x') });
        expect(err).toMatchObject({ kind: 'not-found' });
        expect(err.message).toMatch(/has no image for linux\/s390x; it has: linux\/amd64, linux\/arm64\/v8$/);
      } finally {
        await src.close();
      }
    });

    test('layers: media types, digests, streams, file ranges', async () => {
      const path = await place(kind, ociLayoutFiles(entries()));
      const src = await open(kind, `${path}:z`);
      try {
        const img = await src.resolve();
        expect(img.index).toBeUndefined();
        expect(img.manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
        expect(img.layers).toEqual(
          zimg.layers.map((l) => ({
            mediaType: l.mediaType,
            digest: l.digest,
            size: l.blob.length,
            compression: l.compression,
            foreign: false,
          })),
        );
        const zstdTar = await collect(
          await decompress(await src.openLayer(img.layers[0]!, 0), 'zstd', 'layer 0'),
        );
        expect(sha256(zstdTar)).toBe(zimg.layers[0]!.diffID);
        expect(await src.layerFile?.(img.layers[0]!, 0)).toBeUndefined();
        const range = await src.layerFile?.(img.layers[1]!, 1);
        expect(sha256(await readFileRange(range!))).toBe(zimg.layers[1]!.diffID);
      } finally {
        await src.close();
      }
    });

    test('by digest, listed in index.json or only stored as a blob', async () => {
      const files = ociLayoutFiles(entries());
      const path = await place(kind, files);
      const armManifest = files.find(
        (f) => f.data?.toString().includes(arm.configDigest) && f.path.startsWith('blobs/'),
      )!;
      const digest = `sha256:${armManifest.path.slice('blobs/sha256/'.length)}`;
      const src = await open(kind, `${path}@${digest}`);
      expect((await src.resolve()).config.digest).toBe(arm.configDigest);
      await src.close();
      const err = await failure(kind, `${path}@sha256:${'0'.repeat(64)}`);
      expect(err).toMatchObject({
        kind: 'not-found',
        message: `${path} has no manifest sha256:${'0'.repeat(64)}`,
      });
    });

    test('several names and no selector: usage error listing them; unknown name: not-found', async () => {
      const path = await place(kind, ociLayoutFiles(entries()));
      const usage = await failure(kind, path);
      expect(usage).toMatchObject({ kind: 'usage', message: `${path} holds 2 images: multi, z` });
      const missing = await failure(kind, `${path}:nope`);
      expect(missing).toMatchObject({
        kind: 'not-found',
        message: `${path} has no image named nope; it has: multi, z`,
      });
    });

    test('the only image, and unnamed per-platform entries, need no selector', async () => {
      const one = await place(kind, ociLayoutFiles([{ images: [zimg] }]));
      const src = await open(kind, one);
      expect((await src.resolve()).config.digest).toBe(zimg.configDigest);
      await src.close();
      const perPlatform = await place(
        kind,
        ociLayoutFiles([
          { images: [amd], platformOnEntry: true },
          { images: [arm], platformOnEntry: true },
        ]),
      );
      const src2 = await open(kind, perPlatform);
      expect((await src2.resolve({ platform: parsePlatform('linux/arm64/v8') })).config.digest).toBe(
        arm.configDigest,
      );
      await src2.close();
    });
  });

  describe(`${kind}: broken layouts`, () => {
    const only = () => ociLayoutFiles([{ name: 'z', images: [zimg] }]);
    const edit = (files: FixtureFile[], path: string, data: Buffer | undefined) =>
      data === undefined
        ? files.filter((f) => f.path !== path)
        : files.map((f) => (f.path === path ? { ...f, data } : f));

    test('no oci-layout, a version strata does not read, no index.json, malformed index.json', async () => {
      const p1 = await place(kind, edit(only(), 'oci-layout', undefined));
      expect(await failure(kind, p1)).toMatchObject({
        kind: 'invalid',
        message: `${p1} is not an OCI layout: no oci-layout file`,
      });
      const p2 = await place(kind, edit(only(), 'oci-layout', Buffer.from('{"imageLayoutVersion":"2.0.0"}')));
      expect((await failure(kind, p2)).kind).toBe('unsupported');
      const p3 = await place(kind, edit(only(), 'index.json', undefined));
      expect(await failure(kind, p3)).toMatchObject({
        kind: 'invalid',
        message: `${p3} is not an OCI layout: no index.json`,
      });
      const p4 = await place(
        kind,
        edit(only(), 'index.json', Buffer.from('{"schemaVersion":2,"manifests":[{"digest":1}]}')),
      );
      expect(await failure(kind, p4)).toMatchObject({
        kind: 'invalid',
        message: `${p4}: index.json entry 0 has no mediaType`,
      });
    });

    test('a missing config blob, a tampered one, a layer count that disagrees', async () => {
      const p1 = await place(
        kind,
        ociLayoutFiles([{ name: 'z', images: [zimg] }], { omitBlobs: [zimg.configDigest] }),
      );
      const e1 = await failure(kind, p1);
      expect(e1).toMatchObject({
        kind: 'invalid',
        message: `${p1} is incomplete: config (${zimg.configDigest}) is missing`,
      });

      const tampered = only().map((f) =>
        f.path === `blobs/sha256/${hex(zimg.configDigest)}`
          ? { ...f, data: Buffer.from(f.data!.toString().replace('"z"', '"y"')) }
          : f,
      );
      expect((await failure(kind, await place(kind, tampered))).kind).toBe('digest-mismatch');

      const short = makeImage(zimg.layers, { cmd: ['short'], diffIDs: [zimg.layers[0]!.diffID] });
      const p3 = await place(kind, ociLayoutFiles([{ images: [short] }]));
      const e3 = await failure(kind, p3);
      expect(e3.message).toBe(
        `${p3}: layers length mismatch: the manifest has 2 layers, the config 1 diff_ids`,
      );
    });

    test('layer media types: unknown refused, acceptable sniffed, lies caught when opened', async () => {
      const p1 = await place(
        kind,
        ociLayoutFiles([{ images: [zimg], layerTypes: ['application/x-foo', zimg.layers[1]!.mediaType] }]),
      );
      expect(await failure(kind, p1)).toMatchObject({
        kind: 'unsupported',
        message: `${p1}: layer 0 has media type application/x-foo, which strata does not read`,
      });

      const p2 = await place(
        kind,
        ociLayoutFiles([
          {
            images: [zimg],
            layerTypes: ['application/vnd.oci.image.layer.v1.tar+future', zimg.layers[1]!.mediaType],
          },
        ]),
      );
      const src = await open(kind, p2);
      expect((await src.resolve()).layers[0]?.compression).toBe('zstd');
      await src.close();

      const p3 = await place(
        kind,
        ociLayoutFiles([{ images: [zimg], layerTypes: ['application/vnd.oci.image.layer.v1.tar+gzip'] }]),
      );
      const e3 = await failure(kind, p3, {}, async (s) => {
        const img = await s.resolve();
        return s.openLayer(img.layers[0]!, 0);
      });
      expect(e3).toMatchObject({
        kind: 'invalid',
        message: `${p3}: layer 0 is declared gzip but its bytes are zstd`,
      });
    });

    test('a tampered layer blob fails its stream; a missing one fails resolve', async () => {
      const files = only();
      const layerFile = files.find((f) => f.path === `blobs/sha256/${hex(zimg.layers[1]!.digest)}`)!;
      const bad = Buffer.from(layerFile.data!);
      bad[5] = (bad[5] as number) ^ 1;
      const p1 = await place(kind, edit(files, layerFile.path, bad));
      const e1 = await failure(kind, p1, {}, async (s) =>
        collect(await s.openLayer((await s.resolve()).layers[1]!, 1)),
      );
      expect(e1.kind).toBe('digest-mismatch');

      const p2 = await place(kind, edit(only(), layerFile.path, undefined));
      expect(await failure(kind, p2)).toMatchObject({
        kind: 'invalid',
        message: `${p2} is incomplete: layer 1 (${zimg.layers[1]!.digest}) is missing`,
      });
    });

    test('foreign layers keep their URLs and need not be stored', async () => {
      const files = only();
      const manifestFile = files.find((f) => f.data?.toString().includes('"config":{"mediaType"'))!;
      const manifest = JSON.parse(manifestFile.data!.toString());
      manifest.layers[1].mediaType = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
      manifest.layers[1].urls = ['https://example.com/layer.tar'];
      const mBytes = Buffer.from(JSON.stringify(manifest));
      const index = {
        schemaVersion: 2,
        manifests: [{ mediaType: manifest.mediaType, digest: sha256(mBytes), size: mBytes.length }],
      };
      const patched = [
        ...edit(
          edit(files, `blobs/sha256/${hex(zimg.layers[1]!.digest)}`, undefined),
          'index.json',
          Buffer.from(JSON.stringify(index)),
        ),
        { path: `blobs/sha256/${hex(sha256(mBytes))}`, data: mBytes },
      ];
      const path = await place(kind, patched);
      const src = await open(kind, path);
      try {
        const img = await src.resolve();
        expect(img.layers[1]).toMatchObject({
          foreign: true,
          urls: ['https://example.com/layer.tar'],
          compression: 'none',
        });
        await expect(src.openLayer(img.layers[1]!, 1)).rejects.toMatchObject({
          kind: 'not-found',
          message: `${path}: layer 1 is a foreign layer that ${path} does not store; fetch it from https://example.com/layer.tar`,
        });
      } finally {
        await src.close();
      }
    });
  });
}

describe('location errors', () => {
  test('oci: a missing directory, a file', async () => {
    const missing = join(dir, 'no-such-layout');
    expect(await failure('oci', missing)).toMatchObject({
      kind: 'not-found',
      message: `${missing}: no such file or directory`,
    });
    const file = join(dir, 'a-file.tar');
    writeFileSync(file, 'x');
    const err = await failure('oci', file);
    expect(err).toMatchObject({
      kind: 'invalid',
      message: `${file} is not a directory, so not an OCI layout`,
    });
    expect(err.hint).toBe(`to read an OCI archive (a tar file), use oci-archive:${file}`);
  });

  test('oci-archive: not a tar, a blob symlinked out of the archive', async () => {
    const json = join(dir, 'oci-not-tar.tar');
    writeFileSync(json, '{"imageLayoutVersion":"1.0.0"}'.repeat(30));
    expect(await failure('oci-archive', json)).toMatchObject({
      kind: 'invalid',
      message: `${json} is not a tar archive`,
    });
    const files = ociLayoutFiles([{ images: [zimg] }]).map((f) =>
      f.path === `blobs/sha256/${hex(zimg.configDigest)}`
        ? { path: f.path, symlink: '../../../../etc/passwd' }
        : f,
    );
    const path = await place('oci-archive', files);
    const err = await failure('oci-archive', path);
    expect(err.kind).toBe('invalid');
    expect(err.message).toMatch(/links to \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd, outside the archive$/);
  });
});
