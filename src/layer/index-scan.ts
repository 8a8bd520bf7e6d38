import { createHash } from 'node:crypto';
import {
  BLOCK,
  MAX_EXTENSION_BYTES,
  type PendingExtensions,
  type TarHeader,
  applyExtension,
  cleanTarPath,
  finishHeader,
  isExtensionFlag,
  paddedSize,
  parseHeaderBlock,
} from '../archive/tar-header.js';
import { invalid, isStrataError } from '../errors.js';
import { type ContentHasher, contentHasher } from './content-hash.js';
import type { EntryKind, IndexEntry, LayerIndex } from './index-types.js';
import { UnpackedSizeCounter } from './unpacked-size.js';

/** A scan's result: the index (its diffID is the one computed here) plus the member count. */
export interface LayerScan extends LayerIndex {
  /** Tar members, extension headers not counted (as LayerFacts.entries). */
  members: number;
  /** Bytes of tar read, end-of-archive blocks and trailing padding included. */
  tarBytes: number;
}

const WHITEOUT = '.wh.';
const META_PREFIX = '.wh..wh.';
const OPAQUE = '.wh..wh..opq';
/** File-type bits some writers leave in the mode field; the index keeps permission bits only. */
const PERMISSION_BITS = 0o7777;

/**
 * The absolute form of a cleaned tar path. A path that climbs above the root keeps its leading '..'
 * segments ('/../etc/x'): no normal entry can have one, so `escapesImageRoot` can tell them apart.
 */
export function absolutePath(cleaned: string): string {
  return `/${cleaned}`;
}

/** True for an index path whose tar name climbed above the root (Docker refuses such layers). */
export function escapesImageRoot(path: string): boolean {
  return path === '/..' || path.startsWith('/../');
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** True when any directory above the entry is an AUFS internal (.wh..wh.plnk and friends). */
function underMetaDir(cleaned: string): boolean {
  const parts = cleaned.split('/');
  parts.pop();
  return parts.some((p) => p.startsWith(META_PREFIX));
}

/** Pull SCHILY.xattr.* values out of a raw PAX payload, bytes intact (values may be binary). */
export function paxXattrs(data: Buffer, into: Record<string, string> = {}): Record<string, string> {
  let pos = 0;
  while (pos < data.length && data[pos] !== 0) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > data.length) break;
    const eq = data.indexOf(0x3d, space + 1);
    if (eq > 0 && eq < pos + len) {
      const key = data.toString('utf8', space + 1, eq);
      if (key.startsWith('SCHILY.xattr.')) {
        into[key.slice('SCHILY.xattr.'.length)] = data.subarray(eq + 1, pos + len - 1).toString('base64');
      }
    }
    pos += len;
  }
  return into;
}

export interface ScanOptions {
  /** Only the diffID, unpacked size and member count: no entries, no content hashes. */
  measureOnly?: boolean;
  /** Where each entry goes as it completes; the result's entries are then empty. */
  onEntry?: (entry: IndexEntry) => void;
}

type State =
  | { at: 'header' }
  | { at: 'extension'; typeflag: string; left: number; padding: number; parts: Buffer[] }
  | { at: 'data'; left: number; padding: number; hashing: boolean; entry?: IndexEntry }
  | { at: 'end' };

/**
 * A push parser that turns a decompressed layer tar into index entries, hashing each regular file and
 * the whole stream as bytes go by. Only header blocks and extension payloads (bounded) are buffered,
 * so memory does not grow with file sizes.
 */
export class LayerIndexer {
  private readonly streamHash = createHash('sha256');
  private readonly counter = new UnpackedSizeCounter();
  private readonly entries: IndexEntry[] = [];
  /** Content hash per cleaned path, for hardlinks to files earlier in this tar. */
  private readonly hashOf = new Map<string, string>();
  private state: State = { at: 'header' };
  private pending: PendingExtensions = {};
  /** Raw bytes of PAX 'x' payloads waiting for their entry (xattrs need the bytes, not UTF-8). */
  private paxRaw: Buffer[] = [];
  private headerBuf = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private bytes = 0;

