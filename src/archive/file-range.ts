import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fromSystemError, invalid } from '../errors.js';
import type { FileRange } from '../transports/types.js';

/** Read-stream chunk for layer-sized files: fewer, larger chunks cost less per byte downstream. */
export const READ_CHUNK = 1 << 20;

/** Small documents (manifests, configs, index.json) are read whole; anything larger is refused. */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

async function openOrThrow(path: string, what: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw fromSystemError(err, what);
  }
}

/**
 * Stream the bytes of a range. The file is opened before this resolves, so a missing file fails
 * here rather than mid-stream. A file that shrank simply ends early; callers verify the length.
 */
export async function openFileRange(range: FileRange, what: string = range.path): Promise<Readable> {
  const fh = await openOrThrow(range.path, what);
  if (range.length === 0) {
    await fh.close();
    return Readable.from([], { objectMode: false });
  }
  return fh.createReadStream({
    start: range.offset,
    end: range.offset + range.length - 1,
    autoClose: true,
    highWaterMark: READ_CHUNK,
  });
}

/** Read a small range whole; ranges above `maxBytes` are refused as not being what they claim. */
export async function readFileRange(
  range: FileRange,
  what: string = range.path,
  maxBytes: number = MAX_DOCUMENT_BYTES,
): Promise<Buffer> {
  if (range.length > maxBytes)
    throw invalid(`${what} is ${range.length} bytes, more than the ${maxBytes} allowed`);
  const fh = await openOrThrow(range.path, what);
  try {
    const buf = Buffer.alloc(range.length);
    let got = 0;
    while (got < range.length) {
      const { bytesRead } = await fh.read(buf, got, range.length - got, range.offset + got);
      if (bytesRead === 0) throw invalid(`${what} is truncated: got ${got} of ${range.length} bytes`);
      got += bytesRead;
    }
    return buf;
  } catch (err) {
    throw fromSystemError(err, what);
  } finally {
    await fh.close();
  }
}

/** The first bytes of a range (fewer if the range is shorter), for sniffing compression. */
export async function readRangeHead(
  range: FileRange,
  count: number,
  what: string = range.path,
): Promise<Buffer> {
  return readFileRange({ ...range, length: Math.min(count, range.length) }, what);
}
