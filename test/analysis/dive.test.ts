import { describe, expect, test } from 'vitest';
import { diveAnalysis } from '../../src/analysis/dive.js';
import { dir, file, layer, whiteout } from '../union/layers.js';
import { cases, MB } from './cases.js';

describe("dive's numbers on the edge cases (dive-notes §2.6)", () => {
  test('A: a directory whiteout is not waste, and pushes efficiency to 1', () => {
    const d = diveAnalysis(cases.A);
    expect(d).toMatchObject({ efficiency: 1, wastedBytes: 0, sizeBytes: MB + 100, userSizeBytes: MB });
    expect(d.inefficiencies).toEqual([]);
  });

  test('B: an overwrite counts both copies', () => {
    const d = diveAnalysis(cases.B);
    expect(d.wastedBytes).toBe(2 * MB);
    expect(d.wastedUserPercent).toBe(1);
    expect(d.efficiency).toBe((MB + 100) / (2 * MB + 100));
    expect(d.inefficiencies).toEqual([{ path: '/big', count: 2, cumulativeSize: 2 * MB }]);
  });

  test('C: the opaque marker is ignored', () => {
    expect(diveAnalysis(cases.C)).toMatchObject({ efficiency: 1, wastedBytes: 0 });
  });

  test('D: a file whiteout counts the file once, and its minimum is the 0-byte whiteout', () => {
    const d = diveAnalysis(cases.D);
    expect(d.wastedBytes).toBe(MB);
    expect(d.efficiency).toBe(100 / (MB + 100));
    expect(d.efficiency.toFixed(4)).toBe('0.0001');
  });
});

describe('quirks', () => {
  test('a whiteout whose target is missing below aborts the rest of that layer, leaving min = -1', () => {
    // Layer 1 is visited in name order: '.wh.a' fails, so '/z' (a second copy) is never seen.
    const stack = [layer(file('/z', 10)), layer(whiteout('/a'), file('/z', 10))];
    const d = diveAnalysis(stack);
    expect(d.inefficiencies).toEqual([]);
    expect(d.efficiency).toBe((10 - 1) / 10);
  });

  test('a directory re-listed as an empty leaf in two layers is a 0-byte inefficiency', () => {
    const d = diveAnalysis([layer(dir('/etc')), layer(dir('/etc'))]);
    expect(d.inefficiencies).toEqual([{ path: '/etc', count: 2, cumulativeSize: 0 }]);
    expect(d.efficiency).toBe(1);
  });

  test('a directory whiteout weighs 0 when the layer above last listed only its children', () => {
    // Stacking layer 1 gives /d dive's empty FileInfo (IsDir false), so the whiteout weighs nothing.
    const stack = [layer(dir('/d'), file('/d/f', 5)), layer(file('/d/g', 7)), layer(whiteout('/d'))];
    expect(diveAnalysis(stack).efficiency).toBe(1);
    const listed = [
      layer(dir('/d'), file('/d/f', 5)),
      layer(dir('/d'), file('/d/g', 7)),
      layer(whiteout('/d')),
    ];
    expect(diveAnalysis(listed).efficiency).toBe((5 + 7 + 12) / (5 + 7 + 12));
    expect(diveAnalysis(listed).inefficiencies).toEqual([]);
  });

  test('layer sizes are Σ entry sizes, and only layer 0 is left out of the user size', () => {
    const d = diveAnalysis([layer(file('/a', 3)), layer(file('/b', 4)), layer(file('/c', 5))]);
    expect(d).toMatchObject({ sizeBytes: 12, userSizeBytes: 9, layerSizes: [3, 4, 5] });
  });

  test('a single-layer image divides by a user size of 0, as dive does', () => {
    expect(diveAnalysis([layer(file('/a', 3), file('/a', 3))]).wastedUserPercent).toBeNaN();
  });
});
