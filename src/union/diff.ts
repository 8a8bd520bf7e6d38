/** Two unions compared path by path: what `strata diff` and the explorer's --compare show. */
import type { EntryKind } from '../layer/index-types.js';
import { CHANGE_FIELDS, type ChangeField, diffEntries, entryBytes } from './entry.js';
import type { UnionTree } from './tree.js';

export type ChangeKind = 'added' | 'modified' | 'removed';

/** One path that differs between two trees. */
export interface PathDiff {
  path: string;
  change: ChangeKind;
  kind: EntryKind;
  /** Bytes of the entry (removed: the old one's), 0 for directories. */
  size: number;
  oldSize?: number;
  fields: ChangeField[];
}

/** Fields that matter when comparing two images: timestamps differ between any two builds. */
const COMPARED: ReadonlySet<ChangeField> = new Set(CHANGE_FIELDS.filter((f) => f !== 'mtime'));

/** Every path added, removed or modified (by type, content, link, mode, owner…) from a to b. */
export function diffTrees(a: UnionTree, b: UnionTree): PathDiff[] {
  const out: PathDiff[] = [];
  for (const [path, old] of a.nodes) {
    if (path === '/') continue;
    const now = b.nodes.get(path);
    if (!now) {
      out.push({ path, change: 'removed', kind: old.entry.kind, size: entryBytes(old.entry), fields: [] });
      continue;
    }
    const fields = diffEntries(old.entry, now.entry).filter((f) => COMPARED.has(f));
    if (fields.length > 0)
      out.push({
        path,
        change: 'modified',
        kind: now.entry.kind,
        size: entryBytes(now.entry),
        oldSize: entryBytes(old.entry),
        fields,
      });
  }
  for (const [path, now] of b.nodes) {
    if (path !== '/' && !a.nodes.has(path))
      out.push({ path, change: 'added', kind: now.entry.kind, size: entryBytes(now.entry), fields: [] });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

export interface DiffSummary {
  added: number;
  removed: number;
  modified: number;
  addedBytes: number;
  removedBytes: number;
  /** Net change of the modified entries' bytes. */
  modifiedBytes: number;
}

export function summarise(diffs: readonly PathDiff[]): DiffSummary {
  const s: DiffSummary = {
    added: 0,
    removed: 0,
    modified: 0,
    addedBytes: 0,
    removedBytes: 0,
    modifiedBytes: 0,
  };
  for (const d of diffs) {
    s[d.change]++;
    if (d.change === 'added') s.addedBytes += d.size;
    else if (d.change === 'removed') s.removedBytes += d.size;
    else s.modifiedBytes += d.size - (d.oldSize ?? 0);
  }
  return s;
}
