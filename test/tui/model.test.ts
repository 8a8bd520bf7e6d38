import { describe, expect, test } from 'vitest';
import type { LayerIndex } from '../../src/layer/index-types.js';
import { buildUnion, layerChanges } from '../../src/union/tree.js';
import { computeLayerView, entryOf, isShown, markOf } from '../../src/tui/layer-view.js';
import { diffAsChanges, treeAsChanges } from '../../src/tui/compare.js';
import { TreeModel } from '../../src/tui/model.js';
import {
  type RowOptions,
  findMatch,
  flattenRows,
  largestFirst,
  matchRows,
  rowPrefix,
} from '../../src/tui/rows.js';
import { Timeline, timelineOf } from '../../src/tui/timeline.js';
import { dir, file, layer, opaque, symlink, whiteout } from '../union/layers.js';

/** base: /etc/a, /etc/b, /usr/bin/x; 1: /etc/a changed, /etc/b deleted, /opt/new added; 2: /usr made opaque. */
const STACK: LayerIndex[] = [
  layer(dir('/etc'), file('/etc/a', 10), file('/etc/b', 5), file('/usr/bin/x', 100)),
  layer(file('/etc/a', 12), whiteout('/etc/b'), file('/opt/new', 7)),
  layer(opaque('/usr'), file('/usr/lib', 1)),
];

const ALL: RowOptions = { hide: new Set(), collapsed: new Set(), sort: 'name' };

/** Rows as "path mark" lines. */
function shown(t: Timeline, layerN: number, mode: 'layer' | 'aggregated', opts: RowOptions = ALL): string[] {
  const base = computeLayerView(t, 0, 'layer');
  const v = computeLayerView(t, layerN, mode, base);
  const rows = flattenRows(t, v, opts);
  return Array.from(rows.ids.subarray(0, rows.count), (id) => `${t.paths[id]} ${markOf(v, id)}`);
}

describe('timeline and layer views', () => {
  const t = timelineOf(STACK);

  test('layer mode: the tree as of the layer, marked by what that layer did', () => {
    expect(shown(t, 0, 'layer')).toEqual([
      '/etc added',
      '/etc/a added',
      '/etc/b added',
      '/usr unmodified',
      '/usr/bin unmodified',
      '/usr/bin/x added',
    ]);
    expect(shown(t, 1, 'layer')).toEqual([
      '/etc unmodified',
      '/etc/a modified',
      '/etc/b removed',
      '/opt unmodified',
      '/opt/new added',
      '/usr unmodified',
      '/usr/bin unmodified',
      '/usr/bin/x unmodified',
    ]);
  });

  test('an opaque directory shows what it hid as removed, in that layer only', () => {
    expect(shown(t, 2, 'layer')).toContain('/usr/bin/x removed');
    expect(shown(t, 2, 'layer')).toContain('/usr/lib added');
    expect(shown(t, 2, 'layer')).not.toContain('/etc/b removed');
  });

  test('aggregated mode marks everything since the base layer', () => {
    expect(shown(t, 2, 'aggregated')).toEqual([
      '/etc unmodified',
      '/etc/a modified',
      '/etc/b removed',
      '/opt added',
      '/opt/new added',
      '/usr unmodified',
      '/usr/bin removed',
      '/usr/bin/x removed',
      '/usr/lib added',
    ]);
    expect(shown(t, 0, 'aggregated').every((l) => l.endsWith('unmodified'))).toBe(true);
  });

  test('directory sizes add up what they show; removed entries weigh what went', () => {
    const v = computeLayerView(t, 1, 'layer');
    expect(v.sizes[t.idOf('/etc') as number]).toBe(12);
    expect(v.sizes[t.idOf('/etc/b') as number]).toBe(5);
    expect(v.sizes[0]).toBe(12 + 7 + 100);
    expect(entryOf(t, v, t.idOf('/etc/b') as number).size).toBe(5);
  });

  test('largest first keeps equal sizes in name order, also past what packs into one number', () => {
    const slow = (list: number[], sizes: number[]) =>
      [...list].sort((a, b) => (sizes[b] as number) - (sizes[a] as number));
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const [count, spread] of [
      [2, 3],
      [50, 4],
      [3000, 1000],
      [3000, 2 ** 40],
    ] as const) {
      const list = Array.from({ length: count }, (_, i) => i * 2 + 1);
      const sizes: number[] = [];
      for (const id of list) sizes[id] = random(spread) * (spread > 2 ** 32 ? 4096 : 1);
      expect(largestFirst(list, sizes)).toEqual(slow(list, sizes));
    }
    expect(largestFirst([5, 6, 7], [0, 0, 0, 0, 0, 2 ** 45, 1, 2 ** 45])).toEqual([5, 7, 6]);
  });

  test('sizes past 4 GiB stay exact (a view holds them in 8 bytes then, else in 4)', () => {
    const big = timelineOf([layer(file('/small', 3)), layer(file('/data/huge', 5 * 2 ** 30 + 1))]);
    const small = computeLayerView(big, 0, 'layer');
    const top = computeLayerView(big, 1, 'aggregated', small);
    expect(small.sizes).toBeInstanceOf(Uint32Array);
    expect(top.sizes).toBeInstanceOf(Float64Array);
    expect(top.sizes[big.idOf('/data') as number]).toBe(5 * 2 ** 30 + 1);
    expect(top.sizes[0]).toBe(5 * 2 ** 30 + 4);
  });

  test('the view of a layer is the same after later layers are added', () => {
    const early = new Timeline();
    early.addLayer(layerChanges(STACK, 0));
    const before = shown(early, 0, 'layer');
    early.addLayer(layerChanges(STACK, 1));
    const v0 = computeLayerView(early, 0, 'layer');
    expect(isShown(v0, early.idOf('/opt/new') as number)).toBe(false);
    expect(shown(early, 0, 'layer')).toEqual(before);
  });
});

