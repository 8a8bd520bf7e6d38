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

/** Fields that changed from `before` to `after`, in a fixed order; empty when they are the same. */
export function diffEntries(before: IndexEntry, after: IndexEntry): ChangeField[] {
  const out: ChangeField[] = [];
  const sameKind = before.kind === after.kind;
  if (!sameKind) out.push('type');
  if (sameKind && after.kind === 'file' && !sameContent(before, after)) out.push('content');
  if ((before.link ?? '') !== (after.link ?? '')) out.push('link');
  if (before.mode !== after.mode) out.push('mode');
  if (before.uid !== after.uid || before.gid !== after.gid) out.push('owner');
  if (!sameXattrs(before.xattrs, after.xattrs)) out.push('xattrs');
  if (before.devmajor !== after.devmajor || before.devminor !== after.devminor) out.push('device');
  if (before.mtime !== after.mtime) out.push('mtime');
  return out;
}
