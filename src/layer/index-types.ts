/** One tar entry of a layer, as the layer scan records it: metadata and a content hash, no content. */
export type EntryKind =
  | 'file'
  | 'dir'
  | 'symlink'
  | 'hardlink'
  | 'char'
  | 'block'
  | 'fifo'
  /** `.wh.<name>`: deletes <name> (path holds the deleted path, not the marker's). */
  | 'whiteout'
  /** `.wh..wh..opq`: hides everything lower layers put in this directory (path is the directory). */
  | 'opaque';

export { CONTENT_HASH } from './content-hash.js';

/** Every kind, in a fixed order (the index codec stores a kind as its position here). */
export const ENTRY_KINDS: readonly EntryKind[] = [
  'file',
  'dir',
  'symlink',
  'hardlink',
  'char',
  'block',
  'fifo',
  'whiteout',
  'opaque',
];

export interface IndexEntry {
  /** Absolute, normalised path inside the image: '/etc/passwd'. Never contains '.wh.' markers. */
  path: string;
  kind: EntryKind;
  /** Permission and special bits (setuid/setgid/sticky), without the file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes for regular files; 0 for everything else. */
  size: number;
  /** Seconds since the epoch, as the tar header says. */
  mtime: number;
  /** Symlink target, or the path (normalised, absolute) a hardlink points at. */
  link?: string;
  /** Extended attributes from PAX SCHILY.xattr.* records, values base64. */
  xattrs?: Record<string, string>;
  /**
   * '<CONTENT_HASH>:<hex>' of a regular file's content (hardlinks: the target's, when known): what tells
   * a modified file from a re-written identical one.
   */
  hash?: string;
  /** Device numbers for char/block devices. */
  devmajor?: number;
  devminor?: number;
}

/** Everything one read of a layer tells: the same for every image that shares the layer (its diffID). */
export interface LayerIndex {
  diffID: string;
  /** Entries in tar order (a path may appear more than once; the last one wins, as when extracting). */
  entries: IndexEntry[];
  /** Unpacked size as Docker's layer database records it. */
  unpackedSize: number;
}
