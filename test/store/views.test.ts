/**
 * Docker-typed manifests in the store: index.json lists an OCI view that skopeo and umoci read, while
 * strata reads and hands out the registry's bytes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parseStoreIndex, serializeStoreIndex } from '../../src/store/refs.js';
import { Store } from '../../src/store/store.js';
import { ociView, viewMismatches } from '../../src/store/view.js';
import { expectImageManifest, parseManifest } from '../../src/oci/manifest.js';
import { storeSource } from '../../src/transports/store.js';
import { peerImage, peers } from '../setup/peers.js';
import { type FillResult, fillFromLayout } from './fill.js';

const exec = promisify(execFile);
const dirs: string[] = [];
let root: string;
let store: Store;
/** The manifest of the names fixture exactly as the registry serves it. */
let registryManifest: { bytes: Buffer; digest: string; mediaType: string };
let names: FillResult;
const NAME = 'docker.io/library/names:1';

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function fetchManifest(repo: string, tag: string): Promise<typeof registryManifest> {
  const res = await fetch(`http://${peers().registry}/v2/${repo}/manifests/${tag}`, {
    headers: { accept: MediaType.dockerManifest },
  });
  expect(res.status).toBe(200);
  return {
    bytes: Buffer.from(await res.arrayBuffer()),
    digest: res.headers.get('docker-content-digest') as string,
    mediaType: res.headers.get('content-type') as string,
  };
}

const repoDigest = () => `${peers().registry}/strata-fixture/names@${registryManifest.digest}`;
const indexBytes = () => readFileSync(join(root, 'index.json'));
const descriptorsOf = (digest: string) =>
  (
    JSON.parse(indexBytes().toString()) as {
      manifests: Array<{
        mediaType: string;
        digest: string;
        size: number;
        annotations?: Record<string, string>;
      }>;
    }
  ).manifests.filter((m) => m.annotations?.['dev.strata.manifest'] === digest);

function fillNames(): Promise<FillResult> {
  const image = peerImage('names');
  return fillFromLayout(store, image.ociDir, image.ociTag, [NAME], repoDigest());
}

beforeAll(async () => {
  registryManifest = await fetchManifest('strata-fixture/names', '1');
  root = await tempDir('strata-store-views-');
  store = await Store.open(root);
  names = await fillNames();
}, 60_000);

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the OCI view', () => {
  it('is listed in index.json for a Docker manifest, naming the same blobs with OCI types', async () => {
    expect(registryManifest.mediaType).toBe(MediaType.dockerManifest);
    expect(names.manifestDigest).toBe(registryManifest.digest);
    const [entry, ...more] = descriptorsOf(registryManifest.digest);
    expect(more).toEqual([]);
    expect(entry?.mediaType).toBe(MediaType.ociManifest);
    expect(entry?.annotations?.['org.opencontainers.image.ref.name']).toBe(NAME);
    expect(entry?.annotations?.['dev.strata.manifest.size']).toBe(String(registryManifest.bytes.length));

    const viewBytes = await store.readBlob(entry?.digest as string);
    expect(viewBytes.length).toBe(entry?.size);
    const view = JSON.parse(viewBytes.toString());
    const original = JSON.parse(registryManifest.bytes.toString());
    expect(view.mediaType).toBe(MediaType.ociManifest);
    expect(view.config).toEqual({ ...original.config, mediaType: MediaType.ociConfig });
    expect(view.layers).toEqual(
      original.layers.map((l: { mediaType: string }) => ({ ...l, mediaType: MediaType.ociLayerGzip })),
    );
    expect(
      original.layers.every((l: { mediaType: string }) => l.mediaType === MediaType.dockerLayerGzip),
    ).toBe(true);
    // The original is kept byte for byte.
    expect((await store.readBlob(registryManifest.digest)).equals(registryManifest.bytes)).toBe(true);
  });

  it('maps every Docker layer type and keeps digests, sizes, urls and unknown fields', () => {
    const layer = (mediaType: string, n: number) => ({ mediaType, size: n, digest: sha256(String(n)) });
    const docker = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: layer(MediaType.dockerConfig, 1),
      layers: [
        layer(MediaType.dockerLayerGzip, 2),
        layer(MediaType.dockerLayer, 3),
        { ...layer(MediaType.dockerForeignLayerGzip, 4), urls: ['https://example.com/l'] },
      ],
      extra: { kept: true },
    };
    const bytes = Buffer.from(JSON.stringify(docker, null, 3));
    const view = ociView(bytes, 'test');
    expect(view.digest).toBe(sha256(view.bytes));
    expect(ociView(bytes, 'test').bytes.equals(view.bytes)).toBe(true);
    expect(JSON.parse(view.bytes.toString())).toEqual({
      ...docker,
      mediaType: MediaType.ociManifest,
      config: { ...docker.config, mediaType: MediaType.ociConfig },
      layers: [
        { ...docker.layers[0], mediaType: MediaType.ociLayerGzip },
        { ...docker.layers[1], mediaType: MediaType.ociLayer },
        { ...docker.layers[2], mediaType: MediaType.ociForeignLayerGzip },
      ],
    });
    const parse = (b: Buffer) => expectImageManifest(parseManifest(b, undefined), 'm');
    expect(viewMismatches(parse(view.bytes), parse(bytes))).toEqual([]);
    expect(viewMismatches(parse(bytes), parse(bytes))).toEqual([
      `its media type is ${MediaType.dockerManifest}, not ${MediaType.ociManifest}`,
    ]);
  });

  it('round-trips through index.json', () => {
    const records = parseStoreIndex(indexBytes(), 'index.json');
    expect(serializeStoreIndex(records).equals(indexBytes())).toBe(true);
    const record = records.find((r) => r.manifest.digest === registryManifest.digest);
    expect(record?.manifest).toEqual({
      mediaType: MediaType.dockerManifest,
      digest: registryManifest.digest,
      size: registryManifest.bytes.length,
    });
    expect(record?.view?.digest).toBe(descriptorsOf(registryManifest.digest)[0]?.digest);
  });

  it('is not made for an OCI manifest', async () => {
    const image = peerImage('names');
    const oci = await fillFromLayout(store, image.ociConvertedDir, image.ociTag, ['example.com/names-oci:1']);
    const record = (await store.records()).find((r) => r.manifest.digest === oci.manifestDigest);
    expect(record?.view).toBeUndefined();
    expect(record?.manifest.mediaType).toBe(MediaType.ociManifest);
    expect(descriptorsOf(oci.manifestDigest)).toEqual([]);
    expect(await store.removeImage('example.com/names-oci:1')).toMatchObject({
      untagged: ['example.com/names-oci:1'],
    });
    expect(await store.hasBlob(oci.manifestDigest)).toBe(false);
  });
});

