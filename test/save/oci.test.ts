/**
 * oci: and oci-archive: destinations: blobs kept as they come, index.json naming the image; skopeo
 * and umoci read what strata wrote, and strata reads it back.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseLocation } from '../../src/reference/transport.js';
import {
  createOciArchiveDestination,
  createOciLayoutDestination,
} from '../../src/transports/oci-destination.js';
import type { ImageDestination, ResolvedImage } from '../../src/transports/types.js';
import { simpleImage } from '../helpers/make-image.js';
import { openSourceFor } from '../transports-files/open-source.js';
import { peerImage } from '../setup/peers.js';
import { copyImage, putTestImage, tarNames } from './copy-helper.js';

const skopeo = (...args: string[]) =>
  execFileSync('skopeo', ['--insecure-policy', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

let dir: string;

function destination(location: string): Promise<ImageDestination> {
  const loc = parseLocation(location);
  if (loc.transport === 'oci') return createOciLayoutDestination(loc);
  if (loc.transport === 'oci-archive') return createOciArchiveDestination(loc);
  throw new Error(`not an OCI location: ${location}`);
}

/** Copy a fixture (the OCI-typed skopeo layout, gzip layers) to a strata destination. */
async function copyFixture(location: string): Promise<ResolvedImage> {
  const fixture = peerImage('links');
  const src = await openSourceFor(`oci:${fixture.ociConvertedDir}:${fixture.ociTag}`);
  const dest = await destination(location);
  try {
    const { image, digest } = await copyImage(src, dest, []);
    expect(digest).toBe(image.manifest.digest);
    await dest.close();
    return image;
  } finally {
    await src.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-save-oci-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('oci: destination', () => {
  let layout: string;
  let image: ResolvedImage;

  beforeAll(async () => {
    layout = join(dir, 'layout');
    image = await copyFixture(`oci:${layout}:saved`);
  });

  test('skopeo reads the manifest byte for byte and copies the image out', () => {
    expect(skopeo('inspect', '--raw', `oci:${layout}:saved`)).toBe(image.manifest.bytes.toString());
    const out = join(dir, 'skopeo-dir');
    skopeo('copy', '--quiet', `oci:${layout}:saved`, `dir:${out}`);
    expect(readFileSync(join(out, 'manifest.json'))).toEqual(image.manifest.bytes);
    for (const layer of image.layers)
      expect(existsSync(join(out, (layer.digest as string).slice(7)))).toBe(true);
  });

  test('umoci unpacks the layout', () => {
    const bundle = join(dir, 'bundle');
    execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:saved`, bundle], { stdio: 'pipe' });
    expect(existsSync(join(bundle, 'config.json'))).toBe(true);
    expect(readdirSync(join(bundle, 'rootfs')).length).toBeGreaterThan(0);
  });

  test('strata reads it back, and a second name is added beside the first', async () => {
    const synth = await simpleImage(1, { tags: ['oci-second'] });
    const dest = await destination(`oci:${layout}:second`);
    await putTestImage(dest, synth, []);
    await dest.close();
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      { 'org.opencontainers.image.ref.name': 'saved' },
      { 'org.opencontainers.image.ref.name': 'second' },
    ]);
    const src = await openSourceFor(`oci:${layout}:saved`);
    const back = await src.resolve();
    await src.close();
    expect(back.manifest.digest).toBe(image.manifest.digest);
    expect(back.config.digest).toBe(image.config.digest);
    expect(back.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    const second = await openSourceFor(`oci:${layout}:second`);
    expect((await second.resolve()).config.digest).toBe(synth.configDigest);
    await second.close();
  });

  test('a non-empty directory that is not a layout is refused; a missing parent is a clear error', async () => {
    const other = join(dir, 'not-a-layout');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    await expect(destination(`oci:${other}:x`)).rejects.toMatchObject({
      kind: 'invalid',
      message: `cannot write ${other}: the directory is not empty and is not an OCI layout (no oci-layout file)`,
    });
    const missing = join(dir, 'no-such', 'layout');
    await expect(destination(`oci:${missing}:x`)).rejects.toMatchObject({
      kind: 'not-found',
      message: `cannot write ${missing}: directory ${join(dir, 'no-such')} does not exist`,
    });
  });

  test('a blob that fails its digest is not stored', async () => {
    const dest = await destination(`oci:${layout}:bad`);
    const wrong = `sha256:${'1'.repeat(64)}`;
    await expect(
      dest.putBlob(
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: wrong },
        Readable.from([Buffer.from('x')]),
      ),
    ).rejects.toMatchObject({ kind: 'digest-mismatch' });
    await dest.abort?.();
    expect(existsSync(join(layout, 'blobs', 'sha256', '1'.repeat(64)))).toBe(false);
    expect(readdirSync(layout).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('oci-archive: destination', () => {
  test('skopeo and strata read the archive; entries in lexical order', async () => {
    const file = join(dir, 'image.tar');
    const image = await copyFixture(`oci-archive:${file}:saved`);
    expect(skopeo('inspect', '--raw', `oci-archive:${file}:saved`)).toBe(image.manifest.bytes.toString());
    const names = tarNames(file);
    expect(names.slice(0, 2)).toEqual(['blobs/', 'blobs/sha256/']);
    expect(names.slice(-2)).toEqual(['index.json', 'oci-layout']);
    expect([...names].sort()).toEqual(names);
    const src = await openSourceFor(`oci-archive:${file}:saved`);
    const back = await src.resolve();
    await src.close();
    expect(back.config.digest).toBe(image.config.digest);
    expect(back.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
  });

  test('abort leaves no file and no stage', async () => {
    const sub = mkdtempSync(join(dir, 'abort-'));
    const dest = await destination(`oci-archive:${join(sub, 'out.tar')}:x`);
    const synth = await simpleImage(1, { tags: ['oci-abort'] });
    await putTestImage(dest, synth, []);
    await dest.abort?.();
    expect(readdirSync(sub)).toEqual([]);
  });

  test('a missing directory is a clear error', async () => {
    const missing = join(dir, 'nope', 'out.tar');
    await expect(destination(`oci-archive:${missing}`)).rejects.toMatchObject({
      kind: 'not-found',
      message: `cannot write ${missing}: directory ${join(dir, 'nope')} does not exist`,
    });
  });
});
