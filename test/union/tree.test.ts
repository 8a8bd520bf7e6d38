import { describe, expect, test } from 'vitest';
import type { LayerIndex } from '../../src/layer/index-types.js';
import {
  LayerChangeStepper,
  buildUnion,
  layerChanges,
  lookupPath,
  provenanceOf,
} from '../../src/union/tree.js';
import { cases as CASES } from '../analysis/cases.js';
import { dir, file, hardlink, layer, opaque, symlink, syntheticStack, whiteout } from './layers.js';

const visible = (stack: LayerIndex[], n?: number) => [...buildUnion(stack, n).nodes.keys()].sort();

describe('provenance', () => {
  test('added in one layer, modified in others, with what changed', () => {
    const stack = [
      layer(dir('/etc'), file('/etc/a', 10)),
      layer(file('/etc/a', 12)),
      layer(file('/etc/a', 12, { mode: 0o600, uid: 5 })),
    ];
    const node = buildUnion(stack).nodes.get('/etc/a');
    expect(node && provenanceOf(node)).toEqual({
      addedIn: 0,
      modified: [
        { layer: 1, fields: ['content'] },
        { layer: 2, fields: ['mode', 'owner'] },
      ],
    });
  });

  test('symlink target changes are a link modification', () => {
    const stack = [layer(symlink('/l', '/a')), layer(symlink('/l', '/bb'))];
    const node = buildUnion(stack).nodes.get('/l');
    expect(node && provenanceOf(node).modified).toEqual([{ layer: 1, fields: ['link'] }]);
  });

  test('a parent nobody lists is implicit until a layer lists it', () => {
    const stack = [layer(file('/a/b/c', 1)), layer(dir('/a/b', { mode: 0o700 }))];
    expect(buildUnion(stack, 0).nodes.get('/a/b')?.implicit).toBe(true);
    const node = buildUnion(stack).nodes.get('/a/b');
    expect(node?.implicit).toBe(false);
    expect(node && provenanceOf(node)).toEqual({
      addedIn: 0,
      modified: [{ layer: 1, fields: ['mode', 'mtime'] }],
    });
  });
});

describe('removals', () => {
  test('a file whiteout removes the path from lower layers', () => {
    const stack = [layer(file('/a', 5), file('/b', 5)), layer(whiteout('/a'))];
    expect(visible(stack)).toEqual(['/', '/b']);
    expect(lookupPath(buildUnion(stack), '/a')).toMatchObject({
      removed: { addedIn: 0, removedIn: 1, reason: 'whiteout', by: '/a' },
    });
  });

  test('a directory whiteout removes every path below it', () => {
    const stack = [layer(dir('/d'), dir('/d/e'), file('/d/e/f', 3)), layer(whiteout('/d'))];
    const tree = buildUnion(stack);
    expect(visible(stack)).toEqual(['/']);
    expect(tree.removed.get('/d')?.reason).toBe('whiteout');
    expect(tree.removed.get('/d/e/f')).toMatchObject({ reason: 'dir-whiteout', by: '/d', removedIn: 1 });
  });

  test('the opaque marker applies before the layer’s own entries, whatever the tar order', () => {
    const lower = layer(dir('/d'), file('/d/keep', 1), file('/d/gone', 2));
    // The marker comes last in tar order; /d/keep from the same layer must survive it.
    const stack = [lower, layer(dir('/d'), file('/d/keep', 7), file('/d/new', 1), opaque('/d'))];
    const tree = buildUnion(stack);
    expect(visible(stack)).toEqual(['/', '/d', '/d/keep', '/d/new']);
    expect(tree.nodes.get('/d/keep')?.entry.size).toBe(7);
    expect(tree.removed.get('/d/gone')).toMatchObject({ reason: 'opaque', by: '/d', removedIn: 1 });
  });

  test('whiteout and re-add in the same layer: the new entry stays, in either tar order', () => {
    for (const entries of [
      [whiteout('/x'), file('/x', 9)],
      [file('/x', 9), whiteout('/x')],
    ]) {
      const stack = [layer(file('/x', 4)), layer(...entries)];
      const tree = buildUnion(stack);
      expect(tree.nodes.get('/x')?.entry.size).toBe(9);
      expect(tree.nodes.get('/x')?.addedIn).toBe(1);
      expect(tree.changes).toEqual([
        expect.objectContaining({ path: '/x', change: 'modified', fields: ['content'] }),
      ]);
    }
  });

  test('a whiteout for a path no lower layer has changes nothing', () => {
    const stack = [layer(file('/a', 1)), layer(whiteout('/nope'))];
    expect(visible(stack)).toEqual(['/', '/a']);
    expect(buildUnion(stack).changes).toEqual([]);
  });
});

describe('type replacement', () => {
  const stack = [layer(dir('/a'), file('/a/f', 10)), layer(file('/a', 3)), layer(dir('/a'), file('/a/g', 4))];

  test('a file replacing a directory takes the directory’s contents', () => {
    const tree = buildUnion(stack, 1);
    expect(visible(stack, 1)).toEqual(['/', '/a']);
    expect(tree.nodes.get('/a')?.entry.kind).toBe('file');
    expect(tree.removed.get('/a/f')).toMatchObject({ reason: 'type-replaced', by: '/a', removedIn: 1 });
  });

  test('and a directory replacing the file gives an empty directory plus the layer’s entries', () => {
    const tree = buildUnion(stack);
    expect(visible(stack)).toEqual(['/', '/a', '/a/g']);
    const a = tree.nodes.get('/a');
    expect(a && provenanceOf(a)).toEqual({
      addedIn: 0,
      modified: [
        { layer: 1, fields: ['type', 'mode'] },
        { layer: 2, fields: ['type', 'mode'] },
      ],
    });
    expect(tree.retired.map((r) => [r.path, r.layer, r.removedIn, r.reason])).toEqual([
      ['/a/f', 0, 1, 'type-replaced'],
      ['/a', 0, 1, 'type-replaced'],
      ['/a', 1, 2, 'type-replaced'],
    ]);
  });

  test('a child listed under a path that is a file turns the file into a directory', () => {
    const tree = buildUnion([layer(file('/p', 2)), layer(file('/p/q', 1))]);
    expect(tree.nodes.get('/p')?.implicit).toBe(true);
    expect(tree.retired).toEqual([expect.objectContaining({ path: '/p', reason: 'type-replaced' })]);
  });
});

