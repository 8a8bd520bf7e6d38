import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileRange } from '../../src/archive/file-range.js';
import { indexTar } from '../../src/archive/tar-index.js';
import { isStrataError } from '../../src/errors.js';
import { decompress } from '../../src/layer/compression.js';
import { parseLocation } from '../../src/reference/transport.js';
import { createDockerArchiveSource } from '../../src/transports/docker-archive.js';
import type { ImageSource } from '../../src/transports/types.js';
import {
  type FixtureFile,
  type TestImage,
  docker25ArchiveFiles,
  legacyArchiveFiles,
  makeImage,
  makeLayer,
  makeLayerTar,
  sha256,
  simpleImage,
  writeTarFile,
} from '../helpers/make-image.js';

let dir: string;
let plain: TestImage; // three uncompressed layers, the third a repeat of the first
let mixed: TestImage; // gzip and zstd layers
let untagged: TestImage;

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function open(spec: string): Promise<ImageSource> {
  const loc = parseLocation(`docker-archive:${spec}`);
  if (loc.transport !== 'docker-archive') throw new Error('not a docker-archive location');
  return createDockerArchiveSource(loc, {});
}

/** Open, resolve, close; the error it fails with, or undefined. */
async function failure(
  spec: string,
  read?: (s: ImageSource) => Promise<unknown>,
): Promise<{ kind: string; message: string }> {
  let err: unknown;
  try {
    const src = await open(spec);
    try {
      await (read ?? ((s) => s.resolve()))(src);
    } finally {
      await src.close();
    }
  } catch (e) {
    err = e;
  }
  expect(isStrataError(err), `expected a StrataError, got ${String(err)}`).toBe(true);
  return err as { kind: string; message: string };
}

