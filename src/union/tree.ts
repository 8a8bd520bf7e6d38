import type { IndexEntry, LayerIndex } from '../layer/index-types.js';
import { type ChangeField, NO_FIELDS, diffEntries, entryBytes, implicitDir } from './entry.js';

/** Why a path stopped being visible. `by` (on the records below) names the path where it happened. */
export type RemovalReason =
  /** `.wh.<name>` for this very path. */
  | 'whiteout'
  /** `.wh.<name>` for an ancestor directory. */
  | 'dir-whiteout'
  /** An ancestor directory was made opaque. */
  | 'opaque'
  /** This path, or an ancestor, was replaced by an entry of another type (file over dir, dir over file, …). */
  | 'type-replaced';

/** Why a stored version of a path is no longer what the merged filesystem shows. */
export type RetireReason = RemovalReason | 'overwritten';

/** One entry a layer put at a path; `fields` says what it changed from the version before. */
export interface Version {
  layer: number;
  entry: IndexEntry;
  fields: readonly ChangeField[];
  /** A directory no layer listed, made because a child needed it. */
  implicit?: true;
}

export interface UnionNode {
  readonly path: string;
  /** null for the root, and for a node once it has been removed. */
  parent: UnionNode | null;
  /**
   * Children of a directory (null for everything else). While building, removed children linger
   * (their parent is null) so removal costs no search; buildUnion returns only live ones.
   */
  children: UnionNode[] | null;
  /** The entry visible now (a synthetic 0755 root directory when `implicit`). */
  entry: IndexEntry;
  implicit: boolean;
  /** The layer that made the path appear (this incarnation: a re-add after a removal starts anew). */
  addedIn: number;
  /** Every entry layers put here since `addedIn`, oldest first, one per layer. */
  versions: Version[];
  /** Bytes: the entry's for non-directories, the sum over visible descendants for directories. */
  size: number;
}

/** A path that was visible in some lower stack and is not any more. */
export interface Removal {
  path: string;
  /** The entry it had when it went. */
  entry: IndexEntry;
  addedIn: number;
  removedIn: number;
  reason: RemovalReason;
  by: string;
}

/** A stored version that the merged filesystem no longer shows. */
export interface Retired {
  path: string;
  layer: number;
  entry: IndexEntry;
  removedIn: number;
  reason: RetireReason;
  by: string;
}

/** One path the top layer touched, compared with the stack below it. */
export interface LayerChange {
  path: string;
  /** 'unchanged': the layer lists the path with nothing different (a directory re-emitted, say). */
  change: 'added' | 'modified' | 'removed' | 'unchanged';
  old?: IndexEntry;
  new?: IndexEntry;
  fields: readonly ChangeField[];
  reason?: RemovalReason;
  by?: string;
}

export interface UnionTree {
  /** Index of the top layer applied; -1 for an empty stack. */
  top: number;
  root: UnionNode;
  /** Every visible path, '/' included. */
  nodes: Map<string, UnionNode>;
  /** Paths visible in some lower stack and gone now. */
  removed: Map<string, Removal>;
  /** Stored versions no longer visible, in the order they were retired. */
  retired: Retired[];
  /** What the top layer changed, sorted by path. */
  changes: LayerChange[];
}

/** The lower state of a path the top layer touched: null when it did not exist. */
type Before = { entry: IndexEntry; implicit: boolean } | null;

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function makeNode(path: string, parent: UnionNode | null, entry: IndexEntry, layer: number): UnionNode {
  return {
    path,
    parent,
    children: entry.kind === 'dir' ? [] : null,
    entry,
    implicit: false,
    addedIn: layer,
    versions: [],
    size: 0,
  };
}

/** A removed node has lost its parent link; one re-added later is a different node. */
function liveChildren(node: UnionNode): UnionNode[] {
  return (node.children ?? []).filter((c) => c.parent === node);
}

const isMarker = (e: IndexEntry) => e.kind === 'whiteout' || e.kind === 'opaque';

/** Applies layers one by one to a mutable path map; only buildUnion sees it. */
class UnionBuilder {
  readonly root = makeNode('/', null, implicitDir('/'), 0);
  readonly nodes = new Map<string, UnionNode>([['/', this.root]]);
  readonly removed = new Map<string, Removal>();
  readonly retired: Retired[] = [];
  private layer = 0;
  private touched: Map<string, Before> | null = null;
  /** The directory the previous entry went into: tar order keeps siblings together. */
  private lastDir: UnionNode = this.root;

  constructor() {
    this.root.implicit = true;
  }

  apply(index: LayerIndex, layer: number, track: boolean): void {
    this.layer = layer;
    this.touched = track ? new Map() : null;
    // Markers act on the stack below only, so they go first whatever the tar order.
    for (const e of index.entries) {
      if (e.kind === 'whiteout') this.whiteout(e.path);
      else if (e.kind === 'opaque') this.opaque(e.path);
    }
    for (const e of index.entries) if (!isMarker(e)) this.put(e);
  }

