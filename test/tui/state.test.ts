import { describe, expect, test } from 'vitest';
import type { LayerIndex } from '../../src/layer/index-types.js';
import type { Action } from '../../src/tui/keys.js';
import { TreeModel } from '../../src/tui/model.js';
import {
  type Env,
  type Msg,
  type UiState,
  initialState,
  resolveCursor,
  update,
} from '../../src/tui/state.js';
import { timelineOf } from '../../src/tui/timeline.js';
import { dir, file, layer, whiteout } from '../union/layers.js';

const STACK: LayerIndex[] = [
  layer(dir('/etc'), file('/etc/a', 10), file('/etc/b', 5), file('/usr/bin/x', 100)),
  layer(file('/etc/a', 12), whiteout('/etc/b'), file('/opt/new', 7)),
];

function model(): TreeModel {
  return new TreeModel(timelineOf(STACK));
}

function envOf(m: TreeModel, s: UiState): Env {
  const p = {
    layer: s.layer,
    mode: s.mode,
    hide: s.hide,
    filter: s.filter,
    collapsed: s.collapsed,
    sort: s.sort,
  };
  return {
    layerCount: STACK.length,
    rows: m.rows(p),
    paths: m.timeline.paths,
    parents: m.timeline.parents,
    isDir: (id) => m.isDir(s.layer, s.mode, id),
    allDirs: () => m.allDirs(),
    treeHeight: 3,
    layersHeight: 2,
    listHeight: 3,
    largest: m.largest(),
    platformCount: 1,
  };
}

/** Run messages (actions by name) from a state; returns the state and the effects asked for. */
function run(m: TreeModel, msgs: (Action | Msg)[], from: UiState = initialState()) {
  let s = from;
  const effects = [];
  for (const item of msgs) {
    const msg: Msg = typeof item === 'string' ? { type: 'action', action: item } : item;
    const [next, effect] = update(s, msg, envOf(m, s));
    s = next;
    if (effect) effects.push(effect);
  }
  return { s, effects };
}

const selected = (m: TreeModel, s: UiState) => {
  const rows = envOf(m, s).rows;
  return m.timeline.paths[rows.ids[resolveCursor(s, rows)] as number];
};

