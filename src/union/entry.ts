import type { IndexEntry } from '../layer/index-types.js';

/** What differs between two entries at one path. */
export type ChangeField = 'type' | 'content' | 'link' | 'mode' | 'owner' | 'xattrs' | 'device' | 'mtime';

/**
 * Bytes an entry occupies once unpacked, by the rule of the engine's layer database: regular files
 * their size, symlinks the UTF-8 length of their target (Lstat reports that), everything else 0.
 * Hard links weigh 0 here: they share an inode whose bytes their target already counts.
 */
export function entryBytes(entry: IndexEntry): number {
  if (entry.kind === 'file') return entry.size;
  if (entry.kind === 'symlink') return Buffer.byteLength(entry.link ?? '');
  return 0;
}

/**
 * The directory an extractor creates for a parent no layer mentions (root-owned, 0755). Used so that
 * an explicit entry arriving later can be compared with something.
 */
export function implicitDir(path: string): IndexEntry {
  return { path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 };
}

function sameXattrs(a: IndexEntry['xattrs'], b: IndexEntry['xattrs']): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  return ka.every((k) => b?.[k] === a?.[k]);
}

function sameContent(a: IndexEntry, b: IndexEntry): boolean {
  if (a.size !== b.size) return false;
  // Without both hashes, equal sizes are all we can tell.
  return a.hash === undefined || b.hash === undefined || a.hash === b.hash;
}

/** Every field, in the order diffEntries lists them; bit i of a change mask is CHANGE_FIELDS[i]. */
export const CHANGE_FIELDS: readonly ChangeField[] = [
  'type',
  'content',
  'link',
  'mode',
  'owner',
  'xattrs',
  'device',
  'mtime',
];

/**
 * One frozen list per combination of fields, shared: a layer modifies tens of thousands of paths in a
 * few ways ('mtime', 'content,mtime'…), and every version and explorer event keeps its list (a list
 * pushed to one field at a time reserved 17 slots, 152 bytes).
 */
const FIELD_LISTS: (readonly ChangeField[])[] = [];

function fieldList(mask: number): readonly ChangeField[] {
  let list = FIELD_LISTS[mask];
  if (!list) {
    list = Object.freeze(CHANGE_FIELDS.filter((_, i) => mask & (1 << i)));
    FIELD_LISTS[mask] = list;
  }
  return list;
}

/** The empty list: what every unchanged version and every addition or removal shares. */
export const NO_FIELDS = fieldList(0);

/** Fields that changed from `before` to `after`, in a fixed order; empty when they are the same. */
export function diffEntries(before: IndexEntry, after: IndexEntry): readonly ChangeField[] {
  const sameKind = before.kind === after.kind;
  let mask = 0;
  if (!sameKind) mask |= 1;
  if (sameKind && after.kind === 'file' && !sameContent(before, after)) mask |= 2;
  if ((before.link ?? '') !== (after.link ?? '')) mask |= 4;
  if (before.mode !== after.mode) mask |= 8;
  if (before.uid !== after.uid || before.gid !== after.gid) mask |= 16;
  if (!sameXattrs(before.xattrs, after.xattrs)) mask |= 32;
  if (before.devmajor !== after.devmajor || before.devminor !== after.devminor) mask |= 64;
  if (before.mtime !== after.mtime) mask |= 128;
  return fieldList(mask);
}
