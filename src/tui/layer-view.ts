/**
 * One layer of the timeline as the file tree shows it: which paths are there, how each is marked and
 * how much it weighs. Typed arrays over path ids, computed in one pass; the caller memoises them.
 *
 * - 'layer' mode: the merged tree as of layer N, each path marked by what layer N did to it (paths
 *   it removed are shown, marked removed); everything else is unmodified.
 * - 'aggregated' mode: the merged tree as of layer N, marked against the base layer: what layers
 *   1..N added, modified and removed.
 */
import type { IndexEntry } from '../layer/index-types.js';
import { diffEntries, entryBytes, implicitDir } from '../union/entry.js';
import type { PathEvent, Timeline } from './timeline.js';

export type ChangeMark = 'unmodified' | 'added' | 'modified' | 'removed';
export const MARKS: readonly ChangeMark[] = ['unmodified', 'added', 'modified', 'removed'];
export type TreeMode = 'layer' | 'aggregated';

/** flags: bit 0 present, bit 1 shown, bits 2-3 the mark (its index in MARKS). */
const PRESENT = 1;
export const SHOWN = 2;

export interface LayerView {
  layer: number;
  mode: TreeMode;
  flags: Uint8Array;
  /**
   * Bytes: a file's own; a directory's, the sum of what it shows (removed ones: what went). Four bytes
   * a path when every size fits (the views of every layer are kept: 5 MiB on the bench image), else eight.
   */
  sizes: Uint32Array | Float64Array;
}

export const isPresent = (v: LayerView, id: number) => ((v.flags[id] as number) & PRESENT) !== 0;
export const isShown = (v: LayerView, id: number) => ((v.flags[id] as number) & SHOWN) !== 0;
export const markOf = (v: LayerView, id: number): ChangeMark =>
  MARKS[(v.flags[id] as number) >> 2] as ChangeMark;

const MARK_OF_CHANGE: Record<PathEvent['change'], number> = {
  unchanged: 0,
  added: 1,
  modified: 2,
  removed: 3,
};

/** The mark of a path in 'aggregated' mode: the path now against the path in the base layer. */
function aggregatedMark(
  t: Timeline,
  id: number,
  last: PathEvent | undefined,
  base: LayerView,
  present: boolean,
) {
  const inBase = isPresent(base, id);
  if (!present) return inBase ? 3 : 0;
  if (!inBase) return 1;
  if (!last || last.layer === 0) return 0;
  const then = t.entryAt(id, 0) ?? implicitDir(t.paths[id] as string);
  const now = last.entry ?? implicitDir(t.paths[id] as string);
  return diffEntries(then, now).length > 0 ? 2 : 0;
}

/** The last event of every path at or below `layer` (one scan, reused by every pass). */
function lastEvents(t: Timeline, layer: number): (PathEvent | undefined)[] {
  const out = new Array<PathEvent | undefined>(t.size);
  const events = t.events;
  for (let id = 0; id < out.length; id++) {
    const list = events[id] as PathEvent[];
    let i = list.length - 1;
    while (i >= 0 && (list[i] as PathEvent).layer > layer) i--;
    out[id] = list[i];
  }
  return out;
}

/**
 * The view of `layer` in `mode`. Aggregated mode needs the base layer's view (layer 0, 'layer' mode)
 * to know what was there at the start.
 */
export function computeLayerView(t: Timeline, layer: number, mode: TreeMode, base?: LayerView): LayerView {
  const n = t.size;
  const parents = t.parents;
  const flags = new Uint8Array(n);
  const sizes = new Float64Array(n);
  const last = lastEvents(t, layer);
  // Explicit presence first; directories present only through a child are filled in below.
  for (let id = 1; id < n; id++) if (last[id]?.entry) flags[id] = PRESENT;
  flags[0] = PRESENT | SHOWN;
  for (let id = n - 1; id > 0; id--) {
    if ((flags[id] as number) & PRESENT)
      flags[parents[id] as number] = (flags[parents[id] as number] as number) | PRESENT;
  }
  const aggregated = mode === 'aggregated' && base !== undefined;
  for (let id = 1; id < n; id++) {
    const present = ((flags[id] as number) & PRESENT) !== 0;
    const e = last[id];
    let mark = 0;
    if (aggregated) mark = layer > 0 ? aggregatedMark(t, id, e, base, present) : 0;
    else if (e && e.layer === layer) mark = MARK_OF_CHANGE[e.change];
    if (present || mark === 3) flags[id] = (flags[id] as number) | SHOWN | (mark << 2);
  }
  for (let id = n - 1; id > 0; id--) {
    const f = flags[id] as number;
    if ((f & SHOWN) === 0) continue;
    const e = last[id];
    const entry = f & PRESENT ? e?.entry : (e?.old ?? e?.entry);
    if (entry && entry.kind !== 'dir') sizes[id] = (sizes[id] as number) + entryBytes(entry);
    const parent = parents[id] as number;
    // A directory weighs what it shows of its own kind: present children, or removed ones if removed.
    if (((flags[parent] as number) & PRESENT) === (f & PRESENT))
      sizes[parent] = (sizes[parent] as number) + (sizes[id] as number);
  }
  return { layer, mode, flags, sizes: compactSizes(sizes) };
}

function compactSizes(sizes: Float64Array): Uint32Array | Float64Array {
  for (const size of sizes) if (size > 0xffffffff) return sizes;
  return Uint32Array.from(sizes);
}

function shownEntry(t: Timeline, id: number, layer: number, flags: Uint8Array): IndexEntry {
  const present = ((flags[id] as number) & PRESENT) !== 0;
  const last = t.lastEvent(id, layer);
  if (present) return last?.entry ?? implicitDir(t.paths[id] as string);
  return last?.old ?? last?.entry ?? implicitDir(t.paths[id] as string);
}

/** The entry to show for a path: what is there as of the view's layer, or what was removed. */
export function entryOf(t: Timeline, v: LayerView, id: number): IndexEntry {
  return shownEntry(t, id, v.layer, v.flags);
}

/** The layer that last wrote the path (or removed it), as of the view's layer. */
export function writtenIn(t: Timeline, v: LayerView, id: number): number | undefined {
  return t.lastEvent(id, v.layer)?.layer;
}
