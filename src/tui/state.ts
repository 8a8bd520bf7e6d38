/**
 * The explorer's UI state and how each action changes it: a pure function of (state, message, env),
 * where env holds what the state is shown against (the tree's rows, heights, list lengths). Side
 * effects (reading a file, extracting, switching platform, quitting) come back as an Effect to run.
 */
import type { Action } from './keys.js';
import type { ChangeMark, TreeMode } from './layer-view.js';
import { type Rows, type SortOrder, findMatch } from './rows.js';

export type Pane = 'layers' | 'tree';

export interface Viewer {
  kind: 'viewer';
  path: string;
  layer: number;
  status: 'loading' | 'ready' | 'error';
  lines: string[];
  /** What the viewer says above the content: "text", "binary, shown as hex", "first 256 KiB", an error. */
  note: string;
  top: number;
}

export type Overlay =
  | Viewer
  | { kind: 'largest'; cursor: number; top: number }
  | { kind: 'platforms'; cursor: number }
  | { kind: 'help'; top: number };

export interface Prompt {
  kind: 'filter' | 'search';
  text: string;
  error?: string;
}

export interface UiState {
  focus: Pane;
  layer: number;
  layerTop: number;
  mode: TreeMode;
  hide: ReadonlySet<ChangeMark>;
  attributes: boolean;
  sort: SortOrder;
  /** Collapsed directories, by path id. */
  collapsed: ReadonlySet<number>;
  /** The applied filter (a regular expression's source; '' for none) and the last search. */
  filter: string;
  search: string;
  prompt?: Prompt;
  /** The selected tree row, and its path id (which keeps the selection when the rows change). */
  cursor: number;
  cursorId: number;
  top: number;
  overlay?: Overlay;
  /** One line for the status bar: what an action did, or why it could not. */
  message?: string;
}

/** What the state is shown against, at the time of the message. */
export interface Env {
  layerCount: number;
  rows: Rows;
  paths: readonly string[];
  parents: readonly number[];
  /** Whether a path id is a directory in the shown layer. */
  isDir: (id: number) => boolean;
  /** Every directory id with children (for collapse all). */
  allDirs: () => number[];
  treeHeight: number;
  layersHeight: number;
  listHeight: number;
  largest: readonly { id: number }[];
  platformCount: number;
}

export type Effect =
  | { kind: 'quit' }
  | { kind: 'view'; id: number; layer: number }
  | { kind: 'extract'; id: number; layer: number }
  | { kind: 'platform'; index: number };

export type Msg =
  | { type: 'action'; action: Action }
  /** A key typed while a prompt is open: printable text, 'backspace', 'enter' or 'esc'. */
  | { type: 'prompt'; key: string }
  | { type: 'click'; pane: Pane | 'list'; row: number }
  | { type: 'wheel'; pane: Pane | 'list'; delta: number }
  | { type: 'viewer'; status: Viewer['status']; lines: string[]; note: string }
  | { type: 'message'; text: string };

export const initialState = (): UiState => ({
  focus: 'layers',
  layer: 0,
  layerTop: 0,
  mode: 'layer',
  hide: new Set(),
  attributes: true,
  sort: 'name',
  collapsed: new Set(),
  filter: '',
  search: '',
  cursor: 0,
  cursorId: -1,
  top: 0,
});

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** Scroll so that `cursor` is on screen. */
export function keepVisible(cursor: number, top: number, height: number): number {
  if (height <= 0) return 0;
  if (cursor < top) return cursor;
  if (cursor >= top + height) return cursor - height + 1;
  return top;
}

/** The selected row as the rows now stand: the selected path's row, else the old row, clamped. */
export function resolveCursor(s: UiState, rows: Rows): number {
  const byId = s.cursorId >= 0 && s.cursorId < rows.rowOf.length ? (rows.rowOf[s.cursorId] as number) : -1;
  return byId >= 0 ? byId : clamp(s.cursor, 0, Math.max(0, rows.count - 1));
}

