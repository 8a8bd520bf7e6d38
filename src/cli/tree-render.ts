/**
 * Pure helpers behind `strata tree` and `strata diff`: a view tree built from a union (or from one
 * layer's changes), pruned, sorted and flattened into rows drawn with ├── └──.
 */
import type { IndexEntry } from '../layer/index-types.js';
import { type ChangeField, entryBytes } from '../union/entry.js';
import type { LayerChange, UnionNode, UnionTree } from '../union/tree.js';
import type { ChangeKind } from '../union/diff.js';

/** One path as the tree command shows it. */
export interface ViewNode {
  path: string;
  name: string;
  entry: IndexEntry;
  /** Own bytes for non-directories; visible descendants' sum for directories. */
  size: number;
  /** The layer that last wrote the path (or removed it); undefined for a directory nobody wrote. */
  layer?: number;
  change?: ChangeKind;
  fields: readonly ChangeField[];
  children: ViewNode[];
}

const baseName = (path: string) => (path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1));

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The aggregated view: every visible path, marked A or M after the layer that last wrote it. */
export function viewFromUnion(node: UnionNode): ViewNode {
  const last = node.versions.at(-1);
  const view: ViewNode = {
    path: node.path,
    name: baseName(node.path),
    entry: node.entry,
    size: node.size,
    fields: last && last.layer !== node.addedIn ? last.fields : [],
    children: (node.children ?? []).map(viewFromUnion),
  };
  if (!node.implicit && last) {
    view.layer = last.layer;
    view.change = last.layer === node.addedIn ? 'added' : 'modified';
  }
  return view;
}

/** A directory shown only because something below it changed: its state in the tree, no marker. */
function ancestorView(path: string, tree: UnionTree): ViewNode {
  const node = tree.nodes.get(path);
  const entry = node?.entry ??
    tree.removed.get(path)?.entry ?? { path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 };
  return { path, name: baseName(path), entry, size: 0, fields: [], children: [] };
}

/** The view of what one layer did: its added, modified and removed paths, with their ancestors. */
export function viewFromChanges(changes: readonly LayerChange[], tree: UnionTree): ViewNode {
  const byPath = new Map<string, ViewNode>();
  const root = ancestorView('/', tree);
  byPath.set('/', root);
  const attach = (view: ViewNode): void => {
    byPath.set(view.path, view);
    let child = view;
    for (let p = parentOf(view.path); ; p = parentOf(p)) {
      const parent = byPath.get(p);
      if (parent) {
        parent.children.push(child);
        return;
      }
      const made = ancestorView(p, tree);
      byPath.set(p, made);
      made.children.push(child);
      child = made;
    }
  };
  for (const c of changes) {
    if (c.change === 'unchanged') continue;
    const entry = (c.change === 'removed' ? c.old : c.new) as IndexEntry;
    const fields = c.fields.filter((f) => f !== 'mtime' || c.fields.length === 1);
    const known = byPath.get(c.path);
    const view: ViewNode = known ?? {
      path: c.path,
      name: baseName(c.path),
      entry,
      size: 0,
      fields,
      children: [],
    };
    Object.assign(view, { entry, fields, change: c.change, layer: tree.top });
    if (c.path === '/') continue;
    if (!known) attach(view);
  }
  sumSizes(root);
  return root;
}

/** Directories weigh what they show; removed entries count the bytes they took away. */
function sumSizes(view: ViewNode): number {
  if (view.entry.kind !== 'dir') view.size = entryBytes(view.entry);
  else view.size = view.children.reduce((n, c) => n + sumSizes(c), 0);
  return view.size;
}

export interface PruneOptions {
  filter?: RegExp;
  only?: ReadonlySet<ChangeKind>;
}

/** Keep the nodes that pass (and their ancestors); the root always stays. */
export function prune(view: ViewNode, opts: PruneOptions): ViewNode {
  const keeps = (v: ViewNode) =>
    (!opts.filter || opts.filter.test(v.path)) &&
    (!opts.only || (v.change !== undefined && opts.only.has(v.change)));
  const walk = (v: ViewNode): ViewNode | undefined => {
    const children = v.children.map(walk).filter((c): c is ViewNode => c !== undefined);
    if (children.length === 0 && !keeps(v) && v.path !== '/') return undefined;
    return { ...v, children };
  };
  return walk(view) as ViewNode;
}

/** Children by name, or largest first (ties by name). */
export function sortView(view: ViewNode, by: 'name' | 'size'): void {
  view.children.sort((a, b) =>
    by === 'size' && a.size !== b.size ? b.size - a.size : a.name < b.name ? -1 : 1,
  );
  for (const c of view.children) sortView(c, by);
}

/** One printed line: the node and the drawing that goes before its name. */
export interface TreeRow {
  node: ViewNode;
  prefix: string;
  depth: number;
}

/** Depth-first rows below the root (the root itself first), down to `maxDepth` levels. */
export function flatten(root: ViewNode, maxDepth = Number.POSITIVE_INFINITY): TreeRow[] {
  const rows: TreeRow[] = [{ node: root, prefix: '', depth: 0 }];
  const walk = (v: ViewNode, indent: string, depth: number): void => {
    if (depth > maxDepth) return;
    v.children.forEach((c, i) => {
      const last = i === v.children.length - 1;
      rows.push({ node: c, prefix: `${indent}${last ? '└── ' : '├── '}`, depth });
      walk(c, `${indent}${last ? '    ' : '│   '}`, depth + 1);
    });
  };
  walk(root, '', 1);
  return rows;
}

/** The name as shown: links with their target. */
export function displayName(v: ViewNode): string {
  return v.entry.link !== undefined ? `${v.name} → ${v.entry.link}` : v.name;
}

export const MARKERS: Record<ChangeKind, string> = { added: 'A', modified: 'M', removed: 'D' };

const COLOURS: Record<ChangeKind, string> = { added: '\x1b[32m', modified: '\x1b[33m', removed: '\x1b[31m' };

export function colourLine(line: string, change: ChangeKind | undefined): string {
  return change ? `${COLOURS[change]}${line}\x1b[0m` : line;
}
