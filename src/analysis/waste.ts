import type { IndexEntry, LayerIndex } from '../layer/index-types.js';
import { entryBytes } from '../union/entry.js';
import { buildUnion, type RetireReason, type UnionTree } from '../union/tree.js';

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

/** A stored version and its fate: undefined while visible. */
interface Stored {
  layer: number;
  entry: IndexEntry;
  fate?: { removedIn: number; reason: RetireReason; by: string };
}

/** Every version some layer holds once unpacked, with its fate. */
function storedVersions(tree: UnionTree): Stored[] {
  const out: Stored[] = tree.retired.map((r) => ({
    layer: r.layer,
    entry: r.entry,
    fate: { removedIn: r.removedIn, reason: r.reason, by: r.by },
  }));
  for (const node of tree.nodes.values()) {
    const live = node.versions.at(-1);
    if (live && !live.implicit) out.push({ layer: live.layer, entry: live.entry });
  }
  return out;
}

/** One inode: a file or symlink and the hard links to it in the same layer. */
interface Inode {
  owner: Stored;
  members: Stored[];
}

/**
 * Group hard links with the file they point at. Docker's tar writer only links to an inode earlier
 * in the same tar, so a link joins its own layer's entry; a link to anything else adds no bytes.
 */
function inodes(stored: Stored[]): Inode[] {
  // Keyed by layer, then path: no key string built per version (120,000 of them on the bench image).
  const byLayer: Map<string, Inode>[] = [];
  const all: Inode[] = [];
  for (const s of stored) {
    if (s.entry.kind === 'file' || s.entry.kind === 'symlink') {
      const inode = { owner: s, members: [s] };
      byLayer[s.layer] ??= new Map();
      (byLayer[s.layer] as Map<string, Inode>).set(s.entry.path, inode);
    }
  }
  for (const s of stored) {
    if (s.entry.kind !== 'hardlink' || s.entry.link === undefined) continue;
    byLayer[s.layer]?.get(s.entry.link)?.members.push(s);
  }
  for (const layer of byLayer) if (layer) for (const inode of layer.values()) all.push(inode);
  return all;
}

/** The inode is visible while any of its names is; else the name that went last decides. */
function wasteOf(inode: Inode): WastedFile | undefined {
  if (inode.members.some((m) => !m.fate)) return undefined;
  let last = inode.owner;
  for (const m of inode.members) {
    if ((m.fate?.removedIn ?? 0) > (last.fate?.removedIn ?? 0)) last = m;
  }
  const fate = last.fate as NonNullable<Stored['fate']>;
  const { entry, layer } = inode.owner;
  return {
    path: entry.path,
    kind: entry.kind === 'symlink' ? 'symlink' : 'file',
    size: entryBytes(entry),
    storedIn: layer,
    ...fate,
  };
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
  for (const inode of inodes(storedVersions(tree))) {
    const { layer, entry } = inode.owner;
    layerBytes[layer] = (layerBytes[layer] ?? 0) + entryBytes(entry);
    const waste = wasteOf(inode);
    if (!waste) visibleBytes += entryBytes(entry);
    else if (waste.size > 0) files.push(waste);
  }
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