function moveTree(s: UiState, env: Env, row: number): UiState {
  const cursor = clamp(row, 0, Math.max(0, env.rows.count - 1));
  return {
    ...s,
    cursor,
    cursorId: env.rows.count > 0 ? (env.rows.ids[cursor] as number) : -1,
    top: keepVisible(cursor, s.top, env.treeHeight),
  };
}

function moveLayer(s: UiState, env: Env, layer: number): UiState {
  const to = clamp(layer, 0, Math.max(0, env.layerCount - 1));
  return { ...s, layer: to, layerTop: keepVisible(to, s.layerTop, env.layersHeight) };
}

const HIDE_ACTIONS: Partial<Record<Action, ChangeMark>> = {
  toggleAdded: 'added',
  toggleRemoved: 'removed',
  toggleModified: 'modified',
  toggleUnmodified: 'unmodified',
};

function toggled<T>(set: ReadonlySet<T>, item: T): Set<T> {
  const out = new Set(set);
  if (out.has(item)) out.delete(item);
  else out.add(item);
  return out;
}

/** Open the selected directory and step into it. */
function enterDir(s: UiState, env: Env, cur: number): UiState {
  const id = env.rows.ids[cur] as number;
  if (!env.isDir(id)) return s;
  if (s.collapsed.has(id)) return { ...s, collapsed: toggled(s.collapsed, id) };
  return env.rows.depth[cur + 1] !== undefined &&
    (env.rows.depth[cur + 1] as number) > (env.rows.depth[cur] as number)
    ? moveTree(s, env, cur + 1)
    : s;
}

function toParent(s: UiState, env: Env, cur: number): UiState {
  const parent = env.parents[env.rows.ids[cur] as number] ?? -1;
  const row = parent > 0 ? (env.rows.rowOf[parent] as number) : -1;
  return row >= 0 ? moveTree(s, env, row) : s;
}

function collapseAll(s: UiState, env: Env): UiState {
  return { ...s, collapsed: s.collapsed.size > 0 ? new Set() : new Set(env.allDirs()) };
}

function jumpToMatch(s: UiState, env: Env, cur: number, direction: 1 | -1): UiState {
  if (!s.search) return { ...s, message: 'no search yet: press / to search' };
  const query = new RegExp(s.search);
  const row = findMatch({ paths: env.paths }, env.rows, query, cur + direction, direction);
  if (row === undefined) return { ...s, message: `no match for /${s.search}/` };
  return { ...moveTree(s, env, row), message: undefined };
}

/** Actions on the file tree. */
function treeAction(s: UiState, action: Action, env: Env): [UiState, Effect?] {
  const cur = resolveCursor(s, env.rows);
  const id = env.rows.count > 0 ? (env.rows.ids[cur] as number) : -1;
  const mark = HIDE_ACTIONS[action];
  if (mark) return [{ ...s, hide: toggled(s.hide, mark) }];
  switch (action) {
    case 'up':
      return [moveTree(s, env, cur - 1)];
    case 'down':
      return [moveTree(s, env, cur + 1)];
    case 'pageUp':
      return [moveTree(s, env, cur - env.treeHeight)];
    case 'pageDown':
      return [moveTree(s, env, cur + env.treeHeight)];
    case 'home':
      return [moveTree(s, env, 0)];
    case 'end':
      return [moveTree(s, env, env.rows.count - 1)];
    case 'left':
      return [toParent(s, env, cur)];
    case 'right':
      return [id >= 0 ? enterDir(s, env, cur) : s];
    case 'toggleCollapse':
      return [id >= 0 && env.isDir(id) ? { ...s, collapsed: toggled(s.collapsed, id), cursorId: id } : s];
    case 'toggleCollapseAll':
      return [collapseAll(s, env)];
    case 'search':
      return [{ ...s, prompt: { kind: 'search', text: '' } }];
    case 'nextMatch':
      return [jumpToMatch(s, env, cur, 1)];
    case 'prevMatch':
      return [jumpToMatch(s, env, cur, -1)];
    case 'view':
      return id >= 0 && !env.isDir(id)
        ? [
            {
              ...s,
              overlay: {
                kind: 'viewer',
                path: env.paths[id] as string,
                layer: s.layer,
                status: 'loading',
                lines: [],
                note: 'reading…',
                top: 0,
              },
            },
            { kind: 'view', id, layer: s.layer },
          ]
        : [{ ...s, message: id >= 0 ? 'a directory: space opens or closes it' : undefined }];
    case 'extract':
      return id >= 0 ? [s, { kind: 'extract', id, layer: s.layer }] : [s];
    default:
      return [s];
  }
}

