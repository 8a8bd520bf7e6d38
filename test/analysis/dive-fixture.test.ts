import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { diveAnalysis } from '../../src/analysis/dive.js';
import { analyseWaste } from '../../src/analysis/waste.js';
import type { LayerIndex } from '../../src/layer/index-types.js';
import { indexDockerArchive } from './archive-index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(REPO, '../shared/fixtures/dive-test-image.tar');

let layers: LayerIndex[];
beforeAll(async () => {
  layers = await indexDockerArchive(FIXTURE);
});

test("dive's published numbers for its own test image", () => {
  const d = diveAnalysis(layers);
  expect(d).toMatchObject({
    efficiency: 0.9844212134184309,
    sizeBytes: 1220598,
    userSizeBytes: 66237,
    wastedBytes: 32025,
    wastedUserPercent: 0.4834911001404049,
  });
  expect(d.inefficiencies.map((f) => [f.path, f.count, f.cumulativeSize])).toEqual([
    ['/root/example/somefile1.txt', 2, 12810],
    ['/root/saved.txt', 2, 12810],
    ['/root/example/somefile3.txt', 2, 6405],
  ]);
});

test("strata's waste for the same image: the same total, from five stored copies", () => {
  const w = analyseWaste(layers);
  expect(w.files.map((f) => [f.path, f.storedIn, f.removedIn, f.reason])).toEqual([
    ['/root/example/somefile1.txt', 3, 4, 'overwritten'],
    ['/root/example/somefile1.txt', 4, 9, 'dir-whiteout'],
    ['/root/example/somefile2.txt', 5, 9, 'dir-whiteout'],
    ['/root/example/somefile3.txt', 6, 7, 'whiteout'],
    ['/root/saved.txt', 7, 13, 'overwritten'],
  ]);
  expect(w).toMatchObject({ wastedBytes: 32025, imageBytes: 1220598, visibleBytes: 1188573 });
  expect(w.efficiency).toBe(1188573 / 1220598);
  expect(w.user.wastedPercent).toBe(32025 / 66237);
});
