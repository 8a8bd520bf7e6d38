// imageWaste's result cache: the full report, and a short copy for callers that list only the first
// wasted files; both answer for the same image without its layer indexes.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { SHORT_REPORT_FILES, imageWaste } from '../../src/analysis/image-waste.js';
import { analyseWaste } from '../../src/analysis/waste.js';
import { ResultCache } from '../../src/cache/result-cache.js';
import type { Image } from '../../src/image/image.js';
import type { ImageSource } from '../../src/transports/types.js';
import { dir, file, layer, whiteout } from '../union/layers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// 1,500 files removed by a directory whiteout: more wasted files than the short copy keeps.
const MANY = SHORT_REPORT_FILES + 500;
const indexes = [
  layer(dir('/data'), ...Array.from({ length: MANY }, (_, i) => file(`/data/f${i}`, 1000 + i))),
  layer(whiteout('/data')),
];
// An image and a source that fail when their layers are asked for: the report must come from the
// cache or from the indexes given.
const unread = () => {
  throw new Error('the layers were read: the cached report should have answered');
};
const id = `sha256:${'b'.repeat(64)}`;
const image = new Proxy({} as Image, { get: (_, key) => (key === 'id' ? id : unread()) });
const source = new Proxy({} as ImageSource, { get: unread });

test('the first files come from the short copy; the full list from the full report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-results-'));
  dirs.push(dir);
  const results = new ResultCache(dir);
  const full = analyseWaste(indexes);
  expect(full.fileCount).toBe(MANY);

  const fresh = await imageWaste(source, image, { indexes, results, firstFiles: 5 });
  expect(fresh.files).toEqual(full.files.slice(0, 5));
  expect(fresh.fileCount).toBe(MANY);
  expect(readdirSync(dir)).toHaveLength(2);

  const all = await imageWaste(source, image, { results });
  expect(all).toEqual(full);
  // More than the short copy holds: read from the full report.
  const most = await imageWaste(source, image, { results, firstFiles: MANY - 1 });
  expect(most.files).toEqual(full.files.slice(0, MANY - 1));

  // Without the full report, the first files still come from the short copy, and only they do.
  const [larger] = readdirSync(dir).sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size);
  rmSync(join(dir, larger as string));
  const few = await imageWaste(source, image, { results, firstFiles: 20 });
  expect(few).toEqual({ ...full, files: full.files.slice(0, 20) });
  await expect(imageWaste(source, image, { results })).rejects.toThrow(/the layers were read/);
});