  /**
   * `measureOnly`: only the diffID, unpacked size and member count (no entries, no content hashes);
   * otherwise `hasher` hashes each regular file's content. With `onEntry` each entry goes there as it
   * completes instead of into the result.
   */
  constructor(
    private readonly what: string,
    private readonly options: ScanOptions & { hasher?: ContentHasher } = {},
  ) {
    if (!options.measureOnly && !options.hasher)
      throw new Error('LayerIndexer: entries need a content hasher');
  }

  /** Feed the next chunk of tar bytes. Throws an 'invalid' StrataError on a corrupt tar. */
  write(chunk: Buffer): void {
    this.streamHash.update(chunk);
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) pos = this.step(chunk, pos);
  }

  /** The index, once every byte has been written. */
  finish(): LayerScan {
    const s = this.state;
    if (s.at === 'data' || s.at === 'extension' || this.headerFill > 0) {
      throw invalid(`${this.what} is truncated: its tar data ends inside a member`);
    }
    const { size, entries } = this.counter.result();
    return {
      diffID: `sha256:${this.streamHash.digest('hex')}`,
      entries: this.entries,
      unpackedSize: size,
      members: entries,
      tarBytes: this.bytes,
    };
  }

  /** Consume what the current state wants from chunk[pos..]; returns the new position. */
  private step(chunk: Buffer, pos: number): number {
    const s = this.state;
    if (s.at === 'end') return chunk.length; // trailing zeros and padding: hashed, not parsed
    if (s.at === 'header') return this.readHeader(chunk, pos);
    const take = Math.min(s.left + s.padding, chunk.length - pos);
    const dataPart = Math.min(take, s.left);
    if (dataPart > 0) {
      const piece = chunk.subarray(pos, pos + dataPart);
      if (s.at === 'data') {
        if (s.hashing) this.options.hasher?.update(piece);
      } else s.parts.push(Buffer.from(piece)); // copy: the caller may reuse its chunk
    }
    s.left -= dataPart;
    s.padding -= take - dataPart;
    if (s.left === 0 && s.padding === 0) {
      if (s.at === 'data') this.endData(s);
      else this.endExtension(s.typeflag, Buffer.concat(s.parts));
      this.state = { at: 'header' };
    }
    return pos + take;
  }

  private readHeader(chunk: Buffer, pos: number): number {
    const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
    chunk.copy(this.headerBuf, this.headerFill, pos, pos + n);
    this.headerFill += n;
    if (this.headerFill === BLOCK) {
      this.headerFill = 0;
      this.onBlock(this.headerBuf);
    }
    return pos + n;
  }

  private onBlock(block: Buffer): void {
    const parsed = parseHeaderBlock(block);
    if (parsed.kind === 'zero') {
      this.state = { at: 'end' };
      return;
    }
    if (parsed.kind === 'bad') throw invalid(`${this.what} is not a valid tar: bad header block`);
    const raw = parsed.header;
    if (isExtensionFlag(raw.typeflag)) {
      if (raw.size > MAX_EXTENSION_BYTES) {
        throw invalid(`${this.what} is not a valid tar: a ${raw.size}-byte extension header`);
      }
      const padding = paddedSize(raw.size) - raw.size;
      this.state = { at: 'extension', typeflag: raw.typeflag, left: raw.size, padding, parts: [] };
      if (raw.size === 0) this.endExtension(raw.typeflag, Buffer.alloc(0));
      return;
    }
    const header = finishHeader(raw, this.pending);
    const paxRaw = this.paxRaw;
    this.pending = { global: this.pending.global };
    this.paxRaw = [];
    if (!header) throw invalid(`${this.what} is not a valid tar: a malformed PAX record`);
    this.counter.add(header);
    const entry = this.options.measureOnly ? undefined : this.toEntry(header, paxRaw);
    const hashing = entry?.kind === 'file';
    if (hashing) this.options.hasher?.reset();
    this.state = {
      at: 'data',
      left: header.size,
      padding: paddedSize(header.size) - header.size,
      hashing,
      entry,
    };
    if (header.size === 0) this.endData(this.state as Extract<State, { at: 'data' }>);
  }

  private endExtension(typeflag: string, data: Buffer): void {
    const next = applyExtension(this.pending, typeflag, data);
    if (!next) throw invalid(`${this.what} is not a valid tar: a malformed PAX header`);
    this.pending = next;
    if (typeflag === 'x') this.paxRaw.push(data);
    this.state = { at: 'header' };
  }

  private endData(s: Extract<State, { at: 'data' }>): void {
    this.state = { at: 'header' };
    const entry = s.entry;
    if (!entry) return;
    if (s.hashing && this.options.hasher) entry.hash = this.options.hasher.digest();
    if (this.options.onEntry) this.options.onEntry(entry);
    else this.entries.push(entry);
    this.remember(entry);
  }

  /** Keep the content hash each path holds now, so later hardlinks can borrow it. */
  private remember(entry: IndexEntry): void {
    if (entry.kind === 'whiteout' || entry.kind === 'opaque') return;
    if (entry.hash) this.hashOf.set(entry.path, entry.hash);
    else this.hashOf.delete(entry.path);
  }

  /** The index entry for a member, or undefined for markers the index leaves out. */
  private toEntry(h: TarHeader, paxRaw: Buffer[]): IndexEntry | undefined {
    const cleaned = h.name;
    if (underMetaDir(cleaned)) return undefined;
    const base = cleaned.slice(cleaned.lastIndexOf('/') + 1);
    let kind: EntryKind;
    let path = absolutePath(cleaned);
    if (base === OPAQUE) {
      kind = 'opaque';
      path = parentOf(path);
    } else if (base.startsWith(META_PREFIX)) {
      return undefined; // AUFS internals (.wh..wh.plnk, .wh..wh.aufs)
    } else if (base.startsWith(WHITEOUT)) {
      const target = base.slice(WHITEOUT.length);
      // '.wh.', '.wh..' and '.wh...' name nothing; Docker refuses them, the index leaves them out.
      if (target === '' || target === '.' || target === '..') return undefined;
      kind = 'whiteout';
      path = `${parentOf(path) === '/' ? '' : parentOf(path)}/${target}`;
    } else {
      kind = KIND[h.type];
    }
    const entry: IndexEntry = {
      path,
      kind,
      mode: h.mode & PERMISSION_BITS,
      uid: h.uid,
      gid: h.gid,
      size: kind === 'file' ? h.size : 0,
      mtime: h.mtime,
    };
    this.addDetails(entry, h, paxRaw);
    return entry;
  }

  private addDetails(entry: IndexEntry, h: TarHeader, paxRaw: Buffer[]): void {
    if (entry.kind === 'symlink') entry.link = h.linkname;
    if (entry.kind === 'hardlink') {
      const target = cleanTarPath(h.linkname);
      entry.link = absolutePath(target);
      const hash = this.hashOf.get(entry.link);
      if (hash) entry.hash = hash;
    }
    if (entry.kind === 'char' || entry.kind === 'block') {
      entry.devmajor = h.devmajor;
      entry.devminor = h.devminor;
    }
    if (paxRaw.length > 0) {
      const xattrs: Record<string, string> = {};
      for (const data of paxRaw) paxXattrs(data, xattrs);
      if (Object.keys(xattrs).length > 0) entry.xattrs = xattrs;
    }
  }
}

