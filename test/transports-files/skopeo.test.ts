/**
 * Interop with a real producer: skopeo 1.9 copies our docker save archives into OCI layouts, OCI
 * archives (gzip and zstd layers) and its own docker-archive shape, and strata reads them back.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decompress, zstdDecompressStream } from '../../src/layer/compression.js';
import { unpackedSizeFromStream } from '../../src/layer/unpacked-size.js';
import { sha256 } from '../../src/oci/digest.js';
import { openSourceFor } from './open-source.js';
import {
  type TestImage,
  legacyArchiveFiles,
  makeImage,
  makeLayer,
  makeLayerTar,
  simpleImage,
  writeTarFile,
} from '../helpers/make-image.js';

let dir: string;
let image: TestImage;
let legacy: string;

const skopeo = (...args: string[]) =>
  execFileSync('skopeo', ['--insecure-policy', ...args], { stdio: 'pipe' });

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Resolve a location and check every layer decompresses to the config's diffID. */
async function checkImage(location: string, expectType: string) {
  const src = await openSourceFor(location);
  try {
    const img = await src.resolve();
    const diffIDs: string[] = JSON.parse(img.config.bytes.toString()).rootfs.diff_ids;
    expect(diffIDs).toEqual(image.layers.map((l) => l.diffID));
    expect(img.layers.map((l) => l.mediaType)).toEqual(image.layers.map(() => expectType));
    for (const [i, layer] of img.layers.entries()) {
      const tar = await collect(
        await decompress(await src.openLayer(layer, i), layer.compression, `layer ${i}`),
      );
      expect(sha256(tar), `${location} layer ${i}`).toBe(diffIDs[i]);
    }
    return img;
  } finally {
    await src.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-skopeo-'));
  const base = await simpleImage(2, { tags: ['skopeo-src:1'] });
  const big = makeLayer(
    await makeLayerTar([
      { name: 'big/', type: 'directory' },
      { name: 'big/data.bin', content: Buffer.alloc(300_000, 0x61) },
      { name: 'big/link', type: 'symlink', linkname: 'data.bin' },
      { name: 'big/.wh.gone', content: '' },
    ]),
  );
  image = makeImage([base.layers[0]!, big, base.layers[1]!], { tags: ['example.com/strata/skopeo-src:1'] });
  legacy = join(dir, 'legacy.tar');
  await writeTarFile(legacy, legacyArchiveFiles([image]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('skopeo reads what strata tests write', () => {
  test('skopeo inspect agrees on our legacy docker-archive', () => {
    const out = JSON.parse(skopeo('inspect', '--config', `docker-archive:${legacy}`).toString());
    expect(out.rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffID));
  });
});

describe('strata reads what skopeo writes', () => {
  test('oci: layout with gzip layers', async () => {
    skopeo('copy', '-q', `docker-archive:${legacy}`, `oci:${join(dir, 'layout')}:v1`);
    await checkImage(`oci:${join(dir, 'layout')}:v1`, 'application/vnd.oci.image.layer.v1.tar+gzip');
  });

  test('oci-archive: the same inside a tar', async () => {
    skopeo('copy', '-q', `docker-archive:${legacy}`, `oci-archive:${join(dir, 'image.oci.tar')}:v1`);
    await checkImage(
      `oci-archive:${join(dir, 'image.oci.tar')}:v1`,
      'application/vnd.oci.image.layer.v1.tar+gzip',
    );
  });

  test('zstd layers (--dest-compress-format zstd), through both zstd decoders', async () => {
    const layout = join(dir, 'zlayout');
    skopeo('copy', '-q', '--dest-compress-format', 'zstd', `docker-archive:${legacy}`, `oci:${layout}:z`);
    const img = await checkImage(`oci:${layout}:z`, 'application/vnd.oci.image.layer.v1.tar+zstd');
    const src = await openSourceFor(`oci:${layout}:z`);
    try {
      const stream = zstdDecompressStream(await src.openLayer(img.layers[1]!, 1), 'layer 1', 'fzstd');
      const verified = await unpackedSizeFromStream(stream, 'layer 1');
      expect(verified).toEqual({ size: 300_000 + 'data.bin'.length, entries: 4 });
    } finally {
      await src.close();
    }
  });

  test("skopeo's own docker-archive shape", async () => {
    const out = join(dir, 'skopeo-docker.tar');
    skopeo(
      'copy',
      '-q',
      `oci:${join(dir, 'layout')}:v1`,
      `docker-archive:${out}:example.com/strata/copied:2`,
    );
    const img = await checkImage(`docker-archive:${out}`, 'application/vnd.docker.image.rootfs.diff.tar');
    expect(img.facts.repoTags).toEqual(['example.com/strata/copied:2']);
    expect(img.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.diffID));
  });

  test("dive's fixture through skopeo into an OCI archive", async () => {
    const fixture = join(
      new URL('../..', import.meta.url).pathname,
      '../shared/fixtures/dive-test-image.tar',
    );
    const out = join(dir, 'dive.oci.tar');
    skopeo('copy', '-q', `docker-archive:${fixture}`, `oci-archive:${out}:dive`);
    const src = await openSourceFor(`oci-archive:${out}:dive`);
    try {
      const img = await src.resolve();
      expect(img.layers).toHaveLength(14);
      const diffIDs: string[] = JSON.parse(img.config.bytes.toString()).rootfs.diff_ids;
      const tar = await collect(
        await decompress(await src.openLayer(img.layers[13]!, 13), 'gzip', 'layer 13'),
      );
      expect(sha256(tar)).toBe(diffIDs[13]);
    } finally {
      await src.close();
    }
  });
});