describe('links are entries, never followed', () => {
  test('a whiteout of a symlink removes the link, not its target', () => {
    const stack = [
      layer(dir('/usr'), dir('/usr/lib'), file('/usr/lib/x', 5), symlink('/lib', '/usr/lib')),
      layer(whiteout('/lib')),
    ];
    expect(visible(stack)).toEqual(['/', '/usr', '/usr/lib', '/usr/lib/x']);
  });

  test('a symlink weighs its target’s length; a hard link weighs nothing', () => {
    const tree = buildUnion([layer(file('/f', 100), hardlink('/h', '/f'), symlink('/s', 'f'))]);
    expect(tree.nodes.get('/s')?.size).toBe(1);
    expect(tree.nodes.get('/h')?.size).toBe(0);
    expect(tree.root.size).toBe(101);
  });
});

describe('sizes and changes', () => {
  test('a directory weighs the sum of its visible descendants', () => {
    const stack = [
      layer(dir('/a'), dir('/a/b'), file('/a/b/c', 10), file('/a/d', 5), file('/e', 1)),
      layer(whiteout('/a/d'), file('/a/b/c', 20)),
    ];
    const tree = buildUnion(stack);
    expect(tree.nodes.get('/a/b')?.size).toBe(20);
    expect(tree.nodes.get('/a')?.size).toBe(20);
    expect(tree.root.size).toBe(21);
  });

  test('what a layer changed, against the stack below', () => {
    const stack = [
      layer(dir('/a'), file('/a/x', 1), file('/a/y', 2), dir('/b'), file('/b/z', 3)),
      layer(dir('/a'), file('/a/x', 5), whiteout('/a/y'), whiteout('/b'), file('/n', 1)),
    ];
    const changes = layerChanges(stack, 1).map((c) => [c.path, c.change, c.fields, c.reason ?? '']);
    expect(changes).toEqual([
      ['/a', 'unchanged', [], ''],
      ['/a/x', 'modified', ['content'], ''],
      ['/a/y', 'removed', [], 'whiteout'],
      ['/b', 'removed', [], 'whiteout'],
      ['/b/z', 'removed', [], 'dir-whiteout'],
      ['/n', 'added', [], ''],
    ]);
    const x = layerChanges(stack, 1).find((c) => c.path === '/a/x');
    expect([x?.old?.size, x?.new?.size]).toEqual([1, 5]);
    expect(layerChanges(stack, 0).every((c) => c.change === 'added')).toBe(true);
  });

  test('a path listed twice in one layer: the later entry wins and the earlier is not a version', () => {
    const tree = buildUnion([layer(file('/f', 1)), layer(file('/f', 2), file('/f', 3))]);
    expect(tree.nodes.get('/f')?.versions.map((v) => [v.layer, v.entry.size])).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(tree.retired).toHaveLength(1);
  });
});

test('about 100,000 paths over 30 layers: every deletion is accounted for', () => {
  // Speed is measured in bench/union.ts, not asserted here.
  const layers = syntheticStack(30);
  const tree = buildUnion(layers);
  expect(tree.nodes.size).toBeGreaterThan(90_000);
  // A naive model: apply each layer's whiteouts to the set of files stored so far.
  const present = new Set<string>();
  let deleted = 0;
  for (const l of layers) {
    for (const e of l.entries) if (e.kind === 'whiteout' && present.delete(e.path)) deleted++;
    for (const e of l.entries) if (e.kind === 'file') present.add(e.path);
  }
  expect(deleted).toBe(28 * 300);
  expect(tree.removed.size).toBe(deleted);
  for (const path of present) expect(tree.nodes.has(path), path).toBe(true);
});

describe('LayerChangeStepper', () => {
  test('one pass gives what layerChanges gives for every layer', () => {
    const stacks = [syntheticStack(12), ...Object.values(CASES)];
    for (const stack of stacks) {
      const stepper = new LayerChangeStepper();
      stack.forEach((index, n) => {
        expect(stepper.step(index)).toEqual(layerChanges(stack, n));
      });
      expect(stepper.layers).toBe(stack.length);
    }
  });

  test('its union after the last layer is the one buildUnion makes of the whole stack', () => {
    for (const stack of [syntheticStack(12), ...Object.values(CASES)]) {
      const stepper = new LayerChangeStepper();
      for (const index of stack) stepper.step(index);
      const stepped = stepper.union();
      const built = buildUnion(stack);
      expect(stepped.top).toBe(built.top);
      expect([...stepped.nodes.keys()]).toEqual([...built.nodes.keys()]);
      expect(stepped.root.size).toBe(built.root.size);
      expect(stepped.retired).toEqual(built.retired);
      expect([...stepped.removed]).toEqual([...built.removed]);
      expect(stepped.changes).toEqual(built.changes);
    }
  });
});
