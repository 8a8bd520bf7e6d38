import { gunzipSync, gzipSync } from 'node:zlib';
import { invalid } from '../errors.js';
import { CONTENT_HASH, ENTRY_KINDS, type IndexEntry, type LayerIndex } from './index-types.js';

/**
 * On-disk form of a LayerIndex: an 8-byte magic with the format version, then gzip of a binary body.
 * Strings are length-prefixed UTF-8 (so any byte, tab or newline included, round-trips), numbers are
 * LEB128 varints, hashes 32 raw bytes. gzip's CRC catches corruption; the parser checks every bound
 * and that the body ends exactly where the last entry does.
 */
const MAGIC = Buffer.from('STRIDX\0', 'latin1');
export const INDEX_FORMAT_VERSION = 3;

const KINDS = ENTRY_KINDS;
const KIND_CODE = new Map(KINDS.map((k, i) => [k, i]));

const HAS_LINK = 1;
const HAS_XATTRS = 2;
const HAS_HASH = 4;
const HAS_DEVICE = 8;
const HASH_PREFIX = `${CONTENT_HASH}:`;
const HASH_BYTES = 32;

/** A growable byte buffer with the few writes the format needs. */
class Writer {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned LEB128 for any safe non-negative integer (division, as bit ops stop at 32 bits). */
  uint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw invalid(`layer index: ${n} is not a non-negative integer`);
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** Signed integers as zigzag: 0, -1, 1, -2… → 0, 1, 2, 3… */
  int(n: number): void {
    this.uint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.uint(n);
    this.room(n);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  raw(bytes: Buffer): void {
    this.room(bytes.length);
    bytes.copy(this.buf, this.len);
    this.len += bytes.length;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
let scratch = Buffer.allocUnsafe(128);
const hexScratch = (n: number) => {
  if (scratch.length < n) scratch = Buffer.allocUnsafe(n);
  return scratch;
};

/** A bounds-checked cursor: any read past the end is corruption. */
class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('truncated');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new Error('varint too long');
    }
    if (!Number.isSafeInteger(n)) throw new Error('number out of range');
    return n;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  str(): string {
    const n = this.uint();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * `prefix` and then n bytes in hex, as one flat string: `prefix + hex` would be a concatenation, a
   * 32-byte cell on top of both parts for every content hash kept (112,000 on the bench image).
   */
  prefixedHex(prefix: string, n: number): string {
    this.need(n);
    const out = hexScratch(prefix.length + 2 * n);
    out.write(prefix, 0, 'latin1');
    for (let i = 0, at = prefix.length; i < n; i++, at += 2) {
      const b = this.buf[this.pos + i] as number;
      out[at] = HEX_DIGITS[b >> 4] as number;
      out[at + 1] = HEX_DIGITS[b & 15] as number;
    }
    this.pos += n;
    return out.toString('latin1', 0, prefix.length + 2 * n);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

function hashBytes(hash: string): Buffer {
  const hex = hash.startsWith(HASH_PREFIX) ? hash.slice(HASH_PREFIX.length) : '';
  if (hex.length !== HASH_BYTES * 2 || !/^[0-9a-f]+$/.test(hex))
    throw invalid(`layer index: ${hash} is not a ${CONTENT_HASH} content hash`);
  return Buffer.from(hex, 'hex');
}

function encodeEntry(w: Writer, e: IndexEntry): void {
  const kind = KIND_CODE.get(e.kind);
  if (kind === undefined) throw invalid(`layer index: unknown entry kind ${e.kind}`);
  const xattrs = e.xattrs && Object.keys(e.xattrs).length > 0 ? Object.entries(e.xattrs) : undefined;
  const device = e.devmajor !== undefined || e.devminor !== undefined;
  const flags =
    (e.link !== undefined ? HAS_LINK : 0) |
    (xattrs ? HAS_XATTRS : 0) |
    (e.hash !== undefined ? HAS_HASH : 0) |
    (device ? HAS_DEVICE : 0);
  w.str(e.path);
  w.byte(kind);
  w.byte(flags);
  w.uint(e.mode);
  w.uint(e.uid);
  w.uint(e.gid);
  w.uint(e.size);
  w.int(e.mtime);
  if (e.link !== undefined) w.str(e.link);
  if (e.hash !== undefined) w.raw(hashBytes(e.hash));
  if (device) {
    w.uint(e.devmajor ?? 0);
    w.uint(e.devminor ?? 0);
  }
  if (xattrs) {
    w.uint(xattrs.length);
    for (const [k, v] of xattrs) {
      w.str(k);
      w.str(v);
    }
  }
}

/** How much of an index to decode. */
export interface DecodeOptions {
  /**
   * Each file's content hash (default true). A caller that never compares contents (the waste count)
   * leaves them out: 88 bytes of string per file, 10 MiB on the 95,000-path bench image.
   */
  contentHashes?: boolean;
}

function decodeEntry(r: Reader, hashes: boolean): IndexEntry {
  const path = r.str();
  const kind = KINDS[r.byte()];
  if (kind === undefined) throw new Error('unknown entry kind');
  const flags = r.byte();
  if (flags > 15) throw new Error('unknown flags');
  const mode = r.uint();
  const uid = r.uint();
  const gid = r.uint();
  const size = r.uint();
  const mtime = r.int();
  const link = flags & HAS_LINK ? r.str() : undefined;
  let hash: string | undefined;
  if (flags & HAS_HASH) {
    if (hashes) hash = r.prefixedHex(HASH_PREFIX, HASH_BYTES);
    else r.skip(HASH_BYTES);
  }
  // Made with the link and hash in place: a property added to an object made without it goes to a
  // store of its own (40 bytes per file, 4 MiB on the bench image).
  const e: IndexEntry =
    hash === undefined
      ? link === undefined
        ? { path, kind, mode, uid, gid, size, mtime }
        : { path, kind, mode, uid, gid, size, mtime, link }
      : link === undefined
        ? { path, kind, mode, uid, gid, size, mtime, hash }
        : { path, kind, mode, uid, gid, size, mtime, link, hash };
  if (flags & HAS_DEVICE) {
    e.devmajor = r.uint();
    e.devminor = r.uint();
  }
  if (flags & HAS_XATTRS) {
    const xattrs: Record<string, string> = {};
    for (let n = r.uint(); n > 0; n--) xattrs[r.str()] = r.str();
    e.xattrs = xattrs;
  }
  return e;
}

/**
 * An index encoded entry by entry, so a scan need not keep its entries as objects: on a layer of
 * 40,000 files they were most of what the collector marked, each time zlib's buffers made it run.
 */
export class LayerIndexEncoder {
  private readonly body = new Writer();
  private count = 0;

  add(entry: IndexEntry): void {
    encodeEntry(this.body, entry);
    this.count++;
  }

  /** The cache's bytes for the entries added, in order. */
  finish(diffID: string, unpackedSize: number): Buffer {
    const head = new Writer();
    head.str(diffID);
    head.uint(unpackedSize);
    head.uint(this.count);
    // Level 1: hashes dominate and do not compress, so higher levels cost time for little.
    const body = gzipSync(Buffer.concat([head.bytes(), this.body.bytes()]), { level: 1 });
    return Buffer.concat([MAGIC, Buffer.from([INDEX_FORMAT_VERSION]), body]);
  }
}

/** Serialise an index for the cache. */
export function encodeLayerIndex(index: LayerIndex): Buffer {
  const encoder = new LayerIndexEncoder();
  for (const e of index.entries) encoder.add(e);
  return encoder.finish(index.diffID, index.unpackedSize);
}

/** Parse a cached index; any corrupt, truncated, foreign or other-version file is an 'invalid' error. */
export function decodeLayerIndex(bytes: Buffer, options: DecodeOptions = {}): LayerIndex {
  const hashes = options.contentHashes ?? true;
  const head = MAGIC.length + 1;
  if (bytes.length < head || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw invalid('not a strata layer index');
  }
  if (bytes[MAGIC.length] !== INDEX_FORMAT_VERSION) {
    throw invalid(`layer index format ${bytes[MAGIC.length]} is not ${INDEX_FORMAT_VERSION}`);
  }
  try {
    const r = new Reader(gunzipSync(bytes.subarray(head)));
    const diffID = r.str();
    const unpackedSize = r.uint();
    const count = r.uint();
    const entries: IndexEntry[] = [];
    for (let i = 0; i < count; i++) entries.push(decodeEntry(r, hashes));
    if (!r.done) throw new Error('trailing bytes');
    return { diffID, entries, unpackedSize };
  } catch (err) {
    throw invalid(`corrupt layer index: ${(err as Error).message}`, err);
  }
}
