/**
 * What a flattening needs before any content is read: from the layer indexes and their union, which
 * tar member of which layer holds each visible path's final version, and where the content of a hard
 * link that cannot stay a link comes from.
 */
import type { IndexEntry, LayerIndex } from '../layer/index-types.js';
import { escapesImageRoot } from '../layer/index-scan.js';
import { buildUnion, type UnionNode } from '../union/tree.js';

/** An entry left out of the flattened filesystem, and why. */
export interface SkippedEntry {
  path: string;
  kind: IndexEntry['kind'];
  reason: string;
}

/** A member of one layer, named by its path and its occurrence among that layer's members at the path. */
export interface MemberRef {
  path: string;
  occurrence: number;
}

/** What to do with the final member at a path: copy it, or write a hard link as a file. */
export type Take =
  | { as: 'entry'; entry: IndexEntry }
  /** A hard link whose target is gone or changed later: written as a file with the source's content. */
  | { as: 'copy'; entry: IndexEntry; source: IndexEntry; from: { layer: number; ref: MemberRef } };

export interface FlattenPlan {
  /** Every visible directory but '/', parents before children. */
  dirs: IndexEntry[];
  /** Per layer: occurrence key (`path\0n`) → what to write when that member streams by. */
  take: Map<string, Take>[];
  /** Per layer: members whose content must be kept aside (in a temp file) for a later copy. */
  spool: Set<string>[];
  skipped: SkippedEntry[];
}

const isMarker = (e: IndexEntry) => e.kind === 'whiteout' || e.kind === 'opaque';

export const memberKey = (path: string, occurrence: number) => `${path}\0${occurrence}`;

/** Per layer, where each path's last member sits: its position in the index and its occurrence. */
function lastMembers(index: LayerIndex): Map<string, { pos: number; occurrence: number }> {
  const out = new Map<string, { pos: number; occurrence: number }>();
  index.entries.forEach((e, pos) => {
    if (isMarker(e)) return;
    const prev = out.get(e.path);
    out.set(e.path, { pos, occurrence: prev ? prev.occurrence + 1 : 0 });
  });
  return out;
}

/** The member at `path` in `index` before position `before`, with its occurrence, if there is one. */
function memberBefore(
  index: LayerIndex,
  path: string,
  before: number,
): { entry: IndexEntry; ref: MemberRef } | undefined {
  let found: { entry: IndexEntry; ref: MemberRef } | undefined;
  let occurrence = 0;
  for (let pos = 0; pos < before; pos++) {
    const e = index.entries[pos] as IndexEntry;
    if (isMarker(e) || e.path !== path) continue;
    found = { entry: e, ref: { path, occurrence } };
    occurrence++;
  }
  return found;
}

/**
 * Where a hard link's content lives: the file it names, as the stack stood when the link was made
 * (the newest member at the target in this layer before the link, else in a lower layer). Links to
 * links are followed a few steps.
 */
function linkSource(
  indexes: readonly LayerIndex[],
  layer: number,
  pos: number,
  target: string,
): { entry: IndexEntry; from: { layer: number; ref: MemberRef } } | undefined {
  let path = target;
  for (let hops = 0; hops < 8; hops++) {
    let hit: { entry: IndexEntry; ref: MemberRef; layer: number } | undefined;
    for (let l = layer; l >= 0 && !hit; l--) {
      const index = indexes[l] as LayerIndex;
      const m = memberBefore(index, path, l === layer ? pos : index.entries.length);
      if (m) hit = { ...m, layer: l };
    }
    if (!hit) return undefined;
    if (hit.entry.kind === 'file') return { entry: hit.entry, from: { layer: hit.layer, ref: hit.ref } };
    if (hit.entry.kind !== 'hardlink' || !hit.entry.link) return undefined;
    path = hit.entry.link;
  }
  return undefined;
}

/** The layer and position of a visible non-directory's final member. */
type Final = { layer: number; pos: number; occurrence: number };

function finalOf(node: UnionNode, lasts: Map<string, { pos: number; occurrence: number }>[]): Final {
  const layer = (node.versions.at(-1) as { layer: number }).layer;
  const last = lasts[layer]?.get(node.path) as { pos: number; occurrence: number };
  return { layer, ...last };
}

/** A hard link stays one when its target is visible, a file, and unchanged since the link was made. */
function keepsLink(link: Final, target: UnionNode | undefined, finals: Map<string, Final>): boolean {
  if (!target || target.children || target.implicit) return false;
  if (target.entry.kind !== 'file' && target.entry.kind !== 'hardlink') return false;
  const t = finals.get(target.path);
  if (!t) return false;
  return t.layer < link.layer || (t.layer === link.layer && t.pos < link.pos);
}

/** Plan the flattening of layers 0..n-1: see FlattenPlan. */
export function planFlatten(indexes: readonly LayerIndex[]): FlattenPlan {
  const tree = buildUnion(indexes);
  const lasts = indexes.map(lastMembers);
  const plan: FlattenPlan = {
    dirs: [],
    take: indexes.map(() => new Map()),
    spool: indexes.map(() => new Set()),
    skipped: [],
  };
  const finals = new Map<string, Final>();
  const others: UnionNode[] = [];
  for (const node of tree.nodes.values()) {
    if (node.path === '/') continue;
    if (escapesImageRoot(node.path)) {
      plan.skipped.push({ path: node.path, kind: node.entry.kind, reason: 'path escapes the root' });
    } else if (node.children) plan.dirs.push(node.entry);
    else {
      finals.set(node.path, finalOf(node, lasts));
      others.push(node);
    }
  }
  plan.dirs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const node of others) addTake(plan, indexes, node, finals, tree.nodes);
  return plan;
}

function addTake(
  plan: FlattenPlan,
  indexes: readonly LayerIndex[],
  node: UnionNode,
  finals: Map<string, Final>,
  nodes: Map<string, UnionNode>,
): void {
  const fin = finals.get(node.path) as Final;
  const key = memberKey(node.path, fin.occurrence);
  const entry = node.entry;
  if (entry.kind !== 'hardlink') {
    plan.take[fin.layer]?.set(key, { as: 'entry', entry });
    return;
  }
  const target = entry.link ?? '';
  if (!escapesImageRoot(target) && keepsLink(fin, nodes.get(target), finals)) {
    plan.take[fin.layer]?.set(key, { as: 'entry', entry });
    return;
  }
  const source = escapesImageRoot(target) ? undefined : linkSource(indexes, fin.layer, fin.pos, target);
  if (!source) {
    const why = escapesImageRoot(target) ? 'escapes the root' : 'not found';
    plan.skipped.push({ path: node.path, kind: 'hardlink', reason: `hard link target ${target} ${why}` });
    return;
  }
  plan.spool[source.from.layer]?.add(memberKey(source.from.ref.path, source.from.ref.occurrence));
  plan.take[fin.layer]?.set(key, { as: 'copy', entry, source: source.entry, from: source.from });
}