async function archive(name: string, files: FixtureFile[]): Promise<string> {
  const path = join(dir, name);
  await writeTarFile(path, files);
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-docker-archive-'));
  const base = await simpleImage(2, { tags: ['busybox:latest'] });
  const [l0, l1] = base.layers as [TestImage['layers'][0], TestImage['layers'][0]];
  plain = makeImage([l0, l1, l0], { tags: ['busybox:latest', 'example.com/team/app:1.0'] });
  const t1 = await makeLayerTar([{ name: 'g.txt', content: 'gzip layer\n'.repeat(50) }]);
  const t2 = await makeLayerTar([{ name: 'z.txt', content: 'zstd layer\n'.repeat(50) }]);
  mixed = makeImage([makeLayer(t1, 'gzip'), makeLayer(t2, 'zstd')], { tags: ['alpine:3'] });
  untagged = await simpleImage(1, { cmd: ['untagged'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('legacy shape (docker save ≤ 24)', () => {
  test('resolves manifest.json, config, layers (a repeated layer stored as a symlink)', async () => {
    const files = legacyArchiveFiles([plain]);
    expect(files.some((f) => f.symlink?.startsWith('../'))).toBe(true);
    const path = await archive('legacy.tar', files);
    const src = await open(path);
    try {
      expect(src.name).toBe(`docker-archive:${path}`);
      const img = await src.resolve();
      const manifestJson = files.find((f) => f.path === 'manifest.json')?.data as Buffer;
      expect(img.manifest).toEqual({
        bytes: manifestJson,
        digest: sha256(manifestJson),
        mediaType: 'application/json',
      });
      expect(img.config.digest).toBe(plain.configDigest);
      expect(img.config.bytes.equals(plain.config)).toBe(true);
      expect(img.index).toBeUndefined();
      expect(img.facts).toEqual({
        repoTags: ['busybox:latest', 'example.com/team/app:1.0'],
        repoDigests: [],
      });
      expect(img.layers).toHaveLength(3);
      for (const [i, layer] of img.layers.entries()) {
        const want = plain.layers[i]!;
        expect(layer).toEqual({
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
          digest: want.diffID,
          size: want.tar.length,
          compression: 'none',
          foreign: false,
        });
        expect((await collect(await src.openLayer(layer, i))).equals(want.tar)).toBe(true);
        const range = await src.layerFile?.(layer, i);
        expect((await readFileRange(range!)).equals(want.tar)).toBe(true);
      }
      // The repeat is the same bytes in the archive, reached through the link.
      expect(await src.layerFile?.(img.layers[2]!, 2)).toEqual(await src.layerFile?.(img.layers[0]!, 0));
    } finally {
      await src.close();
    }
  });

  test('gzip and zstd layer files are sniffed (manifest.json has no media types)', async () => {
    const path = await archive('legacy-mixed.tar', legacyArchiveFiles([mixed]));
    const src = await open(path);
    try {
      const img = await src.resolve();
      expect(img.layers.map((l) => [l.mediaType, l.compression, l.digest, l.size])).toEqual([
        [
          'application/vnd.docker.image.rootfs.diff.tar.gzip',
          'gzip',
          undefined,
          mixed.layers[0]!.blob.length,
        ],
        ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd', undefined, mixed.layers[1]!.blob.length],
      ]);
      for (const [i, layer] of img.layers.entries()) {
        expect(await src.layerFile?.(layer, i)).toBeUndefined();
        const tar = await collect(
          await decompress(await src.openLayer(layer, i), layer.compression, `layer ${i}`),
        );
        expect(sha256(tar)).toBe(mixed.layers[i]!.diffID);
      }
    } finally {
      await src.close();
    }
  });

  test('a tampered layer fails its stream with a digest mismatch', async () => {
    const files = legacyArchiveFiles([plain], { linkDuplicates: false });
    const victim = files.find((f) => f.path.endsWith('layer.tar') && f.data)!;
    const bad = Buffer.from(victim.data!);
    bad[600] = (bad[600] as number) ^ 0xff;
    victim.data = bad;
    const path = await archive('tampered.tar', files);
    const err = await failure(path, async (s) => {
      const img = await s.resolve();
      return collect(await s.openLayer(img.layers[0]!, 0));
    });
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toContain(`${path}: layer 0: digest mismatch`);
  });
});

describe('Docker 25+ shape', () => {
  test('the OCI manifest blob is the manifest; media types come from it', async () => {
    const files = docker25ArchiveFiles([mixed, plain]);
    const path = await archive('d25.tar', files);
    const src = await open(`${path}:alpine:3`);
    try {
      const img = await src.resolve();
      expect(img.manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(JSON.parse(img.manifest.bytes.toString()).config.digest).toBe(mixed.configDigest);
      expect(img.manifest.digest).toBe(sha256(img.manifest.bytes));
      expect(img.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
      expect(img.layers.map((l) => [l.mediaType, l.compression, l.digest])).toEqual(
        mixed.layers.map((l) => [l.mediaType, l.compression, l.digest]),
      );
      expect(img.facts.repoTags).toEqual(['alpine:3']);
      const tar = await collect(await decompress(await src.openLayer(img.layers[1]!, 1), 'zstd', 'layer 1'));
      expect(sha256(tar)).toBe(mixed.layers[1]!.diffID);
    } finally {
      await src.close();
    }
  });

  test('uncompressed 25+ layers: digest is the diffID and layerFile gives the blob', async () => {
    const path = await archive('d25-plain.tar', docker25ArchiveFiles([plain]));
    const src = await open(path);
    try {
      const img = await src.resolve();
      expect(img.layers.map((l) => l.digest)).toEqual(plain.layers.map((l) => l.diffID));
      const range = await src.layerFile?.(img.layers[1]!, 1);
      expect(sha256(await readFileRange(range!))).toBe(plain.layers[1]!.diffID);
    } finally {
      await src.close();
    }
  });

  test('declared types are checked against the bytes', async () => {
    const path = await archive(
      'd25-lie.tar',
      docker25ArchiveFiles([mixed], {
        layerTypes: [
          'application/vnd.oci.image.layer.v1.tar+gzip',
          'application/vnd.oci.image.layer.v1.tar+gzip',
        ],
      }),
    );
    const err = await failure(path);
    expect(err).toMatchObject({
      kind: 'invalid',
      message: `${path}: layer 1 is declared gzip but its bytes are zstd`,
    });
  });

  test('a manifest blob that does not match its digest is refused', async () => {
    const files = docker25ArchiveFiles([plain]);
    const index = JSON.parse(files.find((f) => f.path === 'index.json')!.data!.toString());
    const blob = files.find((f) => f.path === `blobs/sha256/${index.manifests[0].digest.slice(7)}`)!;
    blob.data = Buffer.from(blob.data!.toString().replace('"schemaVersion":2,', '"schemaVersion":2 '));
    const err = await failure(await archive('d25-badmanifest.tar', files));
    expect(err.kind).toBe('digest-mismatch');
  });
});

describe('selecting an image in a multi-image archive', () => {
  let path: string;
  beforeAll(async () => {
    path = await archive('multi.tar', legacyArchiveFiles([plain, mixed, untagged]));
  });

  test('by tag, normalised both ways, and by index', async () => {
    for (const [spec, config] of [
      [`${path}:busybox:latest`, plain.configDigest],
      [`${path}:docker.io/library/busybox:latest`, plain.configDigest],
      [`${path}:busybox`, plain.configDigest],
      [`${path}:example.com/team/app:1.0`, plain.configDigest],
      [`${path}:docker.io/library/alpine:3`, mixed.configDigest],
      [`${path}:@2`, untagged.configDigest],
    ] as const) {
      const src = await open(spec);
      expect((await src.resolve()).config.digest, spec).toBe(config);
      await src.close();
    }
  });

  test('no selector with several images is a usage error listing the tags', async () => {
    const err = await failure(path);
    expect(err.kind).toBe('usage');
    expect(err.message).toBe(
      `${path} holds 3 images: @0 busybox:latest example.com/team/app:1.0, @1 alpine:3, @2 <untagged>`,
    );
  });

  test('an unknown tag or index is not-found, listing the tags', async () => {
    const err = await failure(`${path}:nginx:1`);
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain('no image tagged nginx:1; it holds: @0 busybox:latest');
    expect((await failure(`${path}:@3`)).kind).toBe('not-found');
  });
});

describe('broken archives', () => {
  test('not a tar, empty, missing, a directory', async () => {
    const json = join(dir, 'not-a-tar.json');
    writeFileSync(json, JSON.stringify({ just: 'json' }).repeat(40));
    expect(await failure(json)).toMatchObject({ kind: 'invalid', message: `${json} is not a tar archive` });
    const empty = join(dir, 'empty.tar');
    writeFileSync(empty, '');
    expect(await failure(empty)).toMatchObject({
      kind: 'invalid',
      message: `${empty} is empty, not a docker archive`,
    });
    const missing = join(dir, 'missing.tar');
    expect(await failure(missing)).toMatchObject({
      kind: 'not-found',
      message: `${missing}: no such file or directory`,
    });
    mkdirSync(join(dir, 'a-dir'), { recursive: true });
    expect((await failure(join(dir, 'a-dir'))).message).toMatch(/is a directory, not a docker archive/);
  });

  test('a tar with no manifest.json', async () => {
    const path = await archive('no-manifest.tar', [{ path: 'hello.txt', data: Buffer.from('hi') }]);
    expect(await failure(path)).toMatchObject({
      kind: 'invalid',
      message: `${path} is not a docker archive: no manifest.json`,
    });
  });

  test('malformed manifest.json: not JSON, null, wrong shape', async () => {
    for (const [name, body, message] of [
      ['mj-garbage.tar', '{{{', /manifest\.json is not valid JSON/],
      ['mj-null.tar', 'null', /manifest\.json is null$/],
      ['mj-shape.tar', '[{"Config":3}]', /manifest\.json item 0 has no Config$/],
    ] as const) {
      const path = await archive(name, legacyArchiveFiles([plain], { manifestJson: Buffer.from(body) }));
      const err = await failure(path);
      expect(err.kind, name).toBe('invalid');
      expect(err.message, name).toMatch(message);
    }
  });

  test('config: malformed, not matching its name, wrong number of layers', async () => {
    const garbage = legacyArchiveFiles([plain]);
    garbage.find(
      (f) => f.path.endsWith('.json') && !f.path.includes('/') && f.path !== 'manifest.json',
    )!.data = Buffer.from('not json');
    const e1 = await failure(await archive('cfg-garbage.tar', garbage));
    expect(e1.kind).toBe('digest-mismatch');

    // Malformed bytes stored under their own digest pass the name check and fail parsing.
    const bytes = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const files = legacyArchiveFiles([plain]);
    const items = JSON.parse(files.find((f) => f.path === 'manifest.json')!.data!.toString());
    items[0].Config = `${sha256(bytes).slice(7)}.json`;
    files.push({ path: items[0].Config, data: bytes });
    files.find((f) => f.path === 'manifest.json')!.data = Buffer.from(JSON.stringify(items));
    const e2 = await failure(await archive('cfg-norootfs.tar', files));
    expect(e2).toMatchObject({ kind: 'invalid' });
    expect(e2.message).toMatch(/has no rootfs$/);

    const short = makeImage(plain.layers, {
      tags: ['short:1'],
      diffIDs: plain.layers.slice(0, 2).map((l) => l.diffID),
    });
    const e3 = await failure(await archive('cfg-short.tar', legacyArchiveFiles([short])));
    expect(e3.kind).toBe('invalid');
    expect(e3.message).toMatch(
      /layers length mismatch: manifest\.json lists 3 layers, the config has 2 diff_ids$/,
    );
  });

  test('a truncated archive', async () => {
    const path = await archive('truncated.tar', legacyArchiveFiles([plain]));
    const index = await indexTar(path);
    const layer = index.entries.find((e) => e.name.endsWith('layer.tar') && e.type === 'file')!;
    truncateSync(path, layer.dataOffset + 100);
    expect(await failure(path)).toMatchObject({ kind: 'invalid', message: `${path} is truncated` });
  });

  test('a layer file missing from the archive', async () => {
    const files = legacyArchiveFiles([plain], { linkDuplicates: false }).filter(
      (f) => !f.path.endsWith('layer.tar') || f !== undefined,
    );
    const gone = files.findIndex((f) => f.path.endsWith('layer.tar'));
    const name = files[gone]!.path;
    files.splice(gone, 1);
    const err = await failure(await archive('missing-layer.tar', files));
    expect(err).toMatchObject({ kind: 'invalid' });
    expect(err.message).toMatch(new RegExp(`layer 0 \\(${name}\\) is missing from the archive$`));
  });
});

describe('compressed archives (docker load accepts them)', () => {
  test('a gzip-compressed archive is read through a temporary copy removed on close', async () => {
    const path = await archive('to-gzip.tar', legacyArchiveFiles([plain]));
    execFileSync('gzip', ['-f', '-k', path]);
    const src = await open(`${path}.gz`);
    const img = await src.resolve();
    expect(img.config.digest).toBe(plain.configDigest);
    const range = await src.layerFile?.(img.layers[1]!, 1);
    expect(range!.path).not.toBe(`${path}.gz`);
    expect(sha256(await readFileRange(range!))).toBe(plain.layers[1]!.diffID);
    await src.close();
    expect(existsSync(range!.path)).toBe(false);

    const gz = readFileSync(`${path}.gz`);
    writeFileSync(join(dir, 'cut.tar.gz'), gz.subarray(0, gz.length - 200));
    const err = await failure(join(dir, 'cut.tar.gz'));
    expect(err).toMatchObject({ kind: 'invalid' });
    expect(err.message).toMatch(/cut\.tar\.gz is truncated: its gzip data ends early$/);
  });

  test('bzip2 and xz archives are refused with a hint', async () => {
    const path = await archive('to-xz.tar', legacyArchiveFiles([untagged]));
    execFileSync('xz', ['-f', '-k', path]);
    const err = await failure(`${path}.xz`);
    expect(err).toMatchObject({
      kind: 'unsupported',
      message: `${path}.xz is xz-compressed, which strata does not read`,
    });
    expect((err as { hint?: string }).hint).toBe(`decompress it first: unxz ${path}.xz`);
  });
});

describe('hostile archives', () => {
  function withLayerPath(layerPath: string): FixtureFile[] {
    const files = legacyArchiveFiles([untagged]);
    const mj = files.find((f) => f.path === 'manifest.json')!;
    const items = JSON.parse(mj.data!.toString());
    items[0].Layers = [layerPath];
    mj.data = Buffer.from(JSON.stringify(items));
    return files;
  }

  test('a manifest path climbing out of the archive is refused', async () => {
    const path = await archive('escape-path.tar', withLayerPath('../../../../etc/passwd'));
    const err = await failure(path);
    expect(err).toMatchObject({ kind: 'invalid' });
    expect(err.message).toMatch(/points outside the archive$/);
  });

  test('an absolute manifest path stays inside the archive (as docker load treats it)', async () => {
    const path = await archive('abs-path.tar', withLayerPath('/etc/passwd'));
    const err = await failure(path);
    expect(err.message).toMatch(/layer 0 \(\/etc\/passwd\) is missing from the archive$/);
  });

  test('a layer.tar symlink to a file outside the archive is refused, relative or absolute', async () => {
    for (const [name, target] of [
      ['escape-rel.tar', '../../../../../../etc/passwd'],
      ['escape-abs.tar', '/etc/passwd'],
    ] as const) {
      const files = legacyArchiveFiles([untagged]);
      const layer = files.find((f) => f.path.endsWith('layer.tar'))!;
      delete layer.data;
      layer.symlink = target;
      const err = await failure(await archive(name, files));
      expect(err.kind, name).toBe('invalid');
      expect(err.message, name).toMatch(
        new RegExp(`links to ${target.replace(/[./]/g, '\\$&')}, outside the archive$`),
      );
    }
  });

  test('a symlink loop is refused', async () => {
    const files = legacyArchiveFiles([untagged]);
    const layer = files.find((f) => f.path.endsWith('layer.tar'))!;
    delete layer.data;
    layer.symlink = 'loop2';
    files.push({ path: layer.path.replace('layer.tar', 'loop2'), symlink: 'layer.tar' });
    const err = await failure(await archive('loop.tar', files));
    expect(err.message).toMatch(/is a link loop$/);
  });

  test('entries named ../x or /x cannot stand in for archive files', async () => {
    const files = legacyArchiveFiles([untagged]).map((f) =>
      f.path === 'manifest.json' ? { ...f, path: '../manifest.json' } : f,
    );
    const path = await archive('dotdot-entry.tar', files);
    expect((await failure(path)).message).toBe(`${path} is not a docker archive: no manifest.json`);
    // A later '../' copy of a real file does not replace it either.
    const twice = [
      ...legacyArchiveFiles([untagged]),
      { path: `../${untagged.configDigest.slice(7)}.json`, data: Buffer.from('{}') },
    ];
    const src = await open(await archive('dotdot-dup.tar', twice));
    expect((await src.resolve()).config.digest).toBe(untagged.configDigest);
    await src.close();
  });
});

describe("dive's docker save fixture", () => {
  const fixture = join(new URL('../..', import.meta.url).pathname, '../shared/fixtures/dive-test-image.tar');

  test('resolves, and every layer streams and verifies against its diffID', async () => {
    expect(existsSync(fixture)).toBe(true);
    const src = await open(fixture);
    try {
      const img = await src.resolve();
      expect(img.facts.repoTags).toEqual(['dive-test:latest']);
      expect(img.config.digest).toBe(
        'sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a',
      );
      expect(img.layers).toHaveLength(14);
      const diffIDs = JSON.parse(img.config.bytes.toString()).rootfs.diff_ids;
      expect(img.layers.map((l) => l.digest)).toEqual(diffIDs);
      let headerBytes = 0;
      for (const [i, layer] of img.layers.entries()) {
        expect(layer.compression).toBe('none');
        const bytes = await collect(await src.openLayer(layer, i));
        expect(bytes.length).toBe(layer.size);
        // dive's "image size" is the sum of tar header sizes of regular files over all layers.
        const range = (await src.layerFile?.(layer, i))!;
        const sub = join(dir, `dive-layer-${i}.tar`);
        writeFileSync(sub, await readFileRange(range));
        for (const e of (await indexTar(sub)).entries) if (e.type === 'file') headerBytes += e.size;
      }
      expect(headerBytes).toBe(1220598);
    } finally {
      await src.close();
    }
  });
});
