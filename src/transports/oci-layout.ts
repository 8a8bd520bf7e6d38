import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError, fromSystemError, invalid } from '../errors.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { BlobStore, createLayoutSource } from './oci-common.js';
import type { FileRange, ImageSource, SourceOptions } from './types.js';

/** Blobs of an OCI image layout directory: each file is its own range. */
export class DirBlobStore extends BlobStore {
  constructor(
    readonly root: string,
    readonly what: string,
  ) {
    super();
  }

  async locate(path: string): Promise<FileRange | undefined> {
    const full = join(this.root, path);
    try {
      const st = await stat(full);
      if (!st.isFile()) throw invalid(`${this.what}: ${path} is not a regular file`);
      return { path: full, offset: 0, length: st.size };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw fromSystemError(err, `${this.what}: ${path}`);
    }
  }
}

async function requireDirectory(path: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw fromSystemError(err, path);
  }
  if (!isDir) {
    throw new StrataError('invalid', `${path} is not a directory, so not an OCI layout`, {
      hint: `to read an OCI archive (a tar file), use oci-archive:${path}`,
    });
  }
}

/** Read images from an OCI image layout directory (`oci:DIR[:NAME|@DIGEST]`). */
export async function createOciLayoutSource(
  loc: Extract<ImageLocation, { transport: 'oci' }>,
  _options: SourceOptions = {},
): Promise<ImageSource> {
  await requireDirectory(loc.path);
  const store = new DirBlobStore(loc.path, loc.path);
  return createLayoutSource(formatLocation(loc), store, { tag: loc.tag, digest: loc.digest });
}