/** Actions on the layers pane. */
function layersAction(s: UiState, action: Action, env: Env): UiState {
  switch (action) {
    case 'up':
      return moveLayer(s, env, s.layer - 1);
    case 'down':
      return moveLayer(s, env, s.layer + 1);
    case 'pageUp':
      return moveLayer(s, env, s.layer - env.layersHeight);
    case 'pageDown':
      return moveLayer(s, env, s.layer + env.layersHeight);
    case 'home':
      return moveLayer(s, env, 0);
    case 'end':
      return moveLayer(s, env, env.layerCount - 1);
    case 'compareAll':
      return { ...s, mode: 'aggregated' };
    case 'compareLayer':
      return { ...s, mode: 'layer' };
    default:
      return s;
  }
}

/** Moving in a list overlay (largest files, platforms, help, viewer). */
function listMove(cursor: number, action: Action, length: number, page: number): number {
  const delta: Partial<Record<Action, number>> = {
    up: -1,
    down: 1,
    pageUp: -page,
    pageDown: page,
    home: -Number.MAX_SAFE_INTEGER,
    end: Number.MAX_SAFE_INTEGER,
  };
  return clamp(cursor + (delta[action] ?? 0), 0, Math.max(0, length - 1));
}

/** Show a path of the top layer in the tree: its directories opened, nothing hiding it. */
export function reveal(s: UiState, env: Env, id: number): UiState {
  const collapsed = new Set(s.collapsed);
  for (let p = env.parents[id] ?? -1; p > 0; p = env.parents[p] ?? -1) collapsed.delete(p);
  return {
    ...s,
    layer: env.layerCount - 1,
    layerTop: keepVisible(env.layerCount - 1, s.layerTop, env.layersHeight),
    focus: 'tree',
    hide: new Set(),
    filter: '',
    collapsed,
    cursorId: id,
    overlay: undefined,
  };
}

function overlayAction(s: UiState, o: Overlay, action: Action, env: Env): [UiState, Effect?] {
  if (action === 'close' || action === 'quit') return [{ ...s, overlay: undefined }];
  const page = env.listHeight;
  switch (o.kind) {
    case 'viewer':
      if (action === 'extract') {
        const id = env.paths.indexOf(o.path);
        return [s, id >= 0 ? { kind: 'extract', id, layer: o.layer } : undefined];
      }
      return [{ ...s, overlay: { ...o, top: listMove(o.top, action, o.lines.length - page + 1, page) } }];
    case 'help':
      return [{ ...s, overlay: { ...o, top: listMove(o.top, action, 200, page) } }];
    case 'largest': {
      if (action === 'confirm' || action === 'view') {
        const item = env.largest[o.cursor];
        return [item ? reveal(s, env, item.id) : s];
      }
      const cursor = listMove(o.cursor, action, env.largest.length, page);
      return [{ ...s, overlay: { ...o, cursor, top: keepVisible(cursor, o.top, page) } }];
    }
    case 'platforms':
      if (action === 'confirm')
        return [
          { ...s, overlay: undefined },
          { kind: 'platform', index: o.cursor },
        ];
      return [{ ...s, overlay: { ...o, cursor: listMove(o.cursor, action, env.platformCount, page) } }];
  }
}

/** A key typed into the open prompt: the filter applies as it is typed, a search on Enter. */
function promptKey(s: UiState, p: Prompt, key: string, env: Env): UiState {
  if (key === 'esc') return { ...s, prompt: undefined };
  if (key === 'enter') {
    if (p.kind === 'filter' || p.error) return { ...s, prompt: undefined };
    if (p.text === '') return { ...s, prompt: undefined };
    const cur = resolveCursor(s, env.rows);
    return jumpToMatch({ ...s, prompt: undefined, search: p.text }, env, cur - 1, 1);
  }
  let text = p.text;
  if (key === 'backspace') text = text.slice(0, -1);
  else if (key === 'space') text += ' ';
  else if ([...key].length === 1) text += key;
  else return s;
  let error: string | undefined;
  try {
    new RegExp(text);
  } catch (err) {
    error = (err as Error).message;
  }
  const next: UiState = { ...s, prompt: { kind: p.kind, text, error } };
  return p.kind === 'filter' && !error ? { ...next, filter: text } : next;
}

