import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { analyseWaste } from '../../src/analysis/waste.js';
import { ImageLoader } from '../../src/tui/load.js';
import { REPO_ROOT } from '../helpers/cli.js';

const SAMPLE = `docker-archive:${join(REPO_ROOT, 'fixtures', 'sample-image.tar')}`;
let root: string;
const saved = process.env.STRATA_ROOT;

beforeEach(() => {
  // A store of its own: no cached waste report, so the loader counts it.
  root = mkdtempSync(join(tmpdir(), 'strata-load-'));
  process.env.STRATA_ROOT = root;
});
afterEach(() => {
  if (saved === undefined) delete process.env.STRATA_ROOT;
  else process.env.STRATA_ROOT = saved;
  rmSync(root, { recursive: true, force: true });
});

test('the loader counts the waste from the union it stepped through, as analyseWaste counts it', async () => {
  const loader = new ImageLoader(SAMPLE);
  await loader.open();
  await loader.read();
  const snap = loader.getSnapshot();
  expect(snap.phase).toBe('ready');
  expect(snap.timeline.layers).toBe(snap.layers.length);
  expect(snap.waste).toEqual(analyseWaste(await loader.indexes()));
  expect(snap.waste?.fileCount).toBe(1);
  await loader.close();
});

test('the loader asks its host to collect before each scanned layer, once every layer is in and once the waste is counted', async () => {
  const load = async () => {
    const seen: { layers: number; phase: string }[] = [];
    const loader: ImageLoader = new ImageLoader(SAMPLE, {
      collect: () => {
        const snap = loader.getSnapshot();
        seen.push({ layers: snap.timeline.layers, phase: snap.phase });
      },
    });
    await loader.open();
    await loader.read();
    const all = loader.getSnapshot().layers.length;
    await loader.close();
    return { seen, all };
  };
  // From an empty cache every layer is scanned; the second time every layer comes from the cache.
  const cold = await load();
  const before = Array.from({ length: cold.all }, (_, layers) => ({ layers, phase: 'scanning' }));
  const after = [
    { layers: cold.all, phase: 'analysing' },
    { layers: cold.all, phase: 'analysing' },
  ];
  expect(cold.seen).toEqual([...before, ...after]);
  expect((await load()).seen).toEqual(after);
});

test('collectGarbage runs a full collection in a process that did not start with --expose-gc', async () => {
  const { collectGarbage } = await import('../../src/cli/heap.js');
  expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  const ref = new WeakRef({ garbage: true });
  // A WeakRef's target is held until the job that made it ends.
  await new Promise((r) => setTimeout(r, 0));
  collectGarbage();
  expect(ref.deref()).toBeUndefined();
});
