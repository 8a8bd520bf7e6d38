import { describe, expect, test } from 'vitest';
import { analyseWaste, wasteOfUnion } from '../../src/analysis/waste.js';
import { LayerChangeStepper, buildUnion } from '../../src/union/tree.js';
import { dir, file, hardlink, layer, opaque, symlink, syntheticStack, whiteout } from '../union/layers.js';
import { cases, MB } from './cases.js';

const brief = (stack: Parameters<typeof analyseWaste>[0]) =>
  analyseWaste(stack).files.map((f) => [f.path, f.size, f.storedIn, f.removedIn, f.reason, f.by]);

describe("strata's waste on the edge cases (dive-notes §2.6)", () => {
  test('A: every file below a directory whiteout is waste', () => {
    expect(brief(cases.A)).toEqual([['/data/big', MB, 1, 2, 'dir-whiteout', '/data']]);
    const w = analyseWaste(cases.A);
    expect(w).toMatchObject({ wastedBytes: MB, imageBytes: MB + 100, visibleBytes: 100 });
    expect(w.efficiency).toBe(100 / (MB + 100));
  });

  test('B: an overwrite wastes the old copy only', () => {
    expect(brief(cases.B)).toEqual([['/big', MB, 1, 2, 'overwritten', '/big']]);
    const w = analyseWaste(cases.B);
    expect(w.efficiency).toBe((MB + 100) / (2 * MB + 100));
    expect(w.user).toEqual({ sizeBytes: 2 * MB, wastedBytes: MB, shareOfWaste: 1, wastedPercent: 0.5 });
  });

  test('C: what an opaque directory hides is waste', () => {
    expect(brief(cases.C)).toEqual([['/data/big', MB, 1, 2, 'opaque', '/data']]);
  });

  test('D: a file whiteout wastes the file', () => {
    expect(brief(cases.D)).toEqual([['/big', MB, 1, 2, 'whiteout', '/big']]);
    expect(analyseWaste(cases.D).wastedBytes).toBe(MB);
  });
});

describe('rules', () => {
  test('a file replacing a directory, and a directory replacing it back', () => {
    const stack = [
      layer(dir('/a'), file('/a/f', 10), file('/a/g', 20)),
      layer(file('/a', 3)),
      layer(dir('/a'), file('/a/h', 4)),
    ];
    expect(brief(stack)).toEqual([
      ['/a/g', 20, 0, 1, 'type-replaced', '/a'],
      ['/a/f', 10, 0, 1, 'type-replaced', '/a'],
      ['/a', 3, 1, 2, 'type-replaced', '/a'],
    ]);
    expect(analyseWaste(stack)).toMatchObject({ imageBytes: 37, visibleBytes: 4, wastedBytes: 33 });
  });

  test('whiteout and re-add in one layer wastes the lower copy, not the new one', () => {
    const stack = [layer(file('/x', 5)), layer(file('/x', 8), whiteout('/x'))];
    expect(brief(stack)).toEqual([['/x', 5, 0, 1, 'whiteout', '/x']]);
  });

  test('opaque applies before the layer’s own entries', () => {
    const stack = [
      layer(dir('/d'), file('/d/a', 5), file('/d/b', 6)),
      layer(dir('/d'), file('/d/a', 7), opaque('/d')),
    ];
    expect(brief(stack)).toEqual([
      ['/d/b', 6, 0, 1, 'opaque', '/d'],
      ['/d/a', 5, 0, 1, 'opaque', '/d'],
    ]);
    expect(analyseWaste(stack).visibleBytes).toBe(7);
  });

  test('hard links weigh nothing and keep their inode visible when the first name goes', () => {
    const kept = [layer(file('/f', 50), hardlink('/h', '/f')), layer(whiteout('/f'))];
    expect(analyseWaste(kept)).toMatchObject({ wastedBytes: 0, imageBytes: 50, visibleBytes: 50 });
    const gone = [layer(file('/f', 50), hardlink('/h', '/f')), layer(whiteout('/f')), layer(whiteout('/h'))];
    expect(brief(gone)).toEqual([['/f', 50, 0, 2, 'whiteout', '/h']]);
  });

  test('symlinks weigh their target’s length and are never followed', () => {
    const stack = [
      layer(dir('/usr'), file('/usr/lib', 40), symlink('/lib', '/usr/lib')),
      layer(symlink('/lib', '/usr/lib64')),
    ];
    expect(brief(stack)).toEqual([['/lib', 8, 0, 1, 'overwritten', '/lib']]);
    expect(analyseWaste(stack)).toMatchObject({ imageBytes: 40 + 8 + 10, visibleBytes: 50 });
  });

  test('base and user shares: a user layer deleting base files is user waste', () => {
    const stack = [
      layer(file('/b1', 100), file('/b1', 100)),
      layer(file('/b2', 10), file('/b3', 30)),
      layer(file('/b2', 11)),
      layer(whiteout('/b1'), file('/u', 40)),
      layer(whiteout('/u')),
    ];
    const w = analyseWaste(stack, { baseLayers: 3 });
    expect(w.base).toEqual({ layers: 3, sizeBytes: 151, wastedBytes: 10 });
    expect(w.user).toEqual({
      sizeBytes: 40,
      wastedBytes: 140,
      shareOfWaste: 140 / 150,
      wastedPercent: 140 / 40,
    });
    expect(w.imageBytes).toBe(w.visibleBytes + w.wastedBytes);
  });

  test('an image with nothing stored is fully efficient', () => {
    expect(analyseWaste([layer(dir('/a'))])).toMatchObject({
      efficiency: 1,
      wastedBytes: 0,
      user: { wastedPercent: null },
    });
  });
});

describe('waste from a union the caller built', () => {
  test('a stepper’s union counts what analyseWaste counts from the indexes', () => {
    for (const stack of [syntheticStack(12), ...Object.values(cases)]) {
      const stepper = new LayerChangeStepper();
      for (const index of stack) stepper.step(index);
      expect(wasteOfUnion(stepper.union(), stack.length, { baseLayers: 2 })).toEqual(
        analyseWaste(stack, { baseLayers: 2 }),
      );
    }
  });

  test('a union of fewer layers than the image is refused', () => {
    const stack = syntheticStack(4);
    expect(() => wasteOfUnion(buildUnion(stack, 2), stack.length)).toThrow(/holds 3 layers, not 4/);
  });
});