/** Global actions, before the focused pane has its say. */
function globalAction(s: UiState, action: Action, env: Env): [UiState, Effect?] | undefined {
  switch (action) {
    case 'quit':
      return [s, { kind: 'quit' }];
    case 'toggleView':
      return [{ ...s, focus: s.focus === 'layers' ? 'tree' : 'layers', message: undefined }];
    case 'filter':
      return [{ ...s, prompt: { kind: 'filter', text: s.filter } }];
    case 'toggleAttributes':
      return [{ ...s, attributes: !s.attributes }];
    case 'toggleSort':
      return [{ ...s, sort: s.sort === 'name' ? 'size' : 'name' }];
    case 'largest':
      return [{ ...s, overlay: { kind: 'largest', cursor: 0, top: 0 } }];
    case 'help':
      return [{ ...s, overlay: { kind: 'help', top: 0 } }];
    case 'platforms':
      return env.platformCount > 1
        ? [{ ...s, overlay: { kind: 'platforms', cursor: 0 } }]
        : [{ ...s, message: 'this image has one platform' }];
    case 'close':
      return [{ ...s, message: undefined }];
    default:
      return undefined;
  }
}

function clickOrWheel(s: UiState, msg: Extract<Msg, { type: 'click' | 'wheel' }>, env: Env): UiState {
  if (msg.pane === 'list') {
    const o = s.overlay;
    if (o?.kind !== 'largest' && o?.kind !== 'platforms') return s;
    const length = o.kind === 'largest' ? env.largest.length : env.platformCount;
    const base = o.kind === 'largest' ? o.top : 0;
    const cursor = clamp(
      msg.type === 'click' ? base + msg.row : o.cursor + msg.delta,
      0,
      Math.max(0, length - 1),
    );
    return { ...s, overlay: { ...o, cursor } };
  }
  if (msg.pane === 'layers') {
    const layer = msg.type === 'click' ? s.layerTop + msg.row : s.layer + msg.delta;
    if (msg.type === 'click' && layer >= env.layerCount) return { ...s, focus: 'layers' };
    return { ...moveLayer(s, env, layer), focus: 'layers' };
  }
  const cur = resolveCursor(s, env.rows);
  if (msg.type === 'wheel') return { ...moveTree(s, env, cur + msg.delta), focus: 'tree' };
  const row = s.top + msg.row;
  if (row >= env.rows.count) return { ...s, focus: 'tree' };
  const id = env.rows.ids[row] as number;
  // A click on the selected directory opens or closes it.
  if (row === cur && s.focus === 'tree' && env.isDir(id))
    return { ...s, collapsed: toggled(s.collapsed, id), cursorId: id };
  return { ...moveTree(s, env, row), focus: 'tree' };
}

/** The next state, and the side effect to run, if any. */
export function update(s: UiState, msg: Msg, env: Env): [UiState, Effect?] {
  switch (msg.type) {
    case 'prompt':
      return [s.prompt ? promptKey(s, s.prompt, msg.key, env) : s];
    case 'click':
    case 'wheel':
      return [clickOrWheel(s, msg, env)];
    case 'viewer':
      return s.overlay?.kind === 'viewer'
        ? [{ ...s, overlay: { ...s.overlay, status: msg.status, lines: msg.lines, note: msg.note } }]
        : [s];
    case 'message':
      return [{ ...s, message: msg.text }];
    case 'action': {
      if (s.overlay) return overlayAction(s, s.overlay, msg.action, env);
      const global = globalAction(s, msg.action, env);
      if (global) return global;
      return s.focus === 'tree' ? treeAction(s, msg.action, env) : [layersAction(s, msg.action, env)];
    }
  }
}
