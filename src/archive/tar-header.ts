/**
 * Pure tar header decoding: 512-byte ustar / GNU / v7 header blocks, PAX records and GNU long names,
 * folded into one entry per file. No I/O here; the file indexer and tests feed it bytes.
 */

export const BLOCK = 512;
/** Largest PAX / GNU long-name payload read; real ones are a few hundred bytes. */
export const MAX_EXTENSION_BYTES = 1024 * 1024;

export type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'unknown';

/** A decoded header block before extension headers are applied. */
export interface RawHeader {
  /** The raw type flag character ('0', '5', 'S'…), for the rare reader that needs it. */
  typeflag: string;
  name: string;
  /** Link target as stored (not normalised): symlinks keep theirs verbatim, hard links name a member. */
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data that follow the header (0 for header-only types such as links and directories). */
  size: number;
  /** Modification time in seconds since the epoch. */
  mtime: number;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

/** One tar member with its extension headers already applied. */
export interface TarHeader extends RawHeader {
  /** Normalised path: no leading '/' or './', no trailing '/', '.' and '..' folded where possible. */
  name: string;
  type: TarEntryType;
  /** PAX records that applied to this entry (xattrs arrive as SCHILY.xattr.*), when there were any. */
  pax?: Record<string, string>;
}

export type BlockKind = { kind: 'zero' } | { kind: 'bad' } | { kind: 'header'; header: RawHeader };

/** Extension data collected from x / g / L / K members, waiting for the entry they describe. */
export interface PendingExtensions {
  pax?: Record<string, string>;
  global?: Record<string, string>;
  longName?: string;
  longLink?: string;
}

const EXTENSION_FLAGS = new Set(['x', 'g', 'L', 'K']);
/** Types whose size field Go's archive/tar (and so Docker) ignores: no data follows them. */
const HEADER_ONLY = new Set<TarEntryType>([
  'link',
  'symlink',
  'character-device',
  'block-device',
  'directory',
  'fifo',
]);

export function isExtensionFlag(typeflag: string): boolean {
  return EXTENSION_FLAGS.has(typeflag);
}

// Header fields are decoded in place, by index: a layer of 100,000 members parses 100,000+ blocks, and
// copies or views per field showed up as a tenth of a layer scan's CPU and much of its garbage.

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The NUL-terminated UTF-8 text in bytes[start, start + length). */
function cString(bytes: Uint8Array, start: number, length: number): string {
  const end = Math.min(start + length, bytes.length);
  let nul = start;
  while (nul < end && bytes[nul] !== 0) nul++;
  return nul === start ? '' : asBuffer(bytes).toString('utf8', start, nul);
}

/** The characters String.prototype.trim removes, among latin1's. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0;
}

/** parseTarNumber on bytes[start, end), without a copy. */
function numberAt(bytes: Uint8Array, start: number, end: number): number | undefined {
  const first = bytes[start] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative: never valid for sizes or ids
    let value = first & 0x7f;
    for (let i = start + 1; i < end; i++) {
      value = value * 256 + (bytes[i] as number);
      if (!Number.isSafeInteger(value)) return undefined;
    }
    return value;
  }
  // Octal text, padded with blanks and ended by NUL (anything after it ignored).
  let hi = start;
  while (hi < end && bytes[hi] !== 0) hi++;
  let lo = start;
  while (lo < hi && isBlank(bytes[lo] as number)) lo++;
  while (hi > lo && isBlank(bytes[hi - 1] as number)) hi--;
  let value = 0;
  for (let i = lo; i < hi; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 7) return undefined;
    value = value * 8 + digit;
  }
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * A numeric field: octal text (space/NUL padded), or GNU base-256 when the top bit of the first byte
 * is set. Undefined when the field is not a number or does not fit a safe integer.
 */
export function parseTarNumber(field: Uint8Array): number | undefined {
  return numberAt(field, 0, field.length);
}

const CHECKSUM_AT = 148;
const CHECKSUM_END = 156;

