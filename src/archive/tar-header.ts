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

function cString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
}

/**
 * A numeric field: octal text (space/NUL padded), or GNU base-256 when the top bit of the first byte
 * is set. Undefined when the field is not a number or does not fit a safe integer.
 */
export function parseTarNumber(field: Uint8Array): number | undefined {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative: never valid for sizes or ids
    let value = first & 0x7f;
    for (const byte of field.subarray(1)) {
      value = value * 256 + byte;
      if (!Number.isSafeInteger(value)) return undefined;
    }
    return value;
  }
  const text = Buffer.from(field).toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const value = Number.parseInt(text, 8);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Accept the unsigned sum (POSIX) or the signed sum some old tars wrote. */
function checksumMatches(block: Uint8Array): boolean {
  const stored = parseTarNumber(block.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/** Decode one 512-byte block: end-of-archive marker, corrupt block, or a header. */
export function parseHeaderBlock(block: Uint8Array): BlockKind {
  if (block.length !== BLOCK) return { kind: 'bad' };
  if (isZeroBlock(block)) return { kind: 'zero' };
  if (!checksumMatches(block)) return { kind: 'bad' };
  const magic = Buffer.from(block.subarray(257, 263)).toString('latin1');
  const posix = magic === 'ustar\0';
  const gnu = magic === 'ustar ';
  const nums = [
    parseTarNumber(block.subarray(100, 108)),
    parseTarNumber(block.subarray(108, 116)),
    parseTarNumber(block.subarray(116, 124)),
    parseTarNumber(block.subarray(124, 136)),
    parseTarNumber(block.subarray(136, 148)),
  ];
  if (nums.some((n) => n === undefined)) return { kind: 'bad' };
  const [mode, uid, gid, size, mtime] = nums as number[];
  let name = cString(block, 0, 100);
  const prefix = posix ? cString(block, 345, 155) : '';
  if (prefix !== '') name = `${prefix}/${name}`;
  const flagByte = block[156] as number;
  const typeflag = flagByte === 0 ? '\0' : String.fromCharCode(flagByte);
  const extended = posix || gnu;
  return {
    kind: 'header',
    header: {
      typeflag,
      name,
      linkname: cString(block, 157, 100),
      mode: mode as number,
      uid: uid as number,
      gid: gid as number,
      size: size as number,
      mtime: mtime as number,
      uname: extended ? cString(block, 265, 32) : '',
      gname: extended ? cString(block, 297, 32) : '',
      devmajor: extended ? (parseTarNumber(block.subarray(329, 337)) ?? 0) : 0,
      devminor: extended ? (parseTarNumber(block.subarray(337, 345)) ?? 0) : 0,
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
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

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
  const global = Object.fromEntries(
    Object.entries(pending.global ?? {}).filter(([k]) => GLOBAL_KEYS.includes(k)),
  );
  const pax = { ...global, ...pending.pax };
  const rawName = pending.longName ?? pax.path ?? raw.name;
  const type = entryType(raw.typeflag, rawName);
  const sizes = { size: paxNumber(pax.size), uid: paxNumber(pax.uid), gid: paxNumber(pax.gid) };
  if ((pax.size !== undefined && sizes.size === undefined) || !Number.isSafeInteger(sizes.size ?? 0))
    return undefined;
  const declared = sizes.size ?? raw.size;
  const header: TarHeader = {
    name: cleanTarPath(rawName),
    type,
    typeflag: raw.typeflag,
    linkname: pending.longLink ?? pax.linkpath ?? raw.linkname,
    mode: raw.mode,
    uid: sizes.uid ?? raw.uid,
    gid: sizes.gid ?? raw.gid,
    size: HEADER_ONLY.has(type) ? 0 : declared,
    mtime: Math.floor(paxNumber(pax.mtime) ?? raw.mtime),
    uname: pax.uname ?? raw.uname,
    gname: pax.gname ?? raw.gname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
  };
  if (Object.keys(pax).length > 0) header.pax = pax;
  return header;
}

/** Bytes a member occupies after its header, padding included. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
