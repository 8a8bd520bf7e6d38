import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fromSystemError, invalid, unsupported } from '../errors.js';
import { SNIFF_BYTES, decompress, sniffCompression } from '../layer/compression.js';
import { openFileRange } from './file-range.js';
import { type TarIndex, indexTar } from './tar-index.js';

/** A tar archive opened for random access, possibly through a decompressed temporary copy. */
export interface OpenArchive {
  index: TarIndex;
  /** Removes the temporary copy, if one was made. */
  close(): Promise<void>;
}

async function readHead(path: string, what: string): Promise<{ head: Buffer; size: number; isDir: boolean }> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return { head: Buffer.alloc(0), size: 0, isDir: true };
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
      return { head: head.subarray(0, bytesRead), size: st.size, isDir: false };
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw fromSystemError(err, what);
  }
}

/** Decompress the whole archive once into a private temporary directory, streaming. */
async function decompressToTemp(
  path: string,
  what: string,
  kind: 'gzip' | 'zstd',
): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-archive-')).catch((err) => {
    throw fromSystemError(err, 'temporary directory');
  });
  const file = join(dir, 'archive.tar');
  try {
    const source = await openFileRange({ path, offset: 0, length: (await stat(path)).size }, what);
    const tar = await decompress(source, kind, what);
    await pipeline(tar, createWriteStream(file, { mode: 0o600 }));
    return { file, dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw fromSystemError(err, `${what}: decompressing to ${file}`);
  }
}

/**
 * Open a tar archive for reading by index. A gzip- or zstd-compressed archive (docker load accepts
 * them) is decompressed once to a temporary file, removed on close; bzip2 and xz are refused with a
 * hint. 'not-found' for a missing path; 'invalid' for a directory, an empty file or a non-tar.
 */
export async function openArchive(
  path: string,
  what: string = path,
  kindName = 'archive',
): Promise<OpenArchive> {
  const { head, size, isDir } = await readHead(path, what);
  if (isDir) throw invalid(`${what} is a directory, not a ${kindName}`);
  if (size === 0) throw invalid(`${what} is empty, not a ${kindName}`);
  const kind = sniffCompression(head);
  if (kind === 'bzip2' || kind === 'xz') {
    const tool = kind === 'xz' ? 'unxz' : 'bunzip2';
    throw unsupported(
      `${what} is ${kind}-compressed, which strata does not read`,
      `decompress it first: ${tool} ${path}`,
    );
  }
  if (kind === 'none') return { index: await indexTar(path, what), close: async () => {} };
  const temp = await decompressToTemp(path, what, kind);
  try {
    return {
      index: await indexTar(temp.file, what),
      close: () => rm(temp.dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(temp.dir, { recursive: true, force: true });
    throw err;
  }
}
