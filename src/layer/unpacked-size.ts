import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type TarHeader, cleanTarPath } from '../archive/tar-header.js';
import { scanTarHeaders } from '../archive/tar-index.js';
import { scanTarStream } from '../archive/tar-stream-scan.js';
import { fromSystemError } from '../errors.js';
import type { FileRange } from '../transports/types.js';

export interface UnpackedSize {
  /** Bytes as the layer database's `size` file records them. */
  size: number;
  /** Members in the tar (extension headers not counted). */
  entries: number;
}

const WHITEOUT_PREFIX = '.wh.';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The unpacked size rule of Docker's overlay2 driver, as a fold over tar headers. ApplyDiff extracts
 * the tar into an empty directory and sums Lstat sizes of non-directories, each inode once. So each
 * path points at an inode; a member replaces what was at its path (removing a whole tree when a
 * directory gives way to a non-directory, as go-archive's Unpack does), except directory over
 * directory, which merges. Regular files weigh their size, symlinks the bytes of their target, hard
 * links share their target's inode. Whiteouts become 0/0 character devices or an xattr, so weigh
 * nothing and, for any tar Docker can apply, leave other paths alone.
 */
export class UnpackedSizeCounter {
  private readonly inodeOf = new Map<string, number>();
  private readonly sizeOf: number[] = [];
  private readonly dirs = new Set<string>();
  private members = 0;

  add(header: Pick<TarHeader, 'name' | 'type' | 'linkname' | 'size'>): void {
    this.members++;
    const path = header.name;
    if (path === '' || baseName(path).startsWith(WHITEOUT_PREFIX)) return;
    if (header.type === 'directory') {
      if (!this.dirs.has(path)) this.replace(path);
      this.dirs.add(path);
      return;
    }
    if (header.type === 'link') {
      const target = this.inodeOf.get(cleanTarPath(header.linkname));
      this.replace(path);
      // A link to something outside this layer fails on overlay2; it adds nothing either way.
      if (target !== undefined) this.inodeOf.set(path, target);
      return;
    }
    this.replace(path);
    this.inodeOf.set(path, this.newInode(this.weight(header)));
  }

  result(): UnpackedSize {
    let size = 0;
    for (const inode of new Set(this.inodeOf.values())) size += this.sizeOf[inode] as number;
    return { size, entries: this.members };
  }

  private weight(header: Pick<TarHeader, 'type' | 'linkname' | 'size'>): number {
    if (header.type === 'file' || header.type === 'unknown') return header.size;
    if (header.type === 'symlink') return Buffer.byteLength(header.linkname);
    return 0;
  }

  private newInode(size: number): number {
    this.sizeOf.push(size);
    return this.sizeOf.length - 1;
  }

  /** Unlink whatever is at `path`; a directory takes its whole tree with it. */
  private replace(path: string): void {
    this.inodeOf.delete(path);
    if (!this.dirs.delete(path)) return;
    const prefix = `${path}/`;
    for (const p of this.inodeOf.keys()) if (p.startsWith(prefix)) this.inodeOf.delete(p);
    for (const d of this.dirs) if (d.startsWith(prefix)) this.dirs.delete(d);
  }
}

/** Unpacked size of a decompressed layer tar, reading the stream through to its end. */
export async function unpackedSizeFromStream(tar: Readable, what: string): Promise<UnpackedSize> {
  const counter = new UnpackedSizeCounter();
  await scanTarStream(tar, what, (header) => counter.add(header));
  return counter.result();
}

/**
 * Unpacked size of an uncompressed layer tar stored in a file range, from its headers alone: file
 * data is skipped by seeking, so this costs about what `tar -tf` costs. Nothing is hashed.
 */
export async function unpackedSizeFromFile(range: FileRange, what: string): Promise<UnpackedSize> {
  const counter = new UnpackedSizeCounter();
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(range.path, 'r');
  } catch (err) {
    throw fromSystemError(err, what);
  }
  try {
    await scanTarHeaders(fh, range, what, (entry) => counter.add(entry));
  } finally {
    await fh.close();
  }
  return counter.result();
}
