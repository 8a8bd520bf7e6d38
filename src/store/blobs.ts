/**
 * Content-addressed blob files: written through ingest/ while hashed, made visible by rename only once
 * they match what was expected. Nothing half-written is ever under blobs/.
 */
import { createHash } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { StrataError, fromSystemError } from '../errors.js';
import { digestMismatch, parseDigest } from '../oci/digest.js';
import type { BlobFile, BlobInput, BlobInfo, BlobProgress } from '../transports/types.js';
import { isProcessAlive } from './lock.js';
import { type StorePaths, ensureDir, fsyncDir, randomHex } from './layout.js';

/** ingest/<pid>.<random>.partial: the pid tells whether the writer is still alive. */
export function partialName(pid: number): string {
  return `${pid}.${randomHex(8)}.partial`;
}

export function partialOwner(name: string): number | undefined {
  const m = /^(\d+)\.[0-9a-f]+\.partial$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Size of a stored blob, or undefined when absent. */
export async function blobSize(paths: StorePaths, digest: string): Promise<number | undefined> {
  try {
    const st = await stat(paths.blob(digest));
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fromSystemError(err, `${paths.root}: blob ${digest}`);
  }
}

/** Check what was received against what the caller said; throws the error that names the problem. */
function checkReceived(input: BlobInput, digest: string, size: number, what: string): void {
  if (input.size !== undefined && size !== input.size) {
    throw new StrataError('invalid', `${what}: got ${size} bytes, expected ${input.size}`);
  }
  if (input.digest !== undefined && digest !== input.digest) throw digestMismatch(what, input.digest, digest);
}

const WRITE_BATCH = 1 << 20;

/** Stream into the open partial file, hashing; returns the digest and length seen. */
async function streamToFile(
  content: Readable,
  fh: Awaited<ReturnType<typeof open>>,
  limit: number | undefined,
  what: string,
  onProgress?: BlobProgress,
  trustedDigest?: string,
): Promise<{ digest: string; size: number }> {
  const hash = trustedDigest === undefined ? createHash('sha256') : undefined;
  let size = 0;
  // Network chunks are small (16–64 KiB); one write per chunk cost a pull 3.5 s of main-thread time on
  // 1.2 GB, so chunks are gathered and written 1 MiB at a time.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length > 0) await fh.writev(pending);
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of content) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (limit !== undefined && size > limit) {
      content.destroy();
      throw new StrataError('invalid', `${what}: more than the ${limit} bytes expected`);
    }
    hash?.update(buf);
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes >= WRITE_BATCH) await flush();
    onProgress?.(size);
  }
  await flush();
  return { digest: hash ? `sha256:${hash.digest('hex')}` : trustedDigest!, size };
}

/**
 * Write a blob from a stream: to a partial file, hashing; on a match, fsync, rename into blobs/ and
 * fsync the directory. On any failure the partial is removed and the error says what went wrong.
 */
export async function writeBlob(
  paths: StorePaths,
  input: BlobInput,
  content: Readable,
  onProgress?: BlobProgress,
): Promise<BlobInfo> {
  if (input.digest !== undefined) parseDigest(input.digest, 'blob digest');
  const what = `blob ${input.digest ?? '(new)'} in the store ${paths.root}`;
  await ensureDir(paths.ingestDir, `the store ${paths.root}`);
  const partial = join(paths.ingestDir, partialName(process.pid));
  try {
    const fh = await open(partial, 'wx', 0o644);
    let got: { digest: string; size: number };
    try {
      // A stream its source verifies needs no second hash: if its bytes are wrong it fails, and a
      // failed stream is never renamed into blobs/.
      const trusted = input.verified === true && input.digest !== undefined ? input.digest : undefined;
      got = await streamToFile(content, fh, input.size, what, onProgress, trusted);
      checkReceived(input, got.digest, got.size, what);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await ensureDir(paths.blobDir, `the store ${paths.root}`);
    await rename(partial, paths.blob(got.digest));
    await fsyncDir(paths.blobDir);
    return { mediaType: input.mediaType, digest: got.digest, size: got.size };
  } catch (err) {
    content.destroy();
    await rm(partial, { force: true });
    throw fromSystemError(err, `the store ${paths.root}`);
  }
}

/**
 * A partial file in ingest/ for someone else to write a blob into (a download on a worker thread, which
 * verifies and syncs it); commit() renames it into blobs/ once its size is what was expected.
 */
export async function blobFile(paths: StorePaths, blob: BlobInfo): Promise<BlobFile> {
  parseDigest(blob.digest, 'blob digest');
  const where = `the store ${paths.root}`;
  await ensureDir(paths.ingestDir, where);
  const path = join(paths.ingestDir, partialName(process.pid));
  const discard = () => rm(path, { force: true });
  return {
    path,
    discard,
    async commit() {
      try {
        const { size } = await stat(path);
        if (size !== blob.size)
          throw new StrataError('invalid', `blob ${blob.digest}: got ${size} bytes, expected ${blob.size}`);
        await ensureDir(paths.blobDir, where);
        await rename(path, paths.blob(blob.digest));
        await fsyncDir(paths.blobDir);
        return blob;
      } catch (err) {
        await discard();
        throw fromSystemError(err, where);
      }
    },
  };
}

/** Write a small blob held in memory (manifests, configs), unless it is already there. */
export async function writeSmallBlob(paths: StorePaths, mediaType: string, bytes: Buffer): Promise<BlobInfo> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if ((await blobSize(paths, digest)) === bytes.length) return { mediaType, digest, size: bytes.length };
  return writeBlob(paths, { mediaType, digest, size: bytes.length }, Readable.from([bytes]));
}

/** Remove partial files whose writer is no longer alive (killed mid-blob). Returns how many. */
export async function cleanIngest(paths: StorePaths): Promise<number> {
  let names: string[];
  try {
    names = await readdir(paths.ingestDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = partialOwner(name);
    if (pid !== undefined && isProcessAlive(pid)) continue;
    await rm(join(paths.ingestDir, name), { force: true, recursive: true });
    removed++;
  }
  return removed;
}

/** Every blob digest stored, from the file names under blobs/sha256. */
export async function listBlobs(paths: StorePaths): Promise<string[]> {
  try {
    const names = await readdir(paths.blobDir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, `the store ${paths.root}: blobs`);
  }
}
