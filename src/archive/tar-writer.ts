/**
 * A small streaming tar writer for the archives strata produces (docker save and OCI archives):
 * USTAR headers, files streamed from disk with their size known up front, nothing held in memory
 * beyond one chunk. Output is deterministic: fixed owner, mode and time unless an entry says otherwise.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { invalid } from '../errors.js';
import { BLOCK, paddedSize } from './tar-header.js';

/** One entry to write. A file's bytes come from memory (small documents) or from a file on disk. */
export type TarWriteEntry =
  | { name: string; type: 'directory'; mode?: number; mtime?: number }
  | { name: string; type: 'file'; data: Buffer; mode?: number; mtime?: number }
  | { name: string; type: 'file'; path: string; size: number; mode?: number; mtime?: number };

/** The largest size a 12-byte octal field holds; larger sizes use the base-256 form Go and GNU read. */
const MAX_OCTAL_SIZE = 0o77777777777;

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw invalid(`tar entry field "${value}" is longer than ${length} bytes`);
  bytes.copy(block, offset);
}

/** An octal number, zero-padded, NUL-terminated, as USTAR writes it. */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** Base-256: the high bit of the first byte set, the value big-endian in the rest. */
function writeBase256(block: Buffer, offset: number, length: number, value: number): void {
  let v = BigInt(value);
  for (let i = offset + length - 1; i > offset; i--) {
    block[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = 0x80;
}

/** Split a long name into USTAR's prefix (≤155) and name (≤100) at a '/', if it can be. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return [prefix, rest];
  }
  throw invalid(`tar entry name is too long for a USTAR header: ${name}`);
}

/** The 512-byte USTAR header of one entry. */
export function encodeTarHeader(entry: {
  name: string;
  type: 'file' | 'directory';
  size: number;
  mode: number;
  mtime: number;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  const [prefix, name] = splitName(entry.name);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, entry.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  if (entry.size <= MAX_OCTAL_SIZE) writeOctal(block, 124, 12, entry.size);
  else writeBase256(block, 124, 12, entry.size);
  writeOctal(block, 136, 12, entry.mtime);
  block.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  block[156] = entry.type === 'directory' ? 0x35 : 0x30;
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** Stream a file's bytes, failing if it does not hold exactly the size its header announced. */
async function* fileBytes(path: string, size: number, name: string): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of createReadStream(path)) {
    seen += (chunk as Buffer).length;
    if (seen > size) break;
    yield chunk as Buffer;
  }
  if (seen !== size)
    throw invalid(`${name} changed while it was being archived (${seen} bytes, expected ${size})`);
}

async function* tarChunks(entries: Iterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const mtime = entry.mtime ?? 0;
    if (entry.type === 'directory') {
      const name = entry.name.endsWith('/') ? entry.name : `${entry.name}/`;
      yield encodeTarHeader({ name, type: 'directory', size: 0, mode: entry.mode ?? 0o755, mtime });
      continue;
    }
    const size = 'data' in entry ? entry.data.length : entry.size;
    yield encodeTarHeader({ name: entry.name, type: 'file', size, mode: entry.mode ?? 0o644, mtime });
    if ('data' in entry) yield entry.data;
    else yield* fileBytes(entry.path, size, entry.name);
    const pad = paddedSize(size) - size;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  // End of archive: two zero blocks.
  yield Buffer.alloc(2 * BLOCK);
}

/** The tar of these entries as a byte stream, produced as it is read (backpressure is kept). */
export function tarStream(entries: Iterable<TarWriteEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}