/** Unknown types (GNU sparse, vendor flags) carry data like files do; the index treats them as files. */
const KIND: Record<TarHeader['type'], EntryKind> = {
  file: 'file',
  unknown: 'file',
  link: 'hardlink',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  directory: 'dir',
  fifo: 'fifo',
};

/** An indexer with the content hasher its options need (none when it only measures). */
export async function layerIndexer(what: string, options: ScanOptions = {}): Promise<LayerIndexer> {
  const hasher = options.measureOnly ? undefined : await contentHasher();
  return new LayerIndexer(what, { ...options, hasher });
}

/**
 * Index a decompressed layer tar in one read: entries, unpacked size and the diffID of the bytes read.
 * The stream is read to its end (so a verifier upstream sees every byte); the caller compares the diffID.
 */
export async function scanLayerIndex(
  tar: AsyncIterable<Buffer>,
  what: string,
  options: ScanOptions = {},
): Promise<LayerScan> {
  const indexer = await layerIndexer(what, options);
  // One chunk at a time, each handled before the next is asked for (decompressTransient relies on it).
  const chunks = tar[Symbol.asyncIterator]();
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) indexer.write(next.value);
    return indexer.finish();
  } catch (err) {
    await chunks.return?.().catch(() => {});
    if (isStrataError(err)) throw err;
    throw invalid(`${what}: ${(err as Error)?.message ?? String(err)}`, err);
  }
}
