/**
 * The file transports on what the real peers made (the shared harness: Docker Engine 20.10 `docker
 * save` tars, skopeo OCI layouts and archives pulled from the registry), and the unpacked-size rule
 * against the engine's own layer database. Nothing is started here; the files are only read.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, pipeline } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { decompress } from '../../src/layer/compression.js';
import { unpackedSizeFromFile, unpackedSizeFromStream } from '../../src/layer/unpacked-size.js';
import { chainIDs } from '../../src/oci/chainid.js';
import { digestHex, sha256, VerifyingStream } from '../../src/oci/digest.js';
import { FIXTURE_NAMES, peerImage, peers } from '../setup/peers.js';
import { openSourceFor } from './open-source.js';

async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

/** The `size` file of a layer in the engine's overlay2 layer database. */
async function layerdbSize(chainID: string): Promise<number> {
  const path = join(
    peers().dockerDataRoot,
    'image',
    'overlay2',
    'layerdb',
    'sha256',
    digestHex(chainID),
    'size',
  );
  return Number((await readFile(path, 'utf8')).trim());
}

describe.each(FIXTURE_NAMES)('fixture image %s', (name) => {
  test('docker save tar: resolves, layers verify, unpacked sizes equal the layer database', async () => {
    const image = peerImage(name);
    const src = await openSourceFor(`docker-archive:${image.archive}`);
    try {
      const img = await src.resolve();
      expect(img.manifest.mediaType).toBe('application/json');
      expect(img.facts.repoTags).toEqual([image.registryRef]);
      const diffIDs: string[] = JSON.parse(img.config.bytes.toString()).rootfs.diff_ids;
      const chains = chainIDs(diffIDs);
      for (const [i, layer] of img.layers.entries()) {
        expect(layer.digest).toBe(diffIDs[i]);
        expect(await drain(await src.openLayer(layer, i))).toBe(layer.size);
        const range = await src.layerFile?.(layer, i);
        const fromFile = await unpackedSizeFromFile(range!, `${name} layer ${i}`);
        expect(fromFile.size, `${name} layer ${i}`).toBe(await layerdbSize(chains[i]!));
      }
    } finally {
      await src.close();
    }
  });

  for (const kind of ['oci', 'oci-archive', 'oci-converted'] as const) {
    test(`${kind} from skopeo: same diffIDs; layers decompress to them with the same sizes`, async () => {
      const image = peerImage(name);
      const location = {
        oci: `oci:${image.ociDir}`,
        'oci-archive': `oci-archive:${image.ociArchive}`,
        'oci-converted': `oci:${image.ociConvertedDir}`,
      }[kind];
      const src = await openSourceFor(`${location}:${image.ociTag}`);
      try {
        const img = await src.resolve();
        const saved = await openSourceFor(`docker-archive:${image.archive}`);
        const savedConfig = (await saved.resolve()).config;
        await saved.close();
        // Converting to OCI, skopeo rewrites the config as an OCI config, so only the diffIDs must agree.
        const diffIDs: string[] = JSON.parse(img.config.bytes.toString()).rootfs.diff_ids;
        expect(diffIDs).toEqual(JSON.parse(savedConfig.bytes.toString()).rootfs.diff_ids);
        const chains = chainIDs(diffIDs);
        for (const [i, layer] of img.layers.entries()) {
          const tar = await decompress(await src.openLayer(layer, i), layer.compression, `layer ${i}`);
          const verify = new VerifyingStream(diffIDs[i], undefined, `${name} layer ${i} content`);
          pipeline(tar, verify, () => {});
          const size = await unpackedSizeFromStream(verify, `${name} layer ${i}`);
          expect(size.size, `${name} layer ${i}`).toBe(await layerdbSize(chains[i]!));
        }
        expect(sha256(img.manifest.bytes)).toBe(img.manifest.digest);
      } finally {
        await src.close();
      }
    });
  }
});