describe('other tools read a Docker-typed image through its view', () => {
  it('skopeo inspects and copies it', async () => {
    const view = descriptorsOf(registryManifest.digest)[0]?.digest as string;
    const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${root}:${NAME}`], {
      encoding: 'buffer',
    });
    expect(sha256(stdout)).toBe(view);
    const out = await tempDir('strata-views-skopeo-');
    await exec('skopeo', ['--insecure-policy', 'copy', '--quiet', `oci:${root}:${NAME}`, `dir:${out}`]);
    expect(sha256(readFileSync(join(out, 'manifest.json')))).toBe(view);
    expect(sha256(readFileSync(join(out, names.id.slice(7))))).toBe(names.id);
  });

  it('umoci unpacks it', async () => {
    const bundle = join(await tempDir('strata-views-umoci-'), 'bundle');
    await exec('umoci', ['unpack', '--image', `${root}:${NAME}`, bundle]);
    expect(readFileSync(join(bundle, 'rootfs', 'names', 'café.txt'), 'utf8')).toBe('accent\n');
    expect(readFileSync(join(bundle, 'rootfs', 'names', 'with space', 'a file.txt'), 'utf8')).toBe('space\n');
    expect(await store.verify()).toEqual([]);
  });
});

describe('strata reads the original', () => {
  it('the strata: source resolves to the registry’s bytes', async () => {
    const source = await storeSource(store, { transport: 'strata', name: 'names:1' });
    try {
      const resolved = await source.resolve();
      expect(resolved.manifest.bytes.equals(registryManifest.bytes)).toBe(true);
      expect(sha256(resolved.manifest.bytes)).toBe(registryManifest.digest);
      expect(resolved.manifest.digest).toBe(registryManifest.digest);
      expect(resolved.manifest.mediaType).toBe(MediaType.dockerManifest);
      expect(resolved.layers.map((l) => l.mediaType)).toEqual(
        resolved.layers.map(() => MediaType.dockerLayerGzip),
      );
      expect(resolved.facts.repoDigests).toEqual([
        `${peers().registry}/strata-fixture/names@${names.manifestDigest}`,
      ]);
    } finally {
      await source.close();
    }
  });

  it('load, listImages and repo@digest lookups use the original digest', async () => {
    const image = await store.resolveImage(NAME);
    expect(image.manifestDigest).toBe(registryManifest.digest);
    expect(image.manifestBytes.equals(registryManifest.bytes)).toBe(true);
    expect((await store.listImages()).find((i) => i.id === names.id)?.manifestDigest).toBe(
      registryManifest.digest,
    );
    expect((await store.resolveImage(repoDigest())).id).toBe(names.id);
    expect((await store.resolveImage(`names@${registryManifest.digest}`)).id).toBe(names.id);
  });

  it('pulling the same image again changes nothing, and a new tag shares the descriptor’s view', async () => {
    const before = indexBytes();
    expect((await fillNames()).manifestDigest).toBe(registryManifest.digest);
    expect(indexBytes().equals(before)).toBe(true);
    await store.tag(NAME, 'example.com/names:2');
    const entries = descriptorsOf(registryManifest.digest);
    expect(entries.map((e) => e.annotations?.['org.opencontainers.image.ref.name'])).toEqual([
      NAME,
      'example.com/names:2',
    ]);
    expect(new Set(entries.map((e) => e.digest)).size).toBe(1);
    const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${root}:example.com/names:2`]);
    expect(JSON.parse(stdout).mediaType).toBe(MediaType.ociManifest);
    await store.untag('example.com/names:2');
    expect(indexBytes().equals(before)).toBe(true);
  });
});

