import type { IndexEntry, LayerIndex } from '../layer/index-types.js';
import { entryBytes } from '../union/entry.js';
import { buildUnion, type RetireReason, type Retired, type UnionTree } from '../union/tree.js';

/** Bytes a layer stores that the final filesystem does not show. */
export interface WastedFile {
  path: string;
  kind: 'file' | 'symlink';
  size: number;
  /** The layer that stored the bytes. */
  storedIn: number;
  /** The layer that made them invisible, and how; `by` is the path where that happened. */
  removedIn: number;
  reason: RetireReason;
  by: string;
}

export interface WasteReport {
  /** Largest first, then by path; only the first ones when the report was asked for a few (see fileCount). */
  files: WastedFile[];
  /** How many wasted files there are: files.length unless the report holds only the first ones. */
  fileCount: number;
  wastedBytes: number;
  /** Bytes each layer stores once unpacked (files, symlink targets; each hard-linked inode once). */
  layerBytes: number[];
  /** Σ layerBytes: what the image costs on disk, unpacked. */
  imageBytes: number;
  /** Bytes the final filesystem shows; imageBytes = visibleBytes + wastedBytes. */
  visibleBytes: number;
  /** visibleBytes / imageBytes: the share of stored bytes that are still visible (1 when nothing is stored). */
  efficiency: number;
  /** The first `layers` layers are the base; the rest are what the image adds on top. */
  base: { layers: number; sizeBytes: number; wastedBytes: number };
  user: {
    sizeBytes: number;
    /** Waste the upper layers cause: bytes removed or replaced by a layer at index ≥ base.layers. */
    wastedBytes: number;
    /** user.wastedBytes / wastedBytes (0 when there is no waste). */
    shareOfWaste: number;
    /** user.wastedBytes / user.sizeBytes; null when the upper layers store nothing. */
    wastedPercent: number | null;
  };
}

/** How a stored version left the view; undefined while it is visible. */
type Fate = Pick<Retired, 'removedIn' | 'reason' | 'by'> | undefined;

/**
 * Every version some layer holds once unpacked, with its fate: the retired ones, then the visible
 * ones. Passed one at a time, not gathered: an object per version was 120,000 of them on the bench image.
 */
function eachStored(tree: UnionTree, visit: (layer: number, entry: IndexEntry, fate: Fate) => void): void {
  for (const r of tree.retired) visit(r.layer, r.entry, r);
  for (const node of tree.nodes.values()) {
    const live = node.versions.at(-1);
    if (live && !live.implicit) visit(live.layer, live.entry, undefined);
  }
}

/**
 * The fates of the hard links of each layer, by the path they link to. Docker's tar writer only links
 * to an inode earlier in the same tar, so a link joins its own layer's file; a link to anything else
 * adds no bytes.
 */
function hardLinkFates(tree: UnionTree): Map<string, Fate[]>[] {
  const byLayer: Map<string, Fate[]>[] = [];
  eachStored(tree, (layer, entry, fate) => {
    if (entry.kind !== 'hardlink' || entry.link === undefined) return;
    byLayer[layer] ??= new Map();
    const links = byLayer[layer] as Map<string, Fate[]>;
    const fates = links.get(entry.link);
    if (fates) fates.push(fate);
    else links.set(entry.link, [fate]);
  });
  return byLayer;
}

/**
 * An inode (a file or symlink and its hard links in the same layer) is visible while any of its names
 * is; else the name that went last decides how it went.
 */
function lastFate(own: Fate, links: readonly Fate[] | undefined): Fate {
  if (!own) return undefined;
  let last = own;
  for (const link of links ?? []) {
    if (!link) return undefined;
    if (link.removedIn > last.removedIn) last = link;
  }
  return last;
}

function byWaste(a: WastedFile, b: WastedFile): number {
  if (a.size !== b.size) return b.size - a.size;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.storedIn - b.storedIn;
}

/**
 * Every byte some layer stores that the final filesystem does not show, with who stored it and what
 * hid it. Symlinks weigh the length of their target (as the engine's layer database counts them);
 * hard links weigh nothing and keep their inode visible. `baseLayers` (default 1) splits base from
 * user layers.
 */
export function analyseWaste(
  indexes: readonly LayerIndex[],
  options: { baseLayers?: number } = {},
): WasteReport {
  return wasteOfUnion(buildUnion(indexes), indexes.length, options);
}

/** analyseWaste from the merged filesystem of all `layers` layers, for a caller that has built it. */
export function wasteOfUnion(
  tree: UnionTree,
  layers: number,
  options: { baseLayers?: number } = {},
): WasteReport {
  if (tree.top !== layers - 1) throw new Error(`the union holds ${tree.top + 1} layers, not ${layers}`);
  const baseLayers = options.baseLayers ?? 1;
  const layerBytes = new Array<number>(layers).fill(0);
  const files: WastedFile[] = [];
  let visibleBytes = 0;
  const links = hardLinkFates(tree);
  eachStored(tree, (layer, entry, own) => {
    if (entry.kind !== 'file' && entry.kind !== 'symlink') return;
    const size = entryBytes(entry);
    layerBytes[layer] = (layerBytes[layer] ?? 0) + size;
    const fate = lastFate(own, links[layer]?.get(entry.path));
    if (!fate) visibleBytes += size;
    else if (size > 0) {
      const { removedIn, reason, by } = fate;
      files.push({ path: entry.path, kind: entry.kind, size, storedIn: layer, removedIn, reason, by });
    }
  });
  files.sort(byWaste);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const imageBytes = sum(layerBytes);
  const wastedBytes = sum(files.map((f) => f.size));
  const userWasted = sum(files.filter((f) => f.removedIn >= baseLayers).map((f) => f.size));
  const baseSize = sum(layerBytes.slice(0, baseLayers));
  const userSize = imageBytes - baseSize;
  return {
    files,
    fileCount: files.length,
    wastedBytes,
    layerBytes,
    imageBytes,
    visibleBytes,
    efficiency: imageBytes === 0 ? 1 : visibleBytes / imageBytes,
    base: { layers: baseLayers, sizeBytes: baseSize, wastedBytes: wastedBytes - userWasted },
    user: {
      sizeBytes: userSize,
      wastedBytes: userWasted,
      shareOfWaste: wastedBytes === 0 ? 0 : userWasted / wastedBytes,
      wastedPercent: userSize === 0 ? null : userWasted / userSize,
    },
  };
}
