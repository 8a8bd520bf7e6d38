import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid, isStrataError } from '../errors.js';
import { type TarEntryType, type TarHeader, cleanTarPath } from './tar-header.js';

const TYPES: Record<string, TarEntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'link',
  symlink: 'symlink',
  'character-device': 'character-device',
  'block-device': 'block-device',
  directory: 'directory',
  fifo: 'fifo',
};

const TYPEFLAGS: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
  unknown: '?',
};

/** tar-stream's header in the same shape as the file indexer's. */
export function fromTarStreamHeader(h: tar.Header): TarHeader {
  const type: TarEntryType = TYPES[h.type as string] ?? 'unknown';
  const header: TarHeader = {
    name: cleanTarPath(h.name),
    type,
    typeflag: TYPEFLAGS[type],
    linkname: h.linkname ?? '',
    mode: h.mode ?? 0,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    size: type === 'file' || type === 'unknown' ? (h.size ?? 0) : 0,
    mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
    uname: h.uname ?? '',
    gname: h.gname ?? '',
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  };
  if (h.pax && typeof h.pax === 'object') header.pax = h.pax as Record<string, string>;
  return header;
}

function tarError(err: unknown, what: string): Error {
  if (isStrataError(err)) return err;
  const message = (err as Error)?.message ?? String(err);
  if (/Unexpected end of data/i.test(message))
    return invalid(`${what} is truncated: its tar data ends inside a member`, err);
  return invalid(`${what} is not a valid tar: ${message}`, err);
}

/**
 * Read a tar stream (already decompressed) member by member. `onEntry` gets each header and its data
 * as an async iterable of chunks; data it leaves unread is skipped. Reads the stream to its end, so a verifier upstream
 * sees every byte. Resolves to the number of members.
 */
export async function scanTarStream(
  stream: Readable,
  what: string,
  onEntry: (header: TarHeader, body: AsyncIterable<Buffer>) => void | Promise<void>,
): Promise<number> {
  // v7 tars have no ustar magic; Go reads them, so this does too.
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  let count = 0;
  const consume = (async () => {
    for await (const entry of extract) {
      count++;
      await onEntry(fromTarStreamHeader(entry.header), entry as unknown as AsyncIterable<Buffer>);
      entry.resume();
    }
  })();
  try {
    await Promise.all([pipeline(stream, extract), consume]);
  } catch (err) {
    stream.destroy();
    throw tarError(err, what);
  }
  return count;
}