/** Accept the unsigned sum (POSIX) or the signed sum some old tars wrote. */
function checksumMatches(block: Uint8Array): boolean {
  const stored = numberAt(block, CHECKSUM_AT, CHECKSUM_END);
  if (stored === undefined) return false;
  // The checksum field counts as eight spaces.
  let unsigned = 8 * 0x20;
  let high = 0; // bytes above 127, which the signed sum counts 256 lower
  for (let i = 0; i < BLOCK; i++) {
    if (i === CHECKSUM_AT) i = CHECKSUM_END;
    const b = block[i] as number;
    unsigned += b;
    if (b > 127) high++;
  }
  return stored === unsigned || stored === unsigned - 256 * high;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** The magic field at 257: "ustar\0" for POSIX, "ustar " for GNU. */
function magicOf(block: Uint8Array): 'posix' | 'gnu' | undefined {
  const ustar = [0x75, 0x73, 0x74, 0x61, 0x72];
  for (let i = 0; i < ustar.length; i++) if (block[257 + i] !== ustar[i]) return undefined;
  return block[262] === 0 ? 'posix' : block[262] === 0x20 ? 'gnu' : undefined;
}

/** Decode one 512-byte block: end-of-archive marker, corrupt block, or a header. */
export function parseHeaderBlock(block: Uint8Array): BlockKind {
  if (block.length !== BLOCK) return { kind: 'bad' };
  if (isZeroBlock(block)) return { kind: 'zero' };
  if (!checksumMatches(block)) return { kind: 'bad' };
  const magic = magicOf(block);
  const mode = numberAt(block, 100, 108);
  const uid = numberAt(block, 108, 116);
  const gid = numberAt(block, 116, 124);
  const size = numberAt(block, 124, 136);
  const mtime = numberAt(block, 136, 148);
  if (
    mode === undefined ||
    uid === undefined ||
    gid === undefined ||
    size === undefined ||
    mtime === undefined
  )
    return { kind: 'bad' };
  let name = cString(block, 0, 100);
  const prefix = magic === 'posix' ? cString(block, 345, 155) : '';
  if (prefix !== '') name = `${prefix}/${name}`;
  const flagByte = block[156] as number;
  const typeflag = flagByte === 0 ? '\0' : String.fromCharCode(flagByte);
  const extended = magic !== undefined;
  return {
    kind: 'header',
    header: {
      typeflag,
      name,
      linkname: cString(block, 157, 100),
      mode,
      uid,
      gid,
      size,
      mtime,
      uname: extended ? cString(block, 265, 32) : '',
      gname: extended ? cString(block, 297, 32) : '',
      devmajor: extended ? (numberAt(block, 329, 337) ?? 0) : 0,
      devminor: extended ? (numberAt(block, 337, 345) ?? 0) : 0,
    },
  };
}

/** PAX extended header records: "<len> <key>=<value>\n", len counting the whole record. */
export function parsePaxRecords(data: Uint8Array): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break; // NUL padding after the last record
    const space = buf.indexOf(0x20, pos);
    if (space < 0) return undefined;
    const len = Number(buf.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > buf.length) return undefined;
    const record = buf.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0 || buf[pos + len - 1] !== 0x0a) return undefined;
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Fold an extension member's payload into the pending state; undefined when it is malformed. */
export function applyExtension(
  pending: PendingExtensions,
  typeflag: string,
  data: Uint8Array,
): PendingExtensions | undefined {
  if (typeflag === 'L' || typeflag === 'K') {
    const text = cString(data, 0, data.length);
    return typeflag === 'L' ? { ...pending, longName: text } : { ...pending, longLink: text };
  }
  const records = parsePaxRecords(data);
  if (records === undefined) return undefined;
  if (typeflag === 'g') return { ...pending, global: { ...pending.global, ...records } };
  return { ...pending, pax: { ...pending.pax, ...records } };
}

function entryType(typeflag: string, rawName: string): TarEntryType {
  switch (typeflag) {
    case '\0':
      return rawName.endsWith('/') ? 'directory' : 'file';
    case '0':
    case '7':
      return 'file';
    case '1':
      return 'link';
    case '2':
      return 'symlink';
    case '3':
      return 'character-device';
    case '4':
      return 'block-device';
    case '5':
      return 'directory';
    case '6':
      return 'fifo';
    default:
      return 'unknown';
  }
}

/**
 * Clean a member path the way Docker's unpacker does: drop leading '/', fold '.', '..' and repeated
 * slashes. A path that climbs above the root keeps its leading '..' so callers can refuse it.
 */
export function cleanTarPath(name: string): string {
  if (!NEEDS_CLEANING.test(name)) return name;
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** A '.' or '..' segment, an empty one, or a leading or trailing '/': what cleaning would change. */
const NEEDS_CLEANING = /(?:^|\/)\.\.?(?:\/|$)|\/\/|^\/|\/$/;

/** True for a cleaned path that points above the archive root. */
export function escapesRoot(cleaned: string): boolean {
  return cleaned === '..' || cleaned.startsWith('../');
}

function paxNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

// Global PAX records that may apply to every later member; path, linkpath and size never do.
const GLOBAL_KEYS = ['uid', 'gid', 'uname', 'gname', 'mtime'];

/**
 * Apply pending extensions to a real header. Order follows Go's archive/tar: PAX records first,
 * then GNU long names, which win. Returns undefined when a PAX number is malformed.
 */
export function finishHeader(raw: RawHeader, pending: PendingExtensions): TarHeader | undefined {
  const pax = recordsFor(pending);
  const rawName = pending.longName ?? pax?.path ?? raw.name;
  const type = entryType(raw.typeflag, rawName);
  const sizes = { size: paxNumber(pax?.size), uid: paxNumber(pax?.uid), gid: paxNumber(pax?.gid) };
  if ((pax?.size !== undefined && sizes.size === undefined) || !Number.isSafeInteger(sizes.size ?? 0))
    return undefined;
  const declared = sizes.size ?? raw.size;
  const header: TarHeader = {
    name: cleanTarPath(rawName),
    type,
    typeflag: raw.typeflag,
    linkname: pending.longLink ?? pax?.linkpath ?? raw.linkname,
    mode: raw.mode,
    uid: sizes.uid ?? raw.uid,
    gid: sizes.gid ?? raw.gid,
    size: HEADER_ONLY.has(type) ? 0 : declared,
    mtime: pax?.mtime === undefined ? raw.mtime : Math.floor(paxNumber(pax.mtime) ?? raw.mtime),
    uname: pax?.uname ?? raw.uname,
    gname: pax?.gname ?? raw.gname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
  };
  if (pax) header.pax = pax;
  return header;
}

/** The PAX records that apply to a member (the global ones it may take, then its own), if any. */
function recordsFor(pending: PendingExtensions): Record<string, string> | undefined {
  if (!pending.global && !pending.pax) return undefined;
  const records: Record<string, string> = {};
  for (const [key, value] of Object.entries(pending.global ?? {}))
    if (GLOBAL_KEYS.includes(key)) records[key] = value;
  Object.assign(records, pending.pax);
  return Object.keys(records).length > 0 ? records : undefined;
}

/** Bytes a member occupies after its header, padding included. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
