import type { Readable } from 'node:stream';
import { StrataError } from '../errors.js';
import { type HttpResponse, header } from './http.js';
import { isTransientNetError } from './neterror.js';

export interface ContentRange {
  start: number;
  end: number;
  total?: number;
}

/** Parse `Content-Range: bytes a-b/total` (total may be *). */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return undefined;
  return m[3] === '*' ? { start, end } : { start, end, total: Number(m[3]) };
}

/**
 * How to continue after asking for `bytes=<offset>-`: a 206 whose range starts at the offset is
 * appended; any other success means the server sent the whole blob again, so its first `offset` bytes
 * are skipped (restarting without handing the consumer the same bytes twice).
 */
export function resumeMode(
  res: Pick<HttpResponse, 'status' | 'headers'>,
  offset: number,
): 'append' | 'restart' {
  if (res.status === 206) {
    const range = parseContentRange(header(res.headers, 'content-range'));
    if (range !== undefined && range.start === offset) return 'append';
  }
  return 'restart';
}

export interface ResumeOptions {
  /** Expected size: a body that ends cleanly but short of it was cut and is resumed too. */
  size?: number;
  /** How many times a broken download may be picked up again. */
  maxResumes: number;
  /** Names the blob in the final error. */
  what: string;
  host: string;
  /** Wait before the n-th resume (n from 1). */
  delay?: (n: number) => Promise<void>;
}

/**
 * The blob's bytes, picking the download up where a dropped connection left it. `reopen(offset)` must
 * answer with a success status (206 or 200) or throw. The caller verifies the digest over everything
 * yielded, so a server that changes the bytes between attempts is still caught.
 */
export async function* resumableChunks(
  first: Readable,
  reopen: (offset: number) => Promise<HttpResponse>,
  opts: ResumeOptions,
): AsyncGenerator<Buffer> {
  let body = first;
  let received = 0;
  let skip = 0;
  let resumes = 0;
  try {
    for (;;) {
      let cause: unknown;
      try {
        for await (const chunk of body) {
          let buf = chunk as Buffer;
          if (skip > 0) {
            const dropped = Math.min(skip, buf.length);
            skip -= dropped;
            buf = buf.subarray(dropped);
            if (buf.length === 0) continue;
          }
          received += buf.length;
          yield buf;
        }
        if (skip === 0 && (opts.size === undefined || received >= opts.size)) return;
        cause = new Error('connection closed before the end of the blob');
      } catch (err) {
        if (!isTransientNetError(err)) throw err;
        cause = err;
      }
      if (resumes >= opts.maxResumes) {
        throw new StrataError(
          'unreachable',
          `cannot reach registry ${opts.host}: download of ${opts.what} kept breaking off (${received} bytes received)`,
          { cause },
        );
      }
      resumes++;
      body.destroy();
      await opts.delay?.(resumes);
      const res = await reopen(received);
      body = res.body;
      skip = resumeMode(res, received) === 'append' ? 0 : received;
    }
  } finally {
    body.destroy();
  }
}
