/**
 * Writing image paths under a root directory without ever leaving it: every parent component is
 * checked with lstat to be a real directory (a symlink is never followed), the last component is
 * created fresh (O_EXCL | O_NOFOLLOW for files), and hard links only name regular files under the root.
 * Concurrent tampering with the root while unpacking is outside what this guards against.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '../errors.js';

/** Resolves image paths ('/a/b') to places under `root`, remembering the directories it has checked. */
export class SafeRoot {
  private readonly checked = new Set<string>(['']);

  constructor(readonly root: string) {}

  /** The absolute place of an image path, its parent directories checked (and made 0700 when missing). */
  async place(path: string): Promise<string> {
    const parts = this.split(path);
    let rel = '';
    for (const part of parts.slice(0, -1)) {
      rel = rel === '' ? part : `${rel}/${part}`;
      if (!this.checked.has(rel)) await this.checkDir(rel, path);
    }
    return join(this.root, ...parts);
  }

  /** The absolute place of a regular file under the root (for a hard link's target). */
  async regularFile(path: string): Promise<string> {
    const abs = await this.place(path);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile()) throw invalid(`hard link target ${path} is not a regular file under the root`);
    return abs;
  }

  /** Make way for a new entry: remove a non-directory at abs; a directory there is kept (true). */
  async clear(abs: string): Promise<boolean> {
    const st = await lstat(abs).catch(() => undefined);
    if (!st) return false;
    if (st.isDirectory()) return true;
    await rm(abs); // a symlink is removed, never its target
    return false;
  }

  /** Create (exclusive, never through a symlink) and open a regular file for writing. */
  async createFile(abs: string) {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    return open(abs, flags, 0o600);
  }

  private split(path: string): string[] {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length === 0 || parts.some((p) => p === '.' || p === '..'))
      throw invalid(`${path}: not a path inside the image root`);
    return parts;
  }

  private async checkDir(rel: string, path: string): Promise<void> {
    const abs = join(this.root, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) await mkdir(abs, { mode: 0o700 });
    else if (!st.isDirectory()) {
      const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
      throw invalid(`${path}: /${rel} is ${what} in the target directory; refusing to write through it`);
    }
    this.checked.add(rel);
  }
}