describe('removal, gc and verify', () => {
  it('rmi frees the original and the view; gc then has nothing left to free', async () => {
    const links = peerImage('links');
    const filled = await fillFromLayout(store, links.ociDir, links.ociTag, ['docker.io/library/links:1']);
    const view = (await store.records()).find((r) => r.manifest.digest === filled.manifestDigest)?.view;
    expect(view).toBeDefined();
    expect((await store.gc()).blobs).toEqual([]);
    expect(await store.hasBlob(view?.digest as string)).toBe(true);
    const removed = await store.removeImage('links:1');
    expect(removed.deleted[0]).toBe(filled.id);
    expect(await store.hasBlob(filled.manifestDigest)).toBe(false);
    expect(await store.hasBlob(view?.digest as string)).toBe(false);
    expect(await store.hasBlob(filled.id)).toBe(false);
    expect((await store.gc()).blobs).toEqual([]);
    expect(await store.hasBlob(registryManifest.digest)).toBe(true);
    expect(await store.verify()).toEqual([]);
  });

  it('verify reports a missing original, a missing view and a view naming other blobs', async () => {
    const image = await store.resolveImage(NAME);
    const view = image.record.view as { digest: string; size: number };
    const at = `image ${names.id.slice(7, 19)} (manifest ${registryManifest.digest})`;
    const goodIndex = indexBytes();
    const hide = async (digest: string, check: (problems: string[]) => void) => {
      const path = store.paths.blob(digest);
      const bytes = readFileSync(path);
      await rm(path);
      try {
        check(await store.verify());
      } finally {
        writeFileSync(path, bytes);
      }
    };
    await hide(view.digest, (p) => expect(p).toEqual([`${at}: its OCI view ${view.digest} is missing`]));
    await hide(registryManifest.digest, (p) => {
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(new RegExp(`^manifest ${registryManifest.digest}: .*has no manifest`));
    });

    // A view whose first layer is some other blob.
    const wrong = JSON.parse((await store.readBlob(view.digest)).toString());
    wrong.layers[0].digest = sha256('another layer');
    const wrongBytes = Buffer.from(JSON.stringify(wrong));
    const info = await store.putBlob({ mediaType: MediaType.ociManifest }, Readable.from([wrongBytes]));
    const swapped = goodIndex
      .toString()
      .replaceAll(
        `"digest":"${view.digest}","size":${view.size}`,
        `"digest":"${info.digest}","size":${info.size}`,
      );
    writeFileSync(join(root, 'index.json'), swapped);
    try {
      expect(await store.verify()).toEqual([
        `${at}: its OCI view ${info.digest}: its layer 0 ${wrong.layers[0].digest} is not ${image.manifest.layers[0]?.digest}`,
      ]);
    } finally {
      writeFileSync(join(root, 'index.json'), goodIndex);
    }
    expect((await store.gc()).blobs).toEqual([info.digest]);
    expect(existsSync(store.paths.blob(view.digest))).toBe(true);
    expect(await store.verify()).toEqual([]);
  });
});
