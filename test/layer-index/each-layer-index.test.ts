import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LayerIndexCache } from '../../src/cache/layer-index-cache.js';
import { type Image, openImage } from '../../src/image/image.js';
import { type IndexedLayer, eachLayerIndex, layerIndexes } from '../../src/image/layer-indexes.js';
import type { ImageSource } from '../../src/transports/types.js';
import { REPO_ROOT } from '../helpers/cli.js';

const SAMPLE = `docker-archive:${join(REPO_ROOT, 'fixtures', 'sample-image.tar')}`;
let work: string;
let image: Image;
let source: ImageSource;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'strata-each-layer-'));
  ({ image, source } = await openImage(SAMPLE));
});
afterAll(async () => {
  await source.close();
  rmSync(work, { recursive: true, force: true });
});

/** The order layers are opened in, one at a time, from an empty cache of their own. */
async function openOrder(order?: 'base-first' | 'largest-first'): Promise<number[]> {
  const opened: number[] = [];
  const counting: ImageSource = {
    name: source.name,
    resolve: (o) => source.resolve(o),
    openLayer: (blob, i, o) => {
      opened.push(i);
      return source.openLayer(blob, i, o);
    },
    close: () => source.close(),
  };
  const cache = new LayerIndexCache(mkdtempSync(join(work, 'cache-')));
  await eachLayerIndex(counting, image, () => {}, { cache, concurrency: 1, order });
  return opened;
}

test('layers are read largest first by default, base first when asked', async () => {
  const sizes = image.layers.map((l) => l.blob.size ?? 0);
  const largest = await openOrder();
  expect(largest.map((i) => sizes[i])).toEqual([...sizes].sort((a, b) => b - a));
  expect(largest[0]).not.toBe(0); // the sample's base is not its largest layer, so the orders differ
  expect(await openOrder('base-first')).toEqual(image.layers.map((l) => l.index));
});

test('each layer is handed over with its unpacked size, and its index when taken equals layerIndexes', async () => {
  const cacheDir = mkdtempSync(join(work, 'cache-'));
  const handed = new Map<number, IndexedLayer>();
  // Scanned (the cache is empty), then read back from the cache: both kinds hand over the same.
  for (const round of ['scanned', 'cached']) {
    handed.clear();
    await eachLayerIndex(source, image, (i, layer) => void handed.set(i, layer), {
      cache: new LayerIndexCache(cacheDir),
    });
    const expected = await layerIndexes(source, image, { cache: new LayerIndexCache(cacheDir) });
    expect(handed.size, round).toBe(image.layers.length);
    for (const [i, layer] of handed) {
      expect(layer.unpackedSize, `${round} layer ${i}`).toBe(expected[i]?.unpackedSize);
      expect(layer.scanned, `${round} layer ${i}`).toBe(round === 'scanned');
      expect(layer.take(), `${round} layer ${i}`).toEqual(expected[i]);
    }
  }
});
