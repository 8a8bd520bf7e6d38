import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { Store } from '../../src/store/store.js';
import { openSource } from '../../src/transports/open.js';
import { storeSource } from '../../src/transports/store.js';
import { FIXTURE_NAMES, peerImage, peers } from '../setup/peers.js';
import { fillFromLayout } from './fill.js';

const exec = promisify(execFile);
let root: string;
let store: Store;
const loaded = new Map<string, { manifestDigest: string; id: string }>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-store-fx-'));
  store = await Store.open(root);
  for (const name of FIXTURE_NAMES) {
    const image = peerImage(name);
    loaded.set(
      name,
      await fillFromLayout(store, image.ociDir, image.ociTag, [`docker.io/library/${name}:1`]),
    );
  }
  // umoci reads OCI media types only: the converted layout of one fixture, under its own name.
  const names = peerImage('names');
  loaded.set(
    'names-oci',
    await fillFromLayout(store, names.ociConvertedDir, names.ociTag, ['docker.io/library/names-oci:1']),
  );
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the layer database', () => {
  const engineDb = () => join(peers().dockerDataRoot, 'image', 'overlay2', 'layerdb', 'sha256');

  it('names entries by the engine’s chain IDs, with its exact diff, parent and size files', async () => {
    let checked = 0;
    for (const name of FIXTURE_NAMES) {
      const image = await store.resolveImage(`${name}:1`);
      for (const [i, chainID] of image.chainIDs.entries()) {
        const hex = chainID.slice(7);
        const ours = join(root, 'layerdb', 'sha256', hex);
        const theirs = join(engineDb(), hex);
        expect(existsSync(theirs), `${name} layer ${i}: engine has ${hex}`).toBe(true);
        for (const file of ['diff', 'size', 'parent']) {
          const want = existsSync(join(theirs, file)) ? readFileSync(join(theirs, file), 'utf8') : undefined;
          const got = existsSync(join(ours, file)) ? readFileSync(join(ours, file), 'utf8') : undefined;
          expect(got, `${name} layer ${i} ${file}`).toBe(want);
        }
        expect(readFileSync(join(ours, 'diff'), 'utf8')).toBe(image.diffIDs[i]);
        const cacheID = readFileSync(join(ours, 'cache-id'), 'utf8');
        expect(cacheID).toMatch(/^[a-f0-9]{64}$/);
        expect(cacheID.slice(0, 12)).not.toMatch(/^\d{12}$/);
        expect(readdirSync(ours).sort()).toEqual(
          i === 0 ? ['cache-id', 'diff', 'size'] : ['cache-id', 'diff', 'parent', 'size'],
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(FIXTURE_NAMES.length);
  });

  it('verifies clean, and loading an image again changes nothing', async () => {
    expect(await store.verify()).toEqual([]);
    const before = readFileSync(join(root, 'index.json'));
    const image = peerImage('links');
    await fillFromLayout(store, image.ociDir, image.ociTag, ['docker.io/library/links:1']);
    expect(readFileSync(join(root, 'index.json')).equals(before)).toBe(true);
  });
});

describe('the strata: source', () => {
  it('gives Docker’s tags and the layerdb sizes, and streams verified layers', async () => {
    const source = await storeSource(store, { transport: 'strata', name: 'deletes:1' });
    const resolved = await source.resolve();
    expect(resolved.facts.repoTags).toEqual(['deletes:1']);
    expect(resolved.config.digest).toBe(loaded.get('deletes')?.id);
    const image = await store.resolveImage('deletes:1');
    const sizes = image.chainIDs.map((c) =>
      Number(readFileSync(join(root, 'layerdb', 'sha256', c.slice(7), 'size'), 'utf8')),
    );
    expect(resolved.facts.layerSizes).toEqual(sizes);
    const layer = resolved.layers[0];
    if (!layer) throw new Error('no layer');
    const chunks: Buffer[] = [];
    for await (const c of await source.openLayer(layer, 0)) chunks.push(c as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(layer.digest);
  });
});

describe('other tools read the store', () => {
  // skopeo 1.9 passes over index.json entries whose media type is not OCI's: Docker-typed images are
  // listed through their OCI view, so every fixture must be readable.
  it('skopeo reads every image, Docker-typed ones through their OCI view', async () => {
    for (const name of [...FIXTURE_NAMES, 'names-oci']) {
      const { stdout } = await exec('skopeo', [
        'inspect',
        '--raw',
        `oci:${root}:docker.io/library/${name}:1`,
      ]);
      const manifest = JSON.parse(stdout) as { mediaType: string; config: { digest: string } };
      expect(manifest.mediaType, name).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(manifest.config.digest, name).toBe(loaded.get(name)?.id);
    }
  });

  it('skopeo copies an image out of it by its fully qualified name', async () => {
    const out = await mkdtemp(join(tmpdir(), 'strata-skopeo-'));
    try {
      await exec('skopeo', [
        '--insecure-policy',
        'copy',
        '--quiet',
        `oci:${root}:docker.io/library/names-oci:1`,
        `dir:${out}`,
      ]);
      expect(sha256(readFileSync(join(out, 'manifest.json')))).toBe(loaded.get('names-oci')?.manifestDigest);
      // And through our own oci: reader, which is what skopeo sees.
      const src = await openSource(`oci:${root}:docker.io/library/metadata:1`);
      expect((await src.resolve()).config.digest).toBe(loaded.get('metadata')?.id);
      await src.close();
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('umoci unpacks an image of it by its fully qualified name', async () => {
    const bundle = await mkdtemp(join(tmpdir(), 'strata-umoci-'));
    try {
      await rm(bundle, { recursive: true });
      await exec('umoci', ['unpack', '--image', `${root}:docker.io/library/names-oci:1`, bundle]);
      expect(readFileSync(join(bundle, 'rootfs', 'names', 'café.txt'), 'utf8')).toBe('accent\n');
      expect(await store.verify()).toEqual([]);
    } finally {
      await rm(bundle, { recursive: true, force: true });
    }
  });
});
