import { type FileHandle, open } from 'node:fs/promises';
import { fromSystemError, invalid } from '../errors.js';
import type { FileRange } from '../transports/types.js';
import {
  BLOCK,
  MAX_EXTENSION_BYTES,
  type PendingExtensions,
  type RawHeader,
  type TarHeader,
  applyExtension,
  cleanTarPath,
  escapesRoot,
  finishHeader,
  isExtensionFlag,
  paddedSize,
  parseHeaderBlock,
} from './tar-header.js';

export type { TarEntryType, TarHeader } from './tar-header.js';

/** A member of a tar file on disk: its header and where its data starts. */
export interface TarEntry extends TarHeader {
  /** Absolute offset in the file of the member's data. */
  dataOffset: number;
}

export interface ScanResult {
  /** Whether an end-of-archive block was seen (a tar cut at a member boundary has none). */
  ended: boolean;
}

const WINDOW = 64 * 1024;

/** Reads blocks through a 64 KiB window, so runs of small members cost one read, not one each. */
class WindowReader {
  private start = 0;
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly fh: FileHandle) {}

  async read(pos: number, length: number): Promise<Buffer> {
    if (pos >= this.start && pos + length <= this.start + this.buf.length) {
      return this.buf.subarray(pos - this.start, pos - this.start + length);
    }
    const size = Math.max(WINDOW, length);
    const buf = Buffer.alloc(size);
    const { bytesRead } = await this.fh.read(buf, 0, size, pos);
    this.start = pos;
    this.buf = buf.subarray(0, bytesRead);
    return this.buf.subarray(0, Math.min(length, bytesRead));
  }
}

async function readBlock(reader: WindowReader, pos: number, end: number, what: string): Promise<Buffer> {
  const block = pos + BLOCK > end ? Buffer.alloc(0) : await reader.read(pos, BLOCK);
  if (block.length < BLOCK) throw invalid(`${what} is truncated`);
  return block;
}

/** Read a PAX or GNU long-name member's payload and fold it into the pending extensions. */
async function readExtension(
  reader: WindowReader,
  raw: RawHeader,
  pending: PendingExtensions,
  pos: number,
  end: number,
  what: string,
): Promise<PendingExtensions> {
  if (raw.size > MAX_EXTENSION_BYTES) {
    throw invalid(`${what} is corrupt: extended header of ${raw.size} bytes at offset ${pos}`);
  }
  if (pos + BLOCK + raw.size > end) throw invalid(`${what} is truncated`);
  const data = Buffer.from(await reader.read(pos + BLOCK, raw.size));
  const next = applyExtension(pending, raw.typeflag, data);
  if (next === undefined) throw invalid(`${what} is corrupt: malformed extended header at offset ${pos}`);
  return next;
}

/**
 * Walk the headers of a tar stored in `range` of an open file, seeking past member data. Calls
 * `onEntry` for each real member (extension headers folded in). Throws 'invalid' errors naming
 * `what` for a file that is not a tar, a corrupt header, or data that runs past the range.
 */
export async function scanTarHeaders(
  fh: FileHandle,
  range: { offset: number; length: number },
  what: string,
  onEntry: (entry: TarEntry) => void,
): Promise<ScanResult> {
  const reader = new WindowReader(fh);
  const end = range.offset + range.length;
  let pos = range.offset;
  let pending: PendingExtensions = {};
  while (pos < end) {
    const parsed = parseHeaderBlock(await readBlock(reader, pos, end, what));
    if (parsed.kind === 'zero') return { ended: true };
    if (parsed.kind === 'bad') {
      throw invalid(
        pos === range.offset
          ? `${what} is not a tar archive`
          : `${what} is corrupt: bad tar header at offset ${pos}`,
      );
    }
    const raw = parsed.header;
    if (isExtensionFlag(raw.typeflag)) {
      pending = await readExtension(reader, raw, pending, pos, end, what);
      pos += BLOCK + paddedSize(raw.size);
      continue;
    }
    const header = finishHeader(raw, pending);
    if (header === undefined)
      throw invalid(`${what} is corrupt: malformed extended header before offset ${pos}`);
    // Extension data applies to one member only; global PAX records stay.
    pending = pending.global ? { global: pending.global } : {};
    const dataOffset = pos + BLOCK;
    if (dataOffset + header.size > end) throw invalid(`${what} is truncated`);
    onEntry({ ...header, dataOffset });
    pos = dataOffset + paddedSize(header.size);
  }
  return { ended: false };
}

