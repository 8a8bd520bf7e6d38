/**
 * Download one blob into a file, on whichever thread runs it (a stream worker, for a pull): each byte
 * goes from the socket's buffer into the hash and the file, and nowhere else. Redirects are followed
 * (credentials stay with the registry's origin), 429/5xx answers and refused or dropped connections are
 * tried again with backoff, a connection that breaks mid-body is resumed with a Range request, and the
 * file is synced once the bytes match the digest and size. Any other answer goes back to the caller
 * (registry/client.ts), which owns authentication and turns answers into errors.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { StrataError, fromSystemError, invalid } from '../errors.js';
import { digestMismatch } from '../oci/digest.js';
import type { ResponseHead } from './http1.js';
import {
  type HttpTimeouts,
  type IncomingHttpHeaders,
  type RequestInfo,
  MAX_REDIRECTS,
  header,
  redirectTarget,
} from './http.js';
import { isTransientNetError, unreachableError } from './neterror.js';
import { resumeMode } from './resume.js';
import { type RetryPolicy, backoffDelay, isRetryableStatus, parseRetryAfter, sleep } from './retry.js';
import { wireExchange } from './wire.js';

export interface DownloadSpec {
  url: string;
  /** Sent to the URL's origin (authorization, user-agent); authorization is dropped on other hosts. */
  headers: Record<string, string>;
  digest: string;
  size?: number;
  /** The file to write (created or truncated); the caller removes it if the download fails. */
  file: string;
  /** Names the blob in errors. */
  what: string;
  /** Names the file's place in errors (the store). */
  where: string;
  policy: RetryPolicy;
  timeouts: HttpTimeouts;
  insecureTls?: boolean;
}

export type DownloadOutcome =
  /** The file holds the blob, verified and synced. */
  | { kind: 'stored'; digest: string; size: number }
  /** The server answered with something else (after retries): the caller decides what it means. */
  | { kind: 'answer'; status: number; headers: IncomingHttpHeaders; body: Uint8Array; url: string };

export interface DownloadHooks {
  /** Bytes of the blob received so far, every PROGRESS_STEP and at the end. */
  onProgress?: (bytes: number) => void;
  /** Every HTTP exchange, each redirect hop and retry its own. */
  onRequest?: (info: RequestInfo) => void;
  signal?: AbortSignal;
}

const PROGRESS_STEP = 1 << 20;
const ERROR_BODY_LIMIT = 64 << 10;

/** The blob's bytes into hash and file; tracks what the server sent against what was asked for. */
class BlobSink {
  private readonly hash = createHash('sha256');
  received = 0;
  private reported = 0;

  constructor(
    private readonly fd: number,
    private readonly spec: DownloadSpec,
    private readonly onProgress?: (bytes: number) => void,
  ) {}

  /** Take a slice; `skip` bytes of a restarted body are dropped first. Returns the skip left. */
  take(slice: Buffer, skip: number): number {
    let bytes = slice;
    if (skip > 0) {
      const dropped = Math.min(skip, bytes.length);
      bytes = bytes.subarray(dropped);
      skip -= dropped;
    }
    if (bytes.length === 0) return skip;
    const { size, what } = this.spec;
    if (size !== undefined && this.received + bytes.length > size)
      throw invalid(`${what}: more than the ${size} bytes expected`);
    this.hash.update(bytes);
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at);
    this.received += bytes.length;
    if (this.received - this.reported >= PROGRESS_STEP) this.report();
    return skip;
  }

  report(): void {
    this.reported = this.received;
    this.onProgress?.(this.received);
  }

  /** The whole blob came: check it, then sync the file. */
  finish(): { kind: 'stored'; digest: string; size: number } {
    const { size, digest, what } = this.spec;
    if (size !== undefined && this.received !== size)
      throw invalid(`${what}: got ${this.received} bytes, expected ${size}`);
    const got = `sha256:${this.hash.digest('hex')}`;
    if (got !== digest) throw digestMismatch(what, digest, got);
    fsyncSync(this.fd);
    this.report();
    return { kind: 'stored', digest, size: this.received };
  }
}

type Attempt =
  | { kind: 'body'; head: ResponseHead; complete: boolean }
  | { kind: 'answer'; head: ResponseHead; body: Buffer; url: string }
  | { kind: 'redirect'; url: string; headers: Record<string, string> };

/** Download the blob into spec.file. Throws StrataErrors for what cannot be retried or resumed. */
export async function downloadBlob(spec: DownloadSpec, hooks: DownloadHooks = {}): Promise<DownloadOutcome> {
  let fd: number;
  try {
    fd = openSync(spec.file, 'w', 0o644);
  } catch (err) {
    throw fromSystemError(err, spec.where);
  }
  try {
    return await fetchInto(new BlobSink(fd, spec, hooks.onProgress), spec, hooks);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw typeof code === 'string' && !isTransientNetError(err) && !code.startsWith('ERR_')
      ? fromSystemError(err, spec.where)
      : err;
  } finally {
    closeSync(fd);
  }
}

