/**
 * The file tree as rows: the shown paths of a layer view, pruned by the hidden marks and the filter
 * (ancestors of what stays, stay), sorted, and flattened depth first without entering collapsed
 * directories. Only ids, depths and "last child" bits are stored; the pane draws the few rows it shows.
 */
import { type ChangeMark, type LayerView, MARKS, SHOWN, entryOf } from './layer-view.js';
import type { Timeline } from './timeline.js';

export type SortOrder = 'name' | 'size';

export interface RowOptions {
  hide: ReadonlySet<ChangeMark>;
  /** The filter as a regular expression, or already applied to every path (1 where it matches). */
  filter?: RegExp | Uint8Array;
  collapsed: ReadonlySet<number>;
  sort: SortOrder;
}

export interface Rows {
  count: number;
  ids: Int32Array;
  depth: Uint16Array;
  /** 1 when the row is the last shown child of its directory. */
  last: Uint8Array;
  /** Row of each path id, -1 when it has none. */
  readonly rowOf: Int32Array;
}

/**
 * Rows whose id → row map is made when first read: rows made ahead while loading (every layer's first
 * screen) are mostly never shown, and the map is 4 bytes per path of the image for each.
 */
class RowSet implements Rows {
  private byId?: Int32Array;

  constructor(
    readonly count: number,
    readonly ids: Int32Array,
    readonly depth: Uint16Array,
    readonly last: Uint8Array,
    private readonly paths: number,
  ) {}

  get rowOf(): Int32Array {
    if (!this.byId) {
      this.byId = new Int32Array(this.paths).fill(-1);
      for (let row = 0; row < this.count; row++) this.byId[this.ids[row] as number] = row;
    }
    return this.byId;
  }
}

/** Whether each path passes the marks and the filter itself, or has a descendant that does. */
function keptPaths(t: Timeline, v: LayerView, opts: RowOptions): Uint8Array {
  const n = v.flags.length;
  const kept = new Uint8Array(n);
  const { flags } = v;
  const parents = t.parents;
  // Bit m of `hidden` set when the mark MARKS[m] is hidden; flags hold the mark in bits 2-3.
  let hidden = 0;
  MARKS.forEach((m, i) => {
    if (opts.hide.has(m)) hidden |= 1 << i;
  });
  const filter = opts.filter;
  const bits = filter instanceof Uint8Array ? filter : undefined;
  const re = filter instanceof RegExp ? filter : undefined;
  for (let id = n - 1; id > 0; id--) {
    const f = flags[id] as number;
    if ((f & SHOWN) === 0) continue;
    if (!kept[id]) {
      if ((hidden >> (f >> 2)) & 1) continue;
      if (bits ? bits[id] !== 1 : re ? !re.test(t.paths[id] as string) : false) continue;
      kept[id] = 1;
    }
    kept[parents[id] as number] = 1;
  }
  return kept;
}

/** Children largest first, per view (sizes differ by layer), sorted once each. */
const bySize = new WeakMap<LayerView, Map<number, number[]>>();

/** Children in the chosen order: by name (the timeline's), or largest first (stable: ties by name). */
function orderedChildren(t: Timeline, v: LayerView, id: number, sort: SortOrder): number[] {
  const list = t.children[id] as number[];
  if (sort === 'name' || list.length < 2) return list;
  let memo = bySize.get(v);
  if (!memo) {
    memo = new Map();
    bySize.set(v, memo);
  }
  let sorted = memo.get(id);
  if (!sorted) {
    sorted = largestFirst(list, v.sizes);
    memo.set(id, sorted);
  }
  return sorted;
}

/** Name ranks a packed sort key leaves room for, and the sizes that still pack exactly (below 8 GiB). */
const RANKS = 2 ** 20;
const PACKED_SIZES = 2 ** 53 / RANKS;
let keyScratch = new Float64Array(1024);

/**
 * `list` (in name order) largest first, ties in name order. Each child's size and name rank are packed
 * into one number, so the engine's numeric sort does the work: with a comparator function, the first
 * size sort of a layer of the bench image took 40 ms. A directory too large to pack is sorted the slow way.
 */
