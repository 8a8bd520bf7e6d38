/**
 * docker-archive destination: what `strata save` writes must load into a real Docker Engine (20.10,
 * which reads manifest.json) with the same image IDs and tags, read back through strata's reader,
 * and read as an OCI archive by skopeo. Failures leave no file behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { decompress } from '../../src/layer/compression.js';
import { sha256 } from '../../src/oci/digest.js';
import { parseLocation } from '../../src/reference/transport.js';
import { createDockerArchiveDestination } from '../../src/transports/docker-archive-destination.js';
import type { ImageDestination } from '../../src/transports/types.js';
import { docker } from '../helpers/docker.js';
import { type TestImage, simpleImage } from '../helpers/make-image.js';
import { openSourceFor } from '../transports-files/open-source.js';
import { peerImage, peers } from '../setup/peers.js';
import { copyImage, putTestImage, tarNames } from './copy-helper.js';

const run = randomBytes(4).toString('hex');
const fixtureTag = `strata-save-test/deletes:${run}`;
const synthTag = `127.0.0.1:5000/strata-save-test/synth:${run}`;
let dir: string;
let archive: string;
let synth: TestImage;
let fixtureConfig: string;
let fixtureDiffIDs: string[];

function destination(location: string): Promise<ImageDestination> {
  const loc = parseLocation(location);
  if (loc.transport !== 'docker-archive') throw new Error(`not docker-archive: ${location}`);
  return createDockerArchiveDestination(loc);
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-save-'));
  archive = join(dir, 'two.tar');
  synth = await simpleImage(2, { tags: [`synth-${run}`] });
  const fixture = peerImage('deletes');
  const src = await openSourceFor(`oci:${fixture.ociDir}:${fixture.ociTag}`);
  const dest = await destination(`docker-archive:${archive}`);
  try {
    const { image } = await copyImage(src, dest, [`docker.io/${fixtureTag}`]);
    fixtureConfig = image.config.digest;
    fixtureDiffIDs = JSON.parse(image.config.bytes.toString()).rootfs.diff_ids;
    await putTestImage(dest, synth, [synthTag]);
    await dest.close();
  } finally {
    await src.close();
  }
});

afterAll(async () => {
  const host = peers().dockerHost;
  await docker(host, ['rmi', fixtureTag, synthTag]).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('docker-archive destination', () => {
  test('docker load gives the same image IDs and tags, for both images', async () => {
    const host = peers().dockerHost;
    const out = await docker(host, ['load', '-i', archive]);
    expect(out).toContain(`Loaded image: ${fixtureTag}`);
    expect(out).toContain(`Loaded image: ${synthTag}`);
    const inspect = async (tag: string) =>
      JSON.parse(await docker(host, ['image', 'inspect', tag]))[0] as {
        Id: string;
        RepoTags: string[];
        RootFS: { Layers: string[] };
      };
    const a = await inspect(fixtureTag);
    expect(a.Id).toBe(fixtureConfig);
    expect(a.RepoTags).toContain(fixtureTag);
    expect(a.RootFS.Layers).toEqual(fixtureDiffIDs);
    // The synthetic image's layers are new to the engine, so load really read and checked them.
    const b = await inspect(synthTag);
    expect(b.Id).toBe(synth.configDigest);
    expect(b.RootFS.Layers).toEqual(synth.layers.map((l) => l.diffID));
  });

  test('the archive is in the Docker 25+ shape, entries in lexical order', () => {
    const names = tarNames(archive);
    expect(names.slice(0, 2)).toEqual(['blobs/', 'blobs/sha256/']);
    expect(names.slice(-4)).toEqual(['index.json', 'manifest.json', 'oci-layout', 'repositories']);
    expect([...names].sort()).toEqual(names);
    const manifestJson = JSON.parse(
      execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }),
    );
    expect(manifestJson).toEqual([
      {
        Config: `blobs/sha256/${fixtureConfig.slice(7)}`,
        RepoTags: [fixtureTag],
        Layers: fixtureDiffIDs.map((d) => `blobs/sha256/${d.slice(7)}`),
      },
      {
        Config: `blobs/sha256/${synth.configDigest.slice(7)}`,
        RepoTags: [synthTag],
        Layers: synth.layers.map((l) => `blobs/sha256/${l.diffID.slice(7)}`),
      },
    ]);
    const index = JSON.parse(execFileSync('tar', ['-xOf', archive, 'index.json'], { encoding: 'utf8' }));
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      { 'io.containerd.image.name': `docker.io/${fixtureTag}`, 'org.opencontainers.image.ref.name': run },
      { 'io.containerd.image.name': synthTag, 'org.opencontainers.image.ref.name': run },
    ]);
  });

  test("strata's docker-archive reader reads each image back: config, diffIDs, layer bytes", async () => {
    for (const [tag, config, diffIDs] of [
      [fixtureTag, fixtureConfig, fixtureDiffIDs],
      [synthTag, synth.configDigest, synth.layers.map((l) => l.diffID)],
    ] as const) {
      const src = await openSourceFor(`docker-archive:${archive}:${tag}`);
      try {
        const img = await src.resolve();
        expect(img.config.digest).toBe(config);
        expect(img.facts.repoTags).toEqual([tag]);
        expect(img.layers.map((l) => l.digest)).toEqual(diffIDs);
        for (const [i, layer] of img.layers.entries()) {
          const bytes = await collect(
            await decompress(await src.openLayer(layer, i), layer.compression, 'l'),
          );
          expect(sha256(bytes)).toBe(diffIDs[i]);
        }
      } finally {
        await src.close();
      }
    }
  });

  test('skopeo reads the archive as an OCI archive', () => {
    const raw = execFileSync(
      'skopeo',
      ['--insecure-policy', 'inspect', '--raw', `oci-archive:${archive}:${run}`],
      {
        encoding: 'utf8',
      },
    );
    // Both images carry the tag name `run`; skopeo picks one of them, either is a valid manifest.
    const manifest = JSON.parse(raw);
    expect([fixtureConfig, synth.configDigest]).toContain(manifest.config.digest);
  });

  test("the location's :TAG names the image", async () => {
    const file = join(dir, 'named.tar');
    const dest = await destination(`docker-archive:${file}:strata-save-test/named:v1`);
    await putTestImage(dest, synth, [synthTag]);
    await expect(putTestImage(dest, synth, [])).rejects.toThrow(/more than one image/);
    await dest.close();
    const src = await openSourceFor(`docker-archive:${file}`);
    expect((await src.resolve()).facts.repoTags).toEqual(['strata-save-test/named:v1']);
    await src.close();
  });

  test('an untagged image has RepoTags null and a bare index descriptor', async () => {
    const file = join(dir, 'untagged.tar');
    const dest = await destination(`docker-archive:${file}`);
    await putTestImage(dest, synth, []);
    await dest.close();
    expect(tarNames(file)).not.toContain('repositories');
    const items = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' }));
    expect(items[0].RepoTags).toBeNull();
    const index = JSON.parse(execFileSync('tar', ['-xOf', file, 'index.json'], { encoding: 'utf8' }));
    expect(index.manifests[0].annotations).toBeUndefined();
  });

  test('abort, or a blob that fails its digest, leaves no file and no stage', async () => {
    const sub = mkdtempSync(join(dir, 'abort-'));
    const file = join(sub, 'out.tar');
    const dest = await destination(`docker-archive:${file}`);
    const layer = synth.layers[0] as TestImage['layers'][number];
    await dest.putBlob(
      { mediaType: layer.mediaType, digest: layer.digest, size: layer.blob.length },
      Readable.from([layer.blob]),
    );
    const wrong = `sha256:${'0'.repeat(64)}`;
    const bad = dest.putBlob({ mediaType: layer.mediaType, digest: wrong }, Readable.from([layer.blob]));
    await expect(bad).rejects.toMatchObject({ kind: 'digest-mismatch' });
    await dest.abort?.();
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(sub)).toEqual([]);
  });

  test('a destination whose directory does not exist is a clear error', async () => {
    const missing = join(dir, 'no-such-dir', 'out.tar');
    const err = await destination(`docker-archive:${missing}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).kind).toBe('not-found');
    expect((err as StrataError).message).toBe(
      `cannot write ${missing}: directory ${join(dir, 'no-such-dir')} does not exist`,
    );
  });
});