async function fetchInto(sink: BlobSink, spec: DownloadSpec, hooks: DownloadHooks): Promise<DownloadOutcome> {
  const host = new URL(spec.url).host;
  let failures = 0;
  let resumes = 0;
  for (;;) {
    hooks.signal?.throwIfAborted();
    let attempt: Attempt;
    const offset = sink.received;
    try {
      attempt = await follow(sink, spec, hooks, offset);
    } catch (err) {
      if (!isTransientNetError(err)) throw unreachableError(err, host, 'registry');
      if (sink.received > 0) {
        // The connection broke mid-body (this time or before): resume where it left off.
        if (++resumes > spec.policy.attempts) throw brokeOff(spec, host, sink.received, err);
        await sleep(backoffDelay(spec.policy, resumes));
        continue;
      }
      if (++failures >= spec.policy.attempts) throw unreachableError(err, host, 'registry');
      await sleep(backoffDelay(spec.policy, failures));
      continue;
    }
    if (attempt.kind === 'body') {
      if (attempt.complete && (spec.size === undefined || sink.received >= spec.size)) return sink.finish();
      // Ended short of the blob: cut, so resumed too.
      if (++resumes > spec.policy.attempts) throw brokeOff(spec, host, sink.received);
      await sleep(backoffDelay(spec.policy, resumes));
      continue;
    }
    if (attempt.kind === 'answer') {
      const { status, headers } = attempt.head;
      if (isRetryableStatus(status) && ++failures < spec.policy.attempts) {
        const after = parseRetryAfter(header(headers, 'retry-after'));
        await sleep(backoffDelay(spec.policy, failures, after));
        continue;
      }
      return { kind: 'answer', status, headers, body: attempt.body, url: attempt.url };
    }
  }
}

function brokeOff(spec: DownloadSpec, host: string, received: number, cause?: unknown): StrataError {
  return new StrataError(
    'unreachable',
    `cannot reach registry ${host}: download of ${spec.what} kept breaking off (${received} bytes received)`,
    { cause: cause ?? new Error('connection closed before the end of the blob') },
  );
}

/** One GET from `offset`, following redirects; the body goes to the sink when it is the blob's. */
async function follow(
  sink: BlobSink,
  spec: DownloadSpec,
  hooks: DownloadHooks,
  offset: number,
): Promise<Attempt> {
  let url = spec.url;
  let headers = offset > 0 ? { ...spec.headers, range: `bytes=${offset}-` } : spec.headers;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const attempt = await exchange(sink, spec, hooks, url, headers, offset);
    if (attempt.kind !== 'redirect') return attempt;
    url = attempt.url;
    headers = attempt.headers;
  }
  throw new StrataError('registry', `too many redirects (more than ${MAX_REDIRECTS}) for GET ${spec.url}`);
}

async function exchange(
  sink: BlobSink,
  spec: DownloadSpec,
  hooks: DownloadHooks,
  url: string,
  headers: Record<string, string>,
  offset: number,
): Promise<Attempt> {
  let skip = 0;
  let route = 'drop' as 'blob' | 'keep' | 'drop';
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen: ResponseHead | undefined;
  const onHead = (head: ResponseHead) => {
    seen = head;
    hooks.onRequest?.({ method: 'GET', url, status: head.status });
    if (head.status === 200 || head.status === 206) {
      route = 'blob';
      skip = resumeMode(head, offset) === 'append' ? 0 : offset;
    } else if (
      redirectTarget({ method: 'GET', url }, head.status, header(head.headers, 'location')) === undefined
    ) {
      route = 'keep';
    }
  };
  const onBody = (slice: Buffer) => {
    if (route === 'blob') skip = sink.take(slice, skip);
    else if (route === 'keep' && keptBytes < ERROR_BODY_LIMIT) {
      kept.push(Buffer.from(slice.subarray(0, ERROR_BODY_LIMIT - keptBytes)));
      keptBytes += slice.length;
    }
  };
  const wire = wireExchange(
    { url: new URL(url), headers, insecureTls: spec.insecureTls, timeouts: spec.timeouts, reuseBuffer: true },
    onHead,
    onBody,
  );
  const abort = () => wire.abort(hooks.signal?.reason as Error);
  hooks.signal?.addEventListener('abort', abort, { once: true });
  try {
    const { head, complete } = await wire.done;
    if (route === 'blob') return { kind: 'body', head, complete: complete && skip === 0 };
    const next = redirectTarget(
      { method: 'GET', url, headers },
      head.status,
      header(head.headers, 'location'),
    );
    if (next !== undefined) return { kind: 'redirect', url: next.url, headers: next.headers ?? {} };
    return { kind: 'answer', head, body: Buffer.concat(kept), url };
  } catch (err) {
    if (seen === undefined)
      hooks.onRequest?.({ method: 'GET', url, status: 0, error: (err as Error).message });
    throw err;
  } finally {
    hooks.signal?.removeEventListener('abort', abort);
  }
}