const MAX_LINK_HOPS = 40;

/** The members of a tar file, for random access without extracting it. */
export class TarIndex {
  private readonly byName = new Map<string, TarEntry>();

  constructor(
    readonly path: string,
    readonly entries: readonly TarEntry[],
    /** False when the file ended without an end-of-archive block. */
    readonly ended: boolean,
    /** How the archive is named in messages. */
    readonly what: string = path,
  ) {
    // The last member of a name wins, as when extracting. Names above the root are never found.
    for (const e of entries) if (e.name !== '' && !escapesRoot(e.name)) this.byName.set(e.name, e);
  }

  /** The member stored under a name (cleaned first), without following links. */
  get(name: string): TarEntry | undefined {
    const cleaned = cleanTarPath(name);
    return escapesRoot(cleaned) ? undefined : this.byName.get(cleaned);
  }

  range(entry: TarEntry): FileRange {
    return { path: this.path, offset: entry.dataOffset, length: entry.size };
  }

  /**
   * The regular file a path names inside the archive, following symlinks (in any component) and
   * hard links the way an extracted copy would. Undefined when nothing is there. Links that lead
   * outside the archive (absolute targets or too many '..') and link loops are refused.
   */
  resolve(name: string, what = name): TarEntry | undefined {
    const where = `${this.what}: ${what}`;
    let pending = splitInside(name, () => `${where} points outside the archive`);
    let done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      const entry = this.byName.get([...done, part].join('/'));
      const isLink = entry?.type === 'symlink' || (entry?.type === 'link' && pending.length === 0);
      if (entry === undefined || !isLink) {
        done.push(part);
        continue;
      }
      if (++hops > MAX_LINK_HOPS) throw invalid(`${where} is a link loop`);
      const outside = () => `${where} links to ${entry.linkname}, outside the archive`;
      if (entry.type === 'symlink') {
        // An absolute target means the host's file system, never the archive's.
        if (entry.linkname.startsWith('/')) throw invalid(outside());
        pending = [...splitInside([...done, entry.linkname].join('/'), outside), ...pending];
      } else {
        // Hard link targets name a member from the archive root.
        pending = splitInside(entry.linkname, outside);
      }
      done = [];
    }
    const entry = this.byName.get(done.join('/'));
    if (entry === undefined) return undefined;
    if (entry.type !== 'file') throw invalid(`${where} is a ${entry.type}, not a file`);
    return entry;
  }

  /** Like resolve, with a FileRange, or undefined when the path is absent. */
  resolveRange(name: string, what = name): FileRange | undefined {
    const entry = this.resolve(name, what);
    return entry === undefined ? undefined : this.range(entry);
  }
}

function splitInside(path: string, message: () => string): string[] {
  const cleaned = cleanTarPath(path);
  if (escapesRoot(cleaned)) throw invalid(message());
  return cleaned === '' ? [] : cleaned.split('/');
}

/**
 * Index a tar file by reading its headers only. 'not-found' for a missing file; 'invalid' for an
 * empty file, a file that is not a tar, or one that is truncated.
 */
export async function indexTar(path: string, what: string = path): Promise<TarIndex> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fromSystemError(err, what);
  }
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw invalid(`${what} is a directory, not a tar archive`);
    if (stat.size === 0) throw invalid(`${what} is empty, not a tar archive`);
    const entries: TarEntry[] = [];
    const { ended } = await scanTarHeaders(fh, { offset: 0, length: stat.size }, what, (e) =>
      entries.push(e),
    );
    return new TarIndex(path, entries, ended, what);
  } catch (err) {
    throw fromSystemError(err, what);
  } finally {
    await fh.close();
  }
}
