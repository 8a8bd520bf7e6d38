import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StrataError, invalid } from '../errors.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function sha256(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/** Validate a digest string; only sha256 is accepted, as in Docker. */
export function parseDigest(value: string, what = 'digest'): string {
  if (DIGEST_RE.test(value)) return value;
  if (ANY_DIGEST_RE.test(value)) {
    throw new StrataError('unsupported', `${what} ${value}: only sha256 digests are supported`);
  }
  throw invalid(`${what} "${value}" is not a valid digest (want sha256:<64 hex>)`);
}

export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** Docker's stringid.TruncateID: drop the algorithm, keep 12 characters. */
export function shortId(id: string): string {
  return digestHex(id).slice(0, 12);
}

export function digestMismatch(what: string, expected: string, actual: string): StrataError {
  return new StrataError('digest-mismatch', `${what}: digest mismatch: expected ${expected}, got ${actual}`);
}

/** Check bytes against the digest they were fetched by. */
export function verifyBytes(bytes: Uint8Array, expected: string, what: string): void {
  const actual = sha256(bytes);
  if (actual !== expected) throw digestMismatch(what, expected, actual);
}

/**
 * What is wrong with a blob's bytes against its descriptor, if anything: too few or too many bytes, or
 * another digest (checked only when both digests are known). Pure.
 */
export function blobProblem(
  got: { digest?: string; size: number },
  expected: { digest?: string; size?: number },
  what: string,
): StrataError | undefined {
  if (expected.size !== undefined && got.size > expected.size)
    return invalid(`${what}: more data than the ${expected.size} bytes its descriptor declares`);
  if (expected.size !== undefined && got.size < expected.size)
    return invalid(`${what}: truncated: got ${got.size} of ${expected.size} bytes`);
  if (expected.digest !== undefined && got.digest !== undefined && got.digest !== expected.digest)
    return digestMismatch(what, expected.digest, got.digest);
  return undefined;
}

/**
 * A pass-through stream that hashes what flows through it and, at the end, fails the stream if the
 * digest or the length differ from what was expected. Consumers therefore never see a successful end
 * of a blob that does not match its descriptor.
 */
export class VerifyingStream extends Transform {
  private readonly hash?: Hash;
  private seen = 0;

  /** With `hash: false` only the size is checked (for bytes whose source already checks the digest). */
  constructor(
    private readonly expected: string | undefined,
    private readonly expectedSize: number | undefined,
    private readonly what: string,
    options: { hash?: boolean } = {},
  ) {
    super();
    if (options.hash !== false) this.hash = createHash('sha256');
  }

  get bytesSeen(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash?.update(chunk);
    this.seen += chunk.length;
    if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
      cb(blobProblem({ size: this.seen }, { size: this.expectedSize }, this.what));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    // blobProblem reports a wrong length before a wrong digest, as the check above does mid-stream.
    const digest = this.hash ? `sha256:${this.hash.digest('hex')}` : undefined;
    const expected = { digest: this.expected, size: this.expectedSize };
    cb(blobProblem({ digest, size: this.seen }, expected, this.what) ?? null);
  }
}
