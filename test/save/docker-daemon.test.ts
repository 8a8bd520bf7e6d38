/**
 * docker-daemon destination: images are streamed into the harness engine's POST /images/load and
 * come out with the same image IDs; an archive the engine refuses becomes a clear error.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { parseLocation } from '../../src/reference/transport.js';
import { createDockerDaemonDestination } from '../../src/transports/docker-daemon-destination.js';
import type { ImageDestination } from '../../src/transports/types.js';
import { docker } from '../helpers/docker.js';
import { makeImage, makeLayer, makeLayerTar, simpleImage } from '../helpers/make-image.js';
import { openSourceFor } from '../transports-files/open-source.js';
import { peerImage, peers } from '../setup/peers.js';
import { copyImage, putTestImage } from './copy-helper.js';

const run = randomBytes(4).toString('hex');
const loaded: string[] = [];

function destination(name: string, dockerHost = peers().dockerHost): Promise<ImageDestination> {
  const loc = parseLocation(`docker-daemon:${name}`);
  if (loc.transport !== 'docker-daemon') throw new Error('not docker-daemon');
  return createDockerDaemonDestination(loc, { dockerHost });
}

async function inspect(
  tag: string,
): Promise<{ Id: string; RepoTags: string[]; RootFS: { Layers: string[] } }> {
  return JSON.parse(await docker(peers().dockerHost, ['image', 'inspect', tag]))[0];
}

afterAll(async () => {
  if (loaded.length > 0) await docker(peers().dockerHost, ['rmi', ...loaded]).catch(() => {});
});

describe('docker-daemon destination', () => {
  test('a new image loads with its image ID, layers and tag', async () => {
    const tag = `strata-save-test/daemon:${run}`;
    const image = await simpleImage(2, { tags: [`daemon-${run}`] });
    const dest = await destination(tag);
    await putTestImage(dest, image, []);
    await dest.close();
    loaded.push(tag);
    const got = await inspect(tag);
    expect(got.Id).toBe(image.configDigest);
    expect(got.RepoTags).toEqual([tag]);
    expect(got.RootFS.Layers).toEqual(image.layers.map((l) => l.diffID));
  });

  test('a fixture read from its OCI layout (gzip layers) loads with the same image ID', async () => {
    const tag = `strata-save-test/daemon-fixture:${run}`;
    const fixture = peerImage('names');
    const src = await openSourceFor(`oci:${fixture.ociDir}:${fixture.ociTag}`);
    const dest = await destination(tag);
    const { image } = await copyImage(src, dest, []);
    await src.close();
    await dest.close();
    loaded.push(tag);
    expect((await inspect(tag)).Id).toBe(image.config.digest);
  });

  test("the engine's refusal (a layer that is not the config's diffID) is a clear error", async () => {
    const layer = makeLayer(await makeLayerTar([{ name: `lie-${run}.txt`, content: run }]));
    const claimed = `sha256:${'2'.repeat(64)}`;
    const image = makeImage([layer], { diffIDs: [claimed] });
    const dest = await destination(`strata-save-test/daemon-bad:${run}`);
    const blob = await dest.putBlob(
      { mediaType: layer.mediaType, digest: layer.digest, size: layer.blob.length },
      Readable.from([layer.blob]),
    );
    const config = {
      bytes: image.config,
      digest: image.configDigest,
      mediaType: 'application/vnd.oci.image.config.v1+json',
    };
    await dest.commitImage({ manifest: config, config, layers: [{ blob, diffID: claimed }], tags: [] });
    const err = await dest.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'invalid' });
    expect((err as Error).message).toMatch(
      /^the Docker Engine could not load docker-daemon:strata-save-test\/daemon-bad:\w+: invalid diffID for layer 0/,
    );
  });

  test('an engine that is not there fails at creation, naming it', async () => {
    await expect(
      destination('strata-save-test/x:1', 'unix:///nonexistent/docker.sock'),
    ).rejects.toMatchObject({
      kind: 'unreachable',
      message: 'cannot reach the Docker Engine at unix:///nonexistent/docker.sock: no such file',
    });
  });

  test('a name without a tag is a usage error', async () => {
    await expect(destination(`strata-save-test/x@sha256:${'3'.repeat(64)}`)).rejects.toMatchObject({
      kind: 'usage',
    });
  });
});
