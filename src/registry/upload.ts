/**
 * Pieces of a blob upload that do not talk HTTP themselves: the hashing pass-through the PATCH body
 * flows through, and the rules for the upload session's Location URLs.
 */
import { type Hash, createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StrataError } from '../errors.js';

/** What the caller knows of the blob before sending it; both are checked against what was sent. */
export interface UploadExpectation {
  digest?: string;
  size?: number;
}

/** The blob as the registry now holds it. */
export interface UploadedBlob {
  digest: string;
  size: number;
}

export type UploadProgress = (bytesSoFar: number) => void;

/** Passes bytes on unchanged while hashing and counting them, so the digest is known once they are sent. */
export class HashingCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  constructor(private readonly onProgress?: UploadProgress) {
    super();
  }

  get bytes(): number {
    return this.count;
  }

  /** Valid only after the stream has ended. */
  digest(): string {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.count += chunk.length;
    this.onProgress?.(this.count);
    cb(null, chunk);
  }
}

/**
 * The URL an upload answer points to next. Registries send it relative or absolute; it is resolved
 * against the URL that answered and otherwise used as given (its query carries the session state).
 */
export function nextLocation(location: string | undefined, answeredUrl: string, what: string): string {
  if (location === undefined || location.trim() === '') {
    throw new StrataError('registry', `the registry gave no upload location for ${what}`);
  }
  try {
    return new URL(location.trim(), answeredUrl).toString();
  } catch {
    throw new StrataError(
      'registry',
      `the registry gave an unusable upload location for ${what}: ${location}`,
    );
  }
}

/** The session URL with `digest=` appended, leaving its existing query exactly as the registry wrote it. */
export function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  const hashAt = location.indexOf('#');
  const base = hashAt >= 0 ? location.slice(0, hashAt) : location;
  const sep = url.search === '' ? (base.endsWith('?') ? '' : '?') : '&';
  return `${base}${sep}digest=${encodeURIComponent(digest)}`;
}

/** Whether two URLs share scheme, host and port (credentials go only to the registry's own origin). */
export function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}
