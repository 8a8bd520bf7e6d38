/**
 * Pushing to the harness registry through the ImageDestination face, checked by the real Docker
 * Engine (docker pull) and by counting requests through a fault proxy.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { RegistryClient } from '../../src/registry/client.js';
import { openSource } from '../../src/transports/open.js';
import { docker } from '../helpers/docker.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { noise } from '../helpers/registry-fixtures.js';
import { peerImage, peers } from '../setup/peers.js';
import { errorOf, freshRepo, openDest, openFixture, pushImage } from './push-helpers.js';

let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(peers().registry);
});

afterAll(async () => {
  await proxy?.stop();
});

beforeEach(() => {
  proxy.clearRules();
  proxy.log.length = 0;
});

const inspectId = (ref: string) =>
  docker(peers().dockerHost, ['image', 'inspect', '--format', '{{.Id}}', ref]).then((s) => s.trim());

describe('push a fixture image from its OCI layout', () => {
  const image = peerImage('metadata');
  const repo = freshRepo('metadata');
  const target = `${peers().registry}/${repo}:1`;
  let first: Awaited<ReturnType<typeof pushImage>>;

  beforeAll(async () => {
    const src = await openFixture(image);
    const dest = await openDest(target);
    try {
      first = await pushImage(src, dest);
    } finally {
      await Promise.all([src.close(), dest.close()]);
    }
  });

  test('docker pull gets the same image ID, and the manifest digest is the one returned', async () => {
    const out = await docker(peers().dockerHost, ['pull', target]);
    expect(out).toContain(`Digest: ${first.digest}`);
    try {
      expect(await inspectId(target)).toBe(await inspectId(image.dockerRef));
      const repoDigests = await docker(peers().dockerHost, [
        'image',
        'inspect',
        '--format',
        '{{json .RepoDigests}}',
        target,
      ]);
      expect(repoDigests).toContain(`${peers().registry}/${repo}@${first.digest}`);
    } finally {
      await docker(peers().dockerHost, ['rmi', target]);
    }
  });

  test('every layer and the config were sent; commit reports digest and manifest size', async () => {
    const src = await openFixture(image);
    try {
      const resolved = await src.resolve();
      expect(first.uploaded).toBe(resolved.layers.length + 1);
      expect(first.digest).toBe(resolved.manifest.digest);
      expect(first.size).toBe(resolved.manifest.bytes.length);
    } finally {
      await src.close();
    }
  });

  test('pushing again finds every blob (HEAD) and uploads nothing', async () => {
    const src = await openFixture(image);
    const dest = await openDest(`${proxy.host}/${repo}:1`);
    try {
      const again = await pushImage(src, dest);
      expect(again.uploaded).toBe(0);
      expect(again.digest).toBe(first.digest);
    } finally {
      await Promise.all([src.close(), dest.close()]);
    }
    const blobRequests = proxy.log.filter((e) => e.path.includes('/blobs/'));
    expect(blobRequests.length).toBeGreaterThan(0);
    expect(blobRequests.every((e) => e.method === 'HEAD' && e.status === 200)).toBe(true);
    expect(proxy.log.filter((e) => e.method === 'PUT').map((e) => e.path)).toEqual([
      `/v2/${repo}/manifests/1`,
    ]);
  });

  test('by digest: the manifest is stored under its digest, every layer reads back verified', async () => {
    const dest = await openDest(`${proxy.host}/${repo}@${first.digest}`);
    const src = await openFixture(image);
    try {
      const resolved = await src.resolve();
      const again = await dest.commitImage({
        manifest: resolved.manifest,
        config: resolved.config,
        layers: [],
        tags: [],
      });
      expect(again.digest).toBe(first.digest);
    } finally {
      await Promise.all([src.close(), dest.close()]);
    }
    expect(proxy.log.filter((e) => e.method === 'PUT').map((e) => e.path)).toEqual([
      `/v2/${repo}/manifests/${first.digest}`,
    ]);
    const back = await openSource(`docker://${peers().registry}/${repo}@${first.digest}`);
    try {
      const resolved = await back.resolve();
      for (const [i, layer] of resolved.layers.entries()) {
        for await (const _ of await back.openLayer(layer, i)) {
          // the stream fails at its end if the bytes do not hash to the layer's digest
        }
      }
    } finally {
      await back.close();
    }
  });
});

describe('blobs', () => {
  const client = () => new RegistryClient(peers().registry);

  test('a mount from another repository of the registry returns true; the blob is then present', async () => {
    const src = await openFixture(peerImage('large'));
    const layer = (await src.resolve()).layers.at(-1)!;
    await src.close();
    const repo = freshRepo('mounted');
    const dest = await openDest(`${proxy.host}/${repo}:1`);
    const blob = { mediaType: layer.mediaType, digest: layer.digest!, size: layer.size! };
    try {
      expect(await dest.hasBlob(blob)).toBe(false);
      expect(await dest.mountBlob!(blob, 'strata-fixture/large')).toBe(true);
      expect(await dest.hasBlob(blob)).toBe(true);
    } finally {
      await dest.close();
    }
    const mount = proxy.log.find((e) => e.method === 'POST');
    expect(mount?.path).toContain(`mount=${encodeURIComponent(blob.digest)}`);
    expect(mount?.status).toBe(201);
    expect(proxy.log.some((e) => e.method === 'PATCH')).toBe(false);
  });

  test('a mount of a blob the other repository lacks returns false and cancels the session', async () => {
    const repo = freshRepo('nomount');
    const dest = await openDest(`${proxy.host}/${repo}:1`);
    const bytes = noise(100, 41);
    const blob = { mediaType: MediaType.dockerLayer, digest: sha256(bytes), size: bytes.length };
    try {
      expect(await dest.mountBlob!(blob, 'strata-fixture/large')).toBe(false);
      expect(await dest.hasBlob(blob)).toBe(false);
    } finally {
      await dest.close();
    }
    expect(proxy.log.map((e) => `${e.method} ${e.status}`)).toContain('DELETE 204');
  });

  test('a claimed digest the bytes do not match is refused, and the registry does not get the blob', async () => {
    const repo = freshRepo('mismatch');
    const dest = await openDest(`${proxy.host}/${repo}:1`);
    const bytes = noise(300_000, 5);
    const claimed = sha256(noise(300_000, 6));
    const err = await errorOf(
      dest.putBlob({ mediaType: MediaType.dockerLayer, digest: claimed }, Readable.from([bytes])),
    );
    await dest.close();
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toBe(
      `blob ${claimed} for ${proxy.host}/${repo}: digest mismatch: expected ${claimed}, got ${sha256(bytes)}`,
    );
    expect(proxy.log.some((e) => e.method === 'PUT')).toBe(false);
    expect(proxy.log.map((e) => `${e.method} ${e.status}`)).toContain('DELETE 204');
    const c = client();
    try {
      expect((await c.headBlob(repo, claimed)).present).toBe(false);
      expect((await c.headBlob(repo, sha256(bytes))).present).toBe(false);
    } finally {
      await c.close();
    }
  });

  test('uploadBlob without a digest computes it, reports progress, and the blob reads back', async () => {
    const repo = freshRepo('computed');
    const bytes = noise(200_000, 9);
    const seen: number[] = [];
    const c = client();
    try {
      const stored = await c.uploadBlob(
        repo,
        Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
        {},
        (n) => seen.push(n),
      );
      expect(stored).toEqual({ digest: sha256(bytes), size: bytes.length });
      expect(seen.at(-1)).toBe(bytes.length);
      const back = await c.getBlob(repo, stored, 1 << 20);
      expect(back.equals(bytes)).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('a manifest whose blobs are missing: the registry error, as a registry error', async () => {
    const repo = freshRepo('orphan');
    const src = await openFixture(peerImage('names'));
    const dest = await openDest(`${peers().registry}/${repo}:1`);
    try {
      const image = await src.resolve();
      const err = await errorOf(
        dest.commitImage({ manifest: image.manifest, config: image.config, layers: [], tags: [] }),
      );
      expect(err.kind).toBe('registry');
      expect(err.message).toMatch(
        new RegExp(
          `^registry ${peers().registry} answered 400 for ${peers().registry}/${repo}:1: MANIFEST_BLOB_UNKNOWN: `,
        ),
      );
    } finally {
      await Promise.all([src.close(), dest.close()]);
    }
  });
});
