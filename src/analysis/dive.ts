import type { LayerIndex } from '../layer/index-types.js';

/**
 * dive's numbers, reproduced with its algorithm and its mistakes (see docs on dive §2.1–2.2): each
 * layer is a tree of tar names in which whiteouts are nodes called `.wh.<name>` and the opaque
 * marker is dropped; only leaves are counted; a whiteout weighs its target's subtree when the target
 * was a directory in the stack below and 0 otherwise; every path seen in two or more layers is
 * "inefficient" and all its copies count as waste.
 */

const WHITEOUT = '.wh.';
const OPAQUE_PREFIX = '.wh..wh..';

/** dive's FileInfo, as far as its numbers use it. Parents no entry names get { size 0, isDir false }. */
interface Info {
  size: number;
  isDir: boolean;
}

interface DNode {
  name: string;
  parent: DNode | null;
  children: Map<string, DNode>;
  info: Info;
}

const EMPTY: Info = { size: 0, isDir: false };

function newNode(name: string, parent: DNode | null, info: Info): DNode {
  return { name, parent, children: new Map(), info };
}

function names(path: string): string[] {
  return path.split('/').filter((n) => n !== '');
}

/** Go's sort.Strings order (bytewise UTF-8); plain comparison agrees for ASCII. */
function goLess(a: string, b: string): number {
  if (/[^\x00-\x7f]/.test(a + b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedChildren(node: DNode): DNode[] {
  return [...node.children.values()].sort((x, y) => goLess(x.name, y.name));
}

/** dive's Path(): names from the root, the node's own `.wh.` prefix stripped. */
function keyOf(node: DNode): string {
  const parts: string[] = [];
  for (let n: DNode | null = node; n?.parent; n = n.parent) {
    parts.unshift(n === node && n.name.startsWith(WHITEOUT) ? n.name.slice(WHITEOUT.length) : n.name);
  }
  return `/${parts.join('/')}`;
}

/** AddPath: walk/create intermediates (empty info); stop silently at an opaque marker; set info at the end. */
function addPath(root: DNode, path: string, info: Info): void {
  const parts = names(path);
  let node = root;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i] as string;
    let child = node.children.get(name);
    if (!child) {
      if (name.startsWith(OPAQUE_PREFIX)) return;
      child = newNode(name, node, EMPTY);
      node.children.set(name, child);
    }
    node = child;
    if (i === parts.length - 1) node.info = info;
  }
}

function getNode(root: DNode, path: string): DNode | undefined {
  let node: DNode | undefined = root;
  for (const name of names(path)) {
    node = node.children.get(name);
    if (!node) return undefined;
  }
  return node;
}

function copyTree(node: DNode, parent: DNode | null): DNode {
  const out = newNode(node.name, parent, node.info);
  for (const [name, child] of node.children) out.children.set(name, copyTree(child, out));
  return out;
}

/** Children first, sorted by name; the root is never visited. Returns false when a visit aborts the walk. */
function visitChildFirst(node: DNode, visit: (n: DNode) => boolean, onlyLeaves: boolean): boolean {
  for (const child of sortedChildren(node)) if (!visitChildFirst(child, visit, onlyLeaves)) return false;
  if (!node.parent) return true;
  if (onlyLeaves && node.children.size > 0) return true;
  return visit(node);
}

/** Stack: whiteouts remove (errors ignored), every other node, leaf or not, overwrites the info at its path. */
function stack(lower: DNode, upper: DNode): void {
  visitChildFirst(
    upper,
    (node) => {
      const key = keyOf(node);
      if (node.name.startsWith(WHITEOUT)) {
        const target = getNode(lower, key);
        if (target?.parent) target.parent.children.delete(target.name);
      } else {
        addPath(lower, key, node.info);
      }
      return true;
    },
    false,
  );
}

/** StackTreeRange(trees, 0, stop): note it starts from a copy of tree 0 and stacks tree 0 on it again. */
function stackRange(trees: DNode[], stop: number): DNode {
  const out = copyTree(trees[0] as DNode, null);
  for (let i = 0; i <= stop; i++) stack(out, trees[i] as DNode);
  return out;
}

function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** One layer as dive's tree sees it, and its size (Σ tar header sizes). */
function diveLayerTree(index: LayerIndex): { root: DNode; size: number } {
  const root = newNode('', null, EMPTY);
  let size = 0;
  for (const e of index.entries) {
    size += e.size;
    if (e.kind === 'whiteout') {
      const name = e.path.slice(e.path.lastIndexOf('/') + 1);
      addPath(root, `${parentPath(e.path)}/${WHITEOUT}${name}`, { size: e.size, isDir: false });
    } else if (e.kind === 'opaque') {
      addPath(root, `${e.path}/${OPAQUE_PREFIX}.opq`, EMPTY);
    } else if (e.path !== '/') {
      addPath(root, e.path, { size: e.size, isDir: e.kind === 'dir' });
    }
  }
  return { root, size };
}

interface PathData {
  cumulative: number;
  min: number;
  count: number;
}

export interface DiveInefficiency {
  path: string;
  count: number;
  cumulativeSize: number;
}

export interface DiveAnalysis {
  efficiency: number;
  sizeBytes: number;
  userSizeBytes: number;
  wastedBytes: number;
  /** wastedBytes / userSizeBytes: NaN or Infinity when only layer 0 has bytes, as in dive. */
  wastedUserPercent: number;
  /** Largest cumulative size first (dive lists them so); ties by path, where dive's order is unspecified. */
  inefficiencies: DiveInefficiency[];
  /** Per layer, as dive's layer list shows them. */
  layerSizes: number[];
}

/** Subtree size of a whiteout's target in the stack below, or 0 when it was not a directory. */
function whiteoutSize(target: DNode): number {
  if (!target.info.isDir) return 0;
  let total = 0;
  const walk = (n: DNode) => {
    for (const c of n.children.values()) walk(c);
    total += n.info.size;
  };
  walk(target);
  return total;
}

/** dive's Efficiency(): the score and the paths seen as leaves in two or more layers. */
function efficiency(trees: DNode[]): { score: number; matches: [string, PathData][] } {
  const byPath = new Map<string, PathData>();
  const matches: [string, PathData][] = [];
  for (let idx = 0; idx < trees.length; idx++) {
    let below: DNode | undefined; // StackTreeRange(0, idx-1), built once per layer: it never changes
    visitChildFirst(
      trees[idx] as DNode,
      (node) => {
        const key = keyOf(node);
        // Created before the whiteout lookup, so an aborted visit still leaves min = -1 behind.
        const data = byPath.get(key) ?? { cumulative: 0, min: -1, count: 0 };
        byPath.set(key, data);
        let size = node.info.size;
        if (node.name.startsWith(WHITEOUT)) {
          below ??= stackRange(trees, idx - 1);
          const target = getNode(below, key);
          if (!target) return false; // dive returns the error: the rest of this layer is skipped
          size = whiteoutSize(target);
        }
        data.cumulative += size;
        if (data.min < 0 || size < data.min) data.min = size;
        data.count++;
        if (data.count === 2) matches.push([key, data]);
        return true;
      },
      true,
    );
  }
  let minimum = 0;
  let discovered = 0;
  for (const d of byPath.values()) {
    minimum += d.min;
    discovered += d.cumulative;
  }
  return { score: discovered === 0 ? 1 : minimum / discovered, matches };
}

/** dive's analysis of an image from its layer indexes, base layer first. */
export function diveAnalysis(indexes: readonly LayerIndex[]): DiveAnalysis {
  const layers = indexes.map(diveLayerTree);
  const { score, matches } = efficiency(layers.map((l) => l.root));
  const layerSizes = layers.map((l) => l.size);
  const sizeBytes = layerSizes.reduce((a, b) => a + b, 0);
  const userSizeBytes = sizeBytes - (layerSizes[0] ?? 0);
  const inefficiencies = matches
    .map(([path, d]) => ({ path, count: d.count, cumulativeSize: d.cumulative }))
    .sort((a, b) => b.cumulativeSize - a.cumulativeSize || goLess(a.path, b.path));
  const wastedBytes = inefficiencies.reduce((a, f) => a + f.cumulativeSize, 0);
  return {
    efficiency: score,
    sizeBytes,
    userSizeBytes,
    wastedBytes,
    wastedUserPercent: wastedBytes / userSizeBytes,
    inefficiencies,
    layerSizes,
  };
}