describe('rows', () => {
  const t = timelineOf(STACK);

  test('hiding marks keeps the directories above what stays', () => {
    const hide = new Set(['unmodified'] as const);
    expect(shown(t, 1, 'layer', { ...ALL, hide })).toEqual([
      '/etc unmodified',
      '/etc/a modified',
      '/etc/b removed',
      '/opt unmodified',
      '/opt/new added',
    ]);
  });

  test('a filter keeps matches and their ancestors', () => {
    expect(shown(t, 1, 'layer', { ...ALL, filter: /new/ })).toEqual(['/opt unmodified', '/opt/new added']);
  });

  test('collapsed directories hide their children; size order puts the largest first', () => {
    const collapsed = new Set([t.idOf('/usr') as number]);
    expect(shown(t, 1, 'layer', { ...ALL, collapsed }).at(-1)).toBe('/usr unmodified');
    expect(shown(t, 1, 'layer', { ...ALL, sort: 'size' })[0]).toBe('/usr unmodified');
  });

  test('prefixes draw the tree; searches find rows by path, wrapping', () => {
    const v = computeLayerView(t, 0, 'layer');
    const rows = flattenRows(t, v, ALL);
    const lines = Array.from(
      { length: rows.count },
      (_, r) => rowPrefix(t, rows, r) + t.names[rows.ids[r] as number],
    );
    expect(lines).toEqual(['├── etc', '│   ├── a', '│   └── b', '└── usr', '    └── bin', '        └── x']);
    expect(matchRows(t, rows, /\/etc\//)).toEqual([1, 2]);
    expect(findMatch(t, rows, /\/etc\//, 3, 1)).toBe(1);
    expect(findMatch(t, rows, /\/etc\//, 0, -1)).toBe(2);
    expect(findMatch(t, rows, /nothing/, 0, 1)).toBeUndefined();
  });

  test("each path's row, -1 for paths without one (collapsed away, removed)", () => {
    const collapsed = new Set([t.idOf('/usr') as number]);
    const v = computeLayerView(t, 1, 'layer');
    const rows = flattenRows(t, v, { ...ALL, collapsed });
    const expected = Array.from({ length: v.flags.length }, (_, id) =>
      rows.ids.subarray(0, rows.count).indexOf(id),
    );
    expect(Array.from(rows.rowOf)).toEqual(expected);
    expect(expected.filter((r) => r === -1).length).toBeGreaterThan(1); // the root and what /usr hides
  });
});

describe('tree model', () => {
  test('memoises views and rows, and lists the largest files of the top layer', () => {
    const model = new TreeModel(timelineOf(STACK));
    const p = {
      layer: 1,
      mode: 'layer' as const,
      hide: new Set<never>(),
      filter: '',
      collapsed: new Set<number>(),
      sort: 'name' as const,
    };
    expect(model.view(1, 'layer')).toBe(model.view(1, 'layer'));
    expect(model.rows(p)).toBe(model.rows({ ...p }));
    expect(model.rows({ ...p, filter: 'etc' })).not.toBe(model.rows(p));
    expect(model.view(3, 'layer')).toBeUndefined();
    expect(model.largest().map((f) => [model.timeline.paths[f.id], f.size, f.layer])).toEqual([
      ['/etc/a', 12, 1],
      ['/opt/new', 7, 1],
      ['/usr/lib', 1, 2],
    ]);
  });

  test('a filter typed on (narrowed from the paths an earlier one matched) matches what it would alone', () => {
    const stack = [
      layer(dir('/bin'), file('/bin/bash', 1), file('/bin/busybox', 2), file('/sbin/init', 3)),
      layer(file('/usr/bin/b.n', 4), file('/usr/lib/libbin.so', 5), file('/opt/bi', 6)),
    ];
    const timeline = timelineOf(stack);
    const model = new TreeModel(timeline);
    const p = { layer: 1, mode: 'aggregated' as const, hide: new Set<never>(), collapsed: new Set<number>() };
    const paths = (m: TreeModel, filter: string) => {
      const rows = m.rows({ ...p, sort: 'name', filter });
      return Array.from(rows.ids.subarray(0, rows.count), (id) => m.timeline.paths[id]);
    };
    // Typed one key at a time, erased, a regular expression after plain text, then plain text again.
    for (const filter of ['b', 'bi', 'bin', 'bi', 'b.n', 'bin', 'libbin', 'in', 'xbin']) {
      expect(paths(model, filter), filter).toEqual(paths(new TreeModel(timeline), filter));
    }
    expect(paths(model, 'b.n')).toContain('/usr/bin/b.n');
    expect(paths(model, 'b.n')).toContain('/bin/busybox'); // through "/bin"
    expect(paths(model, 'libbin')).toEqual(['/usr', '/usr/lib', '/usr/lib/libbin.so']);
  });
});

describe('compare', () => {
  test('B is marked against A: added, removed, modified (not by time alone)', () => {
    const a = buildUnion([
      layer(file('/same', 1), file('/gone', 2), file('/changed', 3), symlink('/l', '/same')),
    ]);
    const b = buildUnion([
      layer(file('/same', 1, { mtime: 99 }), file('/changed', 4), file('/new', 5), symlink('/l', '/new')),
    ]);
    const t = new Timeline();
    t.addLayer(treeAsChanges(a));
    t.addLayer(diffAsChanges(a, b));
    expect(shown(t, 1, 'layer')).toEqual([
      '/changed modified',
      '/gone removed',
      '/l modified',
      '/new added',
      '/same unmodified',
    ]);
  });
});