export function largestFirst(list: readonly number[], sizes: ArrayLike<number>): number[] {
  const n = list.length;
  if (keyScratch.length < n) keyScratch = new Float64Array(n);
  const keys = keyScratch.subarray(0, n);
  for (let rank = 0; rank < n; rank++) {
    const size = sizes[list[rank] as number] as number;
    if (size >= PACKED_SIZES || n > RANKS)
      return [...list].sort((a, b) => (sizes[b] as number) - (sizes[a] as number));
    // Ascending keys end with the largest size and, among equal sizes, the first name.
    keys[rank] = size * RANKS + (RANKS - 1 - rank);
  }
  keys.sort();
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = list[RANKS - 1 - ((keys[n - 1 - i] as number) % RANKS)] as number;
  return out;
}

/** Flatten the view into rows; see the module comment. Iterative, into preallocated arrays. */
export function flattenRows(t: Timeline, v: LayerView, opts: RowOptions): Rows {
  const n = v.flags.length;
  const kept = keptPaths(t, v, opts);
  let count = 0;
  for (let id = 1; id < n; id++) count += kept[id] as number;
  const ids = new Int32Array(count);
  const depth = new Uint16Array(count);
  const last = new Uint8Array(count);
  // A stack of frames (children in order, next position, position of the last kept child), one per
  // depth; the children lists are the timeline's or the sorted ones, never copied.
  const lists: (readonly number[])[] = [];
  const positions: number[] = [];
  const lastKept: number[] = [];
  const isKept = (c: number) => c < n && kept[c] === 1;
  const push = (dir: number) => {
    const list = orderedChildren(t, v, dir, opts.sort);
    let end = list.length - 1;
    while (end >= 0 && !isKept(list[end] as number)) end--;
    lists.push(list);
    positions.push(0);
    lastKept.push(end);
  };
  const collapsed = opts.collapsed.size > 0 ? opts.collapsed : undefined;
  push(0);
  let row = 0;
  while (lists.length > 0) {
    const top = lists.length - 1;
    const list = lists[top] as readonly number[];
    const end = lastKept[top] as number;
    let pos = positions[top] as number;
    while (pos <= end && !isKept(list[pos] as number)) pos++;
    if (pos > end) {
      lists.pop();
      positions.pop();
      lastKept.pop();
      continue;
    }
    positions[top] = pos + 1;
    const id = list[pos] as number;
    ids[row] = id;
    depth[row] = top;
    last[row] = pos === end ? 1 : 0;
    row++;
    if (!collapsed?.has(id) && (t.children[id] as number[]).length > 0) push(id);
  }
  return new RowSet(row, ids, depth, last, n);
}

/** The ├── └── drawing before a row's name, built from its ancestors' rows. */
export function rowPrefix(t: Timeline, rows: Rows, row: number): string {
  const id = rows.ids[row] as number;
  let out = rows.last[row] ? '└── ' : '├── ';
  for (let p = t.parents[id] as number; p > 0; p = t.parents[p] as number) {
    const r = rows.rowOf[p] as number;
    out = (r >= 0 && rows.last[r] ? '    ' : '│   ') + out;
  }
  return out;
}

/** Whether a row is a directory (it can be collapsed), by the entry it shows. */
export function isDirRow(t: Timeline, v: LayerView, rows: Rows, row: number): boolean {
  const id = rows.ids[row];
  return id !== undefined && entryOf(t, v, id).kind === 'dir';
}

/** The next row at or after `from` (backwards: at or before), wrapping, whose path matches. */
export function findMatch(
  t: { paths: readonly string[] },
  rows: Rows,
  query: RegExp,
  from: number,
  direction: 1 | -1,
): number | undefined {
  for (let k = 0; k < rows.count; k++) {
    const row = (((from + direction * k) % rows.count) + rows.count) % rows.count;
    if (query.test(t.paths[rows.ids[row] as number] as string)) return row;
  }
  return undefined;
}

/** The rows whose path matches, in order. */
export function matchRows(t: { paths: readonly string[] }, rows: Rows, query: RegExp): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows.count; r++) if (query.test(t.paths[rows.ids[r] as number] as string)) out.push(r);
  return out;
}