  changes(): LayerChange[] {
    const out: LayerChange[] = [];
    for (const [path, before] of this.touched ?? []) {
      const change = this.classify(path, before);
      if (change) out.push(change);
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private classify(path: string, before: Before): LayerChange | undefined {
    const now = this.nodes.get(path);
    if (!before)
      return now && !now.implicit ? { path, change: 'added', new: now.entry, fields: NO_FIELDS } : undefined;
    if (!now) {
      const gone = this.removed.get(path);
      return {
        path,
        change: 'removed',
        old: before.entry,
        fields: NO_FIELDS,
        reason: gone?.reason,
        by: gone?.by,
      };
    }
    if (before.implicit && now.implicit) return undefined;
    const fields = diffEntries(before.entry, now.entry);
    return {
      path,
      change: fields.length ? 'modified' : 'unchanged',
      old: before.entry,
      new: now.entry,
      fields,
    };
  }

  /** Remember a path's lower state the first time the top layer touches it. */
  private touch(path: string, node: UnionNode | undefined): void {
    if (this.touched && !this.touched.has(path)) {
      this.touched.set(path, node ? { entry: node.entry, implicit: node.implicit } : null);
    }
  }

  private whiteout(path: string): void {
    const node = this.nodes.get(path);
    if (node && node !== this.root) this.removeTree(node, 'whiteout', 'dir-whiteout', path);
  }

  private opaque(path: string): void {
    const node = this.nodes.get(path);
    if (!node?.children) return;
    for (const child of liveChildren(node)) this.removeTree(child, 'opaque', 'opaque', path);
  }

  private put(e: IndexEntry): void {
    if (e.path === '/') {
      if (e.kind === 'dir') this.setRootEntry(e);
      return;
    }
    const parent = this.parentDir(e.path);
    const existing = this.nodes.get(e.path);
    if (!existing) {
      this.touch(e.path, undefined);
      const node = makeNode(e.path, parent, e, this.layer);
      parent.children?.push(node);
      this.nodes.set(e.path, node);
      if (this.removed.size > 0) this.removed.delete(e.path);
      this.pushVersion(node, e);
      return;
    }
    this.touch(e.path, existing);
    const isDir = e.kind === 'dir';
    if (existing.children && isDir) {
      // Directory over directory merges: only the metadata changes.
      this.pushVersion(existing, e);
      return;
    }
    if (existing.children) {
      for (const child of liveChildren(existing))
        this.removeTree(child, 'type-replaced', 'type-replaced', e.path);
    }
    this.retireLive(existing, existing.entry.kind === e.kind ? 'overwritten' : 'type-replaced', e.path);
    existing.children = isDir ? [] : null;
    this.pushVersion(existing, e);
  }

  private setRootEntry(e: IndexEntry): void {
    this.touch('/', this.root);
    this.pushVersion(this.root, e);
  }

  /** The parent directory of `path`, reusing the previous entry's when it is the same and still there. */
  private parentDir(path: string): UnionNode {
    const cut = path.lastIndexOf('/');
    const last = this.lastDir;
    const alive = last === this.root || last.parent !== null;
    const same = cut === 0 ? last === this.root : cut === last.path.length && path.startsWith(last.path);
    if (same && alive && last.children) return last;
    this.lastDir = this.ensureDir(cut <= 0 ? '/' : path.slice(0, cut));
    return this.lastDir;
  }

  /** The directory at `path`, made (and its parents) when missing; a non-directory there gives way. */
  private ensureDir(path: string): UnionNode {
    const found = this.nodes.get(path);
    if (found?.children) return found;
    const parent = this.ensureDir(parentOf(path));
    const entry = implicitDir(path);
    this.touch(path, found);
    if (found) {
      this.retireLive(found, 'type-replaced', path);
      found.children = [];
      this.pushVersion(found, entry, true);
      return found;
    }
    const node = makeNode(path, parent, entry, this.layer);
    node.implicit = true;
    parent.children?.push(node);
    this.nodes.set(path, node);
    if (this.removed.size > 0) this.removed.delete(path);
    return node;
  }

  private pushVersion(node: UnionNode, entry: IndexEntry, implicit = false): void {
    // A path listed twice in one layer: the later entry is what the layer holds.
    const kept = node.versions.at(-1)?.layer === this.layer ? node.versions.slice(0, -1) : node.versions;
    const prev = kept.at(-1)?.entry ?? (node.addedIn < this.layer ? node.entry : undefined);
    const version: Version = {
      layer: this.layer,
      entry,
      fields: prev ? diffEntries(prev, entry) : NO_FIELDS,
    };
    if (implicit) version.implicit = true;
    // A copy at its size, not a push: a pushed array reserves 17 slots (152 bytes) for the one or two
    // versions nearly every path has, 18 MiB on the 95,000-path bench image.
    node.versions = kept.length === 0 ? [version] : kept.concat(version);
    node.entry = entry;
    node.implicit = implicit;
  }

  /** The live version leaves the view; a version from this very layer was never stored, so is dropped. */
  private retireLive(node: UnionNode, reason: RetireReason, by: string): void {
    const live = node.versions.at(-1);
    if (!live || live.implicit || live.layer === this.layer) return;
    this.retired.push({
      path: node.path,
      layer: live.layer,
      entry: live.entry,
      removedIn: this.layer,
      reason,
      by,
    });
  }

  private removeTree(top: UnionNode, own: RemovalReason, below: RemovalReason, by: string): void {
    const stack = [top];
    for (let node = stack.pop(); node; node = stack.pop()) {
      const reason = node === top ? own : below;
      node.parent = null;
      this.touch(node.path, node);
      this.retireLive(node, reason, by);
      this.nodes.delete(node.path);
      if (node.addedIn < this.layer) {
        this.removed.set(node.path, {
          path: node.path,
          entry: node.entry,
          addedIn: node.addedIn,
          removedIn: this.layer,
          reason,
          by,
        });
      }
      if (node.children) stack.push(...liveChildren(node));
    }
  }
}

/** Fill in sizes bottom-up (a directory weighs its visible descendants), dropping removed children. */
function computeSizes(node: UnionNode): number {
  if (!node.children) {
    node.size = entryBytes(node.entry);
    return node.size;
  }
  node.children = liveChildren(node);
  let total = 0;
  for (const child of node.children) total += computeSizes(child);
  node.size = total;
  return total;
}

/**
 * The merged filesystem of layers 0..upTo, with the provenance of every path and what layer `upTo`
 * changed. Follows the OCI rules: whiteouts and opaque markers act on lower layers only (before the
 * layer's own entries), a non-directory over a directory takes the directory's contents with it, and
 * links are entries, never followed.
 */
export function buildUnion(indexes: readonly LayerIndex[], upTo = indexes.length - 1): UnionTree {
  const top = Math.min(upTo, indexes.length - 1);
  const builder = new UnionBuilder();
  for (let layer = 0; layer <= top; layer++) {
    builder.apply(indexes[layer] as LayerIndex, layer, layer === top);
  }
  return treeOf(builder, top);
}

/** The builder's state as a UnionTree, directory sizes counted; `top` is the last layer applied. */
function treeOf(builder: UnionBuilder, top: number): UnionTree {
  computeSizes(builder.root);
  return {
    top,
    root: builder.root,
    nodes: builder.nodes,
    removed: builder.removed,
    retired: builder.retired,
    changes: builder.changes(),
  };
}

/** What layer `n` changed, against the stack of layers 0..n-1. */
export function layerChanges(indexes: readonly LayerIndex[], n: number): LayerChange[] {
  return buildUnion(indexes, n).changes;
}

/**
 * What each layer changed, one layer at a time, base first, in one pass over the stack: for readers
 * that want every layer's changes (layerChanges for each n would rebuild the stack each time) or that
 * receive layers as they are read.
 */
export class LayerChangeStepper {
  private readonly builder = new UnionBuilder();
  private next = 0;

  /** Layers applied so far. */
  get layers(): number {
    return this.next;
  }

  /** Apply the next layer up; what it changed, sorted by path. */
  step(index: LayerIndex): LayerChange[] {
    this.builder.apply(index, this.next++, true);
    return this.builder.changes();
  }

  /**
   * The merged filesystem of the layers applied so far, as buildUnion gives it for them: for a reader
   * that stepped through every layer and wants the union too, without building it a second time. The
   * stepper must not step again afterwards.
   */
  union(): UnionTree {
    return treeOf(this.builder, this.next - 1);
  }
}

export interface Provenance {
  addedIn: number;
  modified: { layer: number; fields: readonly ChangeField[] }[];
}

/** The layer that added a visible path and the layers that changed it since (and how). */
export function provenanceOf(node: UnionNode): Provenance {
  const modified = node.versions
    .filter((v) => v.layer !== node.addedIn)
    .map((v) => ({ layer: v.layer, fields: v.fields }));
  return { addedIn: node.addedIn, modified };
}

/** A path's state in the tree: visible (with its node), removed (with why), or never seen. */
export function lookupPath(
  tree: UnionTree,
  path: string,
): { visible: UnionNode } | { removed: Removal } | undefined {
  const node = tree.nodes.get(path);
  if (node) return { visible: node };
  const gone = tree.removed.get(path);
  return gone ? { removed: gone } : undefined;
}
