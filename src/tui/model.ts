/**
 * What the screen is drawn from, memoised: a layer view per (layer, mode) — kept, since a layer's
 * view never changes once the layer is in the timeline — and the rows of the last few option sets.
 * A key press that only moves the cursor computes nothing here.
 */
import { entryBytes } from '../union/entry.js';
import {
  type ChangeMark,
  type LayerView,
  type TreeMode,
  computeLayerView,
  entryOf,
  isPresent,
} from './layer-view.js';
import { type RowOptions, type Rows, type SortOrder, flattenRows } from './rows.js';
import type { Timeline } from './timeline.js';

export interface TreeParams {
  layer: number;
  mode: TreeMode;
  hide: ReadonlySet<ChangeMark>;
  filter: string;
  collapsed: ReadonlySet<number>;
  sort: SortOrder;
}

export interface LargestFile {
  id: number;
  size: number;
  /** The layer that wrote the file's current content. */
  layer: number;
}

const EMPTY_ROWS: Rows = {
  count: 0,
  ids: new Int32Array(0),
  depth: new Uint16Array(0),
  last: new Uint8Array(0),
  rowOf: new Int32Array(0),
};

/** Views kept at most (two per layer for images up to this many layers / 2). */
const MAX_VIEWS = 128;
/**
 * Row sets kept (each up to ~1 MB on a 100,000-path image): the default rows of every layer made while
 * loading, for images of up to 8 layers, and the last few others.
 */
const MAX_ROWS = 16;

export class TreeModel {
  private readonly views = new Map<string, LayerView>();
  private readonly rowCache: { key: string; view: LayerView; rows: Rows }[] = [];
  private largestFiles?: { layers: number; list: LargestFile[] };
  private readonly filterCache: { source: string; size: number; bits: Uint8Array }[] = [];
  private dirs?: { size: number; list: number[] };

  constructor(readonly timeline: Timeline) {}

  /** The view of a layer the timeline has, else undefined (still being read). */
  view(layer: number, mode: TreeMode): LayerView | undefined {
    const t = this.timeline;
    if (layer < 0 || layer >= t.layers) return undefined;
    const key = `${mode}:${layer}`;
    const known = this.views.get(key);
    if (known) {
      this.views.delete(key);
      this.views.set(key, known);
      return known;
    }
    const base = mode === 'aggregated' && layer > 0 ? this.view(0, 'layer') : undefined;
    const made = computeLayerView(t, layer, mode, base);
    this.views.set(key, made);
    if (this.views.size > MAX_VIEWS) this.views.delete(this.views.keys().next().value as string);
    return made;
  }

  /** The rows for these parameters (empty while the layer is not in yet). */
  rows(p: TreeParams): Rows {
    const view = this.view(p.layer, p.mode);
    if (!view) return EMPTY_ROWS;
    const key = rowsKey(p);
    const hit = this.rowCache.find((r) => r.view === view && r.key === key);
    if (hit) return hit.rows;
    const opts: RowOptions = {
      hide: p.hide,
      collapsed: p.collapsed,
      sort: p.sort,
      filter: this.matches(p.filter),
    };
    const rows = flattenRows(this.timeline, view, opts);
    this.rowCache.unshift({ key, view, rows });
    if (this.rowCache.length > MAX_ROWS) this.rowCache.pop();
    return rows;
  }

  /**
   * Which paths the filter matches, one regular-expression test per path, remembered for a few filters.
   * A plain text that contains an earlier one (typing on) is only tested on the paths the earlier matched.
   */
  private matches(filter: string): Uint8Array | undefined {
    const re = compile(filter);
    if (!re) return undefined;
    const t = this.timeline;
    const hit = this.filterCache.find((f) => f.source === filter && f.size === t.size);
    if (hit) return hit.bits;
    const within = isPlainText(filter)
      ? this.filterCache.find((f) => f.size === t.size && isPlainText(f.source) && filter.includes(f.source))
          ?.bits
      : undefined;
    const { paths, size } = t;
    const bits = new Uint8Array(size);
    for (let id = 1; id < size; id++) {
      if (within && within[id] === 0) continue;
      bits[id] = re.test(paths[id] as string) ? 1 : 0;
    }
    this.filterCache.unshift({ source: filter, size: t.size, bits });
    if (this.filterCache.length > 8) this.filterCache.pop();
    return bits;
  }

  /** Every visible regular file at the top, largest first. */
  largest(): LargestFile[] {
    const t = this.timeline;
    if (this.largestFiles?.layers === t.layers) return this.largestFiles.list;
    const top = this.view(t.layers - 1, 'layer');
    const list: LargestFile[] = [];
    if (top) {
      for (let id = 1; id < t.size; id++) {
        const e = isPresent(top, id) ? t.lastEvent(id, top.layer) : undefined;
        if (e?.entry && e.entry.kind === 'file') list.push({ id, size: entryBytes(e.entry), layer: e.layer });
      }
      list.sort(
        (a, b) => b.size - a.size || (t.paths[a.id] as string).localeCompare(t.paths[b.id] as string),
      );
    }
    this.largestFiles = { layers: t.layers, list };
    return list;
  }

  /** Every path with children, for collapse all. */
  allDirs(): number[] {
    const t = this.timeline;
    if (this.dirs?.size === t.size) return this.dirs.list;
    const list: number[] = [];
    for (let id = 1; id < t.size; id++) if ((t.children[id] as number[]).length > 0) list.push(id);
    this.dirs = { size: t.size, list };
    return list;
  }

  isDir(layer: number, mode: TreeMode, id: number): boolean {
    const view = this.view(layer, mode);
    return view !== undefined && id < view.flags.length && entryOf(this.timeline, view, id).kind === 'dir';
  }

  /**
   * Make a layer's two views, and their rows as the screen first shows them, now (while loading), so
   * that switching to the layer later costs a key press nothing.
   */
  async warm(layer: number, step: () => Promise<void>): Promise<void> {
    for (const mode of ['layer', 'aggregated'] as const) {
      if (this.views.size >= MAX_VIEWS) return;
      this.rows({ layer, mode, hide: NONE, filter: '', collapsed: NONE, sort: 'name' });
      await step();
    }
  }
}

/** A filter without regular-expression syntax matches the paths that contain it, as text. */
const isPlainText = (source: string) => !/[\\^$.*+?()[\]{}|]/.test(source);

const compiled = new Map<string, RegExp | undefined>();

/** The filter as a regular expression (an invalid one filters nothing: the prompt shows the error). */
export function compile(source: string): RegExp | undefined {
  if (source === '') return undefined;
  if (!compiled.has(source)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(source);
    } catch {
      re = undefined;
    }
    if (compiled.size > 100) compiled.clear();
    compiled.set(source, re);
  }
  return compiled.get(source);
}

/** The part of the rows' parameters not in the view: collapse sets are compared by identity. */
const collapsedIds = new WeakMap<ReadonlySet<number>, number>();
let nextCollapsedId = 0;

const NONE: ReadonlySet<never> = new Set();

function rowsKey(p: TreeParams): string {
  let cid: number | string | undefined = p.collapsed.size === 0 ? 'none' : collapsedIds.get(p.collapsed);
  if (cid === undefined) {
    cid = nextCollapsedId++;
    collapsedIds.set(p.collapsed, cid);
  }
  return `${[...p.hide].sort().join(',')}|${p.sort}|${cid}|${p.filter}`;
}
