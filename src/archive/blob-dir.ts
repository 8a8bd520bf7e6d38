/**
 * A content-addressed blob directory (`<root>/blobs/sha256/<hex>`), the on-disk half of every file
 * destination: blobs are hashed as they arrive, written to a temp file, and renamed into place only
 * once they match the digest and size they were announced with.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromSystemError, invalid } from '../errors.js';
import { VerifyingStream, digestHex, parseDigest, sha256 } from '../oci/digest.js';
import type { RawBlob } from '../oci/manifest.js';
import type { BlobInfo, BlobInput, BlobProgress } from '../transports/types.js';

export class BlobDir {
  /** Where temp files go: inside the root, so the rename stays on one file system. */
  private readonly tmpPrefix: string;

  constructor(
    readonly root: string,
    /** How the destination is named in messages. */
    readonly what: string,
  ) {
    this.tmpPrefix = join(root, `.strata-tmp-${randomBytes(4).toString('hex')}`);
  }

  /** Create blobs/sha256 under the root (the root itself must exist). */
  async init(): Promise<void> {
    try {
      await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    } catch (err) {
      throw fromSystemError(err, this.what);
    }
  }

  path(digest: string): string {
    parseDigest(digest, `${this.what}: blob digest`);
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  /** The size of a stored blob, or undefined when it is not stored. */
  async sizeOf(digest: string): Promise<number | undefined> {
    try {
      const st = await stat(this.path(digest));
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fromSystemError(err, `${this.what}: blob ${digest}`);
    }
  }

  async has(blob: { digest: string; size?: number }): Promise<boolean> {
    const size = await this.sizeOf(blob.digest);
    return size !== undefined && (blob.size === undefined || blob.size === size);
  }

  private tempName(): string {
    return `${this.tmpPrefix}-${randomBytes(6).toString('hex')}`;
  }

  /** Stream a blob in, verified against blob.digest/size when given; a failure leaves nothing behind. */
  async put(blob: BlobInput, content: Readable, onProgress?: BlobProgress): Promise<BlobInfo> {
    const what = `${this.what}: blob ${blob.digest ?? '(new)'}`;
    if (blob.digest !== undefined) parseDigest(blob.digest, what);
    // A stream its source already verifies (it fails unless it matches blob.digest) is only counted;
    // otherwise the verifier checks the digest, or the bytes are hashed to be named.
    const trusted = blob.verified === true && blob.digest !== undefined;
    const verifier = new VerifyingStream(trusted ? undefined : blob.digest, blob.size, what, {
      hash: !trusted,
    });
    const hashed = blob.digest === undefined ? new HashingStream() : undefined;
    if (onProgress) verifier.on('data', () => onProgress(verifier.bytesSeen));
    const temp = this.tempName();
    try {
      const out = createWriteStream(temp, { flags: 'wx' });
      if (hashed) await pipeline(content, verifier, hashed, out);
      else await pipeline(content, verifier, out);
      const digest = (hashed?.digest ?? blob.digest) as string;
      await rename(temp, this.path(digest));
      return { mediaType: blob.mediaType, digest, size: verifier.bytesSeen };
    } catch (err) {
      content.destroy();
      await rm(temp, { force: true });
      throw fromSystemError(err, what);
    }
  }

  /** Store a small document whose bytes are in memory, checking they hash to its digest. */
  async putBytes(raw: RawBlob, what: string): Promise<BlobInfo> {
    const actual = sha256(raw.bytes);
    if (actual !== raw.digest)
      throw invalid(`${this.what}: ${what} does not hash to its digest ${raw.digest}`);
    if (!(await this.has({ digest: actual, size: raw.bytes.length }))) {
      const temp = this.tempName();
      try {
        await writeFile(temp, raw.bytes, { flag: 'wx' });
        await rename(temp, this.path(actual));
      } catch (err) {
        await rm(temp, { force: true });
        throw fromSystemError(err, `${this.what}: ${what}`);
      }
    }
    return { mediaType: raw.mediaType, digest: actual, size: raw.bytes.length };
  }

  /** Remove any temp file this writer left (after a crash mid-put, say). */
  async removeTemps(): Promise<void> {
    const base = this.tmpPrefix.slice(this.root.length + 1);
    const names = await readdir(this.root).catch(() => [] as string[]);
    await Promise.all(
      names.filter((n) => n.startsWith(base)).map((n) => rm(join(this.root, n), { force: true })),
    );
  }
}

/** Hashes what flows through it; the digest is known once the stream has flushed. */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  digest: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = `sha256:${this.hash.digest('hex')}`;
    cb();
  }
}