describe('the explorer state', () => {
  test('layers pane: moves between layers, switches the mode, Tab gives the tree the keys', () => {
    const m = model();
    const { s } = run(m, ['down', 'down', 'compareAll', 'toggleView']);
    expect(s).toMatchObject({ layer: 1, mode: 'aggregated', focus: 'tree' });
    expect(run(m, ['compareLayer'], s).s.mode).toBe('aggregated'); // the tree has the keys now
  });

  test('tree: moving, collapsing, entering and leaving directories', () => {
    const m = model();
    let { s } = run(m, ['toggleView', 'down']);
    expect(selected(m, s)).toBe('/etc/a');
    s = run(m, ['left', 'toggleCollapse', 'down'], s).s;
    expect(selected(m, s)).toBe('/usr');
    s = run(m, ['right'], s).s;
    expect(selected(m, s)).toBe('/usr/bin');
    s = run(m, ['end'], s).s;
    expect(selected(m, s)).toBe('/usr/bin/x');
    expect(s.top).toBe(1); // three rows fit: /usr, /usr/bin, /usr/bin/x (below /etc, closed)
    s = run(m, ['toggleCollapseAll'], s).s;
    expect(s.collapsed.size).toBe(0);
    s = run(m, ['toggleCollapseAll'], s).s;
    expect(envOf(m, s).rows.count).toBe(2);
  });

  test('the selection follows its path when the rows change', () => {
    const m = model();
    let { s } = run(m, ['down', 'toggleView', 'end']);
    expect(selected(m, s)).toBe('/usr/bin/x');
    const row = s.cursor;
    s = run(m, ['toggleAdded'], s).s; // /opt/new goes (/opt, unmodified, stays); /usr/bin/x moves up
    expect(selected(m, s)).toBe('/usr/bin/x');
    expect(resolveCursor(s, envOf(m, s).rows)).toBe(row - 1);
  });

  test('the filter applies as it is typed; a broken regex is reported and not applied', () => {
    const m = model();
    let { s } = run(m, ['toggleView', 'filter', { type: 'prompt', key: 'b' }]);
    expect(s.filter).toBe('b');
    s = run(m, [{ type: 'prompt', key: '(' }], s).s;
    expect(s.prompt?.error).toMatch(/Invalid regular expression/);
    expect(s.filter).toBe('b');
    s = run(
      m,
      [
        { type: 'prompt', key: 'backspace' },
        { type: 'prompt', key: 'enter' },
      ],
      s,
    ).s;
    expect(s.prompt).toBeUndefined();
    expect(envOf(m, s).rows.count).toBe(5); // /etc, /etc/b, /usr, /usr/bin, /usr/bin/x
  });

  test('search jumps to a match on Enter, then n and N go round the matches', () => {
    const m = model();
    const typed: Msg[] = [...'/etc/'].map((key) => ({ type: 'prompt', key }));
    let { s } = run(m, ['toggleView', 'search', ...typed, { type: 'prompt', key: 'enter' }]);
    expect(s.search).toBe('/etc/');
    expect(selected(m, s)).toBe('/etc/a');
    s = run(m, ['nextMatch'], s).s;
    expect(selected(m, s)).toBe('/etc/b');
    s = run(m, ['nextMatch'], s).s;
    expect(selected(m, s)).toBe('/etc/a');
    s = run(m, ['prevMatch'], s).s;
    expect(selected(m, s)).toBe('/etc/b');
  });

  test('view and extract ask for effects; view opens the viewer, loading', () => {
    const m = model();
    const { s, effects } = run(m, ['toggleView', 'down', 'view', 'extract']);
    expect(s.overlay).toMatchObject({ kind: 'viewer', path: '/etc/a', status: 'loading' });
    const id = m.timeline.idOf('/etc/a');
    expect(effects).toEqual([
      { kind: 'view', id, layer: 0 },
      { kind: 'extract', id, layer: 0 },
    ]);
    const loaded = run(m, [{ type: 'viewer', status: 'ready', lines: ['x'], note: 'text' }, 'close'], s).s;
    expect(loaded.overlay).toBeUndefined();
    expect(run(m, ['toggleView', 'view']).s.message).toMatch(/a directory/);
  });

  test('the largest files list jumps to a file in the top layer, with nothing hiding it', () => {
    const m = model();
    let { s } = run(m, ['toggleView', 'toggleCollapseAll', 'toggleAdded', 'largest', 'down']);
    expect(s.overlay).toMatchObject({ kind: 'largest', cursor: 1 });
    s = run(m, ['confirm'], s).s;
    expect(s).toMatchObject({ layer: 1, focus: 'tree', overlay: undefined });
    expect(s.hide.size).toBe(0);
    expect(selected(m, s)).toBe('/etc/a');
  });

  test('mouse: a click selects a layer or a row (and opens a selected directory); the wheel scrolls', () => {
    const m = model();
    let { s } = run(m, [{ type: 'click', pane: 'layers', row: 1 }]);
    expect(s).toMatchObject({ layer: 1, focus: 'layers' });
    s = run(m, [{ type: 'click', pane: 'tree', row: 2 }], s).s;
    expect(s.focus).toBe('tree');
    expect(selected(m, s)).toBe('/etc/b');
    s = run(m, [{ type: 'wheel', pane: 'tree', delta: 3 }], s).s;
    expect(selected(m, s)).toBe('/usr');
    s = run(m, [{ type: 'click', pane: 'tree', row: s.cursor - s.top }], s).s;
    expect(s.collapsed.has(m.timeline.idOf('/usr') as number)).toBe(true);
  });

  test('quit is an effect; q in a prompt is text', () => {
    const m = model();
    expect(run(m, ['quit']).effects).toEqual([{ kind: 'quit' }]);
    const { s, effects } = run(m, ['toggleView', 'search', { type: 'prompt', key: 'q' }]);
    expect(effects).toEqual([]);
    expect(s.prompt?.text).toBe('q');
  });
});
