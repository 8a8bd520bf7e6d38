/**
 * A file's bytes as of a layer, for the viewer (text, or a hex dump for binary) and for extracting.
 * Where the bytes live comes from the timeline for a regular file (the layer that last wrote it), and
 * from `strata cat`'s locateFile for links; the bytes come from one streamed read of that layer.
 */
import { constants, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type StoredFile, locateFile, writeMember } from '../flatten/stored-file.js';
import { fromSystemError, invalid } from '../errors.js';
import type { Image } from '../image/image.js';
import type { LayerIndex } from '../layer/index-types.js';
import type { ImageSource } from '../transports/types.js';
import type { Timeline } from './timeline.js';

/**
 * Where the content of a path as of `layer` is stored. A regular file is found in the timeline; a link
 * needs the layers' indexes (read again, from the cache: the explorer does not keep them).
 */
export async function locate(
  t: Timeline,
  indexes: () => Promise<readonly LayerIndex[]>,
  id: number,
  layer: number,
): Promise<StoredFile> {
  const path = t.paths[id] as string;
  const last = t.lastEvent(id, layer);
  if (!last?.entry) throw invalid(`${path}: not in layer ${layer}`);
  if (last.entry.kind === 'file') return { layer: last.layer, path };
  return locateFile(await indexes(), layer, path);
}

/** Thrown inside the member copy to stop reading once enough bytes are in. */
class Enough extends Error {}

/** Up to `limit` bytes of a stored file, and whether there were more. */
export async function readHead(
  source: ImageSource,
  image: Image,
  stored: StoredFile,
  limit: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    await writeMember(source, image, stored, (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        truncated = true;
        throw new Enough();
      }
    });
  } catch (err) {
    if (!(err instanceof Enough)) throw err;
  }
  return { bytes: Buffer.concat(chunks).subarray(0, limit), truncated };
}

/** Binary when it holds a NUL or is not UTF-8 (a cut in the middle of a character is forgiven). */
export function isBinary(bytes: Buffer, truncated: boolean): boolean {
  if (bytes.includes(0)) return true;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    decoder.decode(bytes, { stream: truncated });
    return false;
  } catch {
    return true;
  }
}

/** Text as screen lines: tabs expanded, other control characters shown as '·'. */
export function textLines(bytes: Buffer): string[] {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.split(/\r?\n/).map((line) => {
    let out = '';
    for (const ch of line) {
      if (ch === '\t') out += ' '.repeat(8 - (out.length % 8));
      else if (ch < ' ' || ch === '\x7f') out += '·';
      else out += ch;
    }
    return out;
  });
}

/** `hexdump -C` style: offset, sixteen bytes in two groups, and the printable ones. */
export function hexLines(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ').padEnd(23);
    const right = hex.slice(8).join(' ').padEnd(23);
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${off.toString(16).padStart(8, '0')}  ${left}  ${right}  |${ascii}|`);
  }
  return out;
}

/** What the viewer shows of the first bytes of a file. */
export function viewerContent(bytes: Buffer, truncated: boolean): { lines: string[]; note: string } {
  const more = truncated ? `, first ${Math.round(bytes.length / 1024)} KiB` : '';
  if (isBinary(bytes, truncated)) return { lines: hexLines(bytes), note: `binary, as hex${more}` };
  return { lines: textLines(bytes), note: `text${more}` };
}

/**
 * Write a stored file's content to `dir/<name>` (never over an existing file); returns where.
 * Mode bits are the entry's permission bits.
 */
export async function extractFile(
  source: ImageSource,
  image: Image,
  stored: StoredFile,
  dir: string,
  mode: number,
): Promise<string> {
  const target = join(dir, stored.path.slice(stored.path.lastIndexOf('/') + 1));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(target, flags, mode & 0o777);
  } catch (err) {
    throw fromSystemError(
      (err as NodeJS.ErrnoException).code === 'EEXIST' ? invalid(`${target} already exists`) : err,
      target,
    );
  }
  try {
    // writeMember hands chunks to a synchronous callback: writing each at once keeps memory flat.
    await writeMember(source, image, stored, (chunk) => writeSync(handle.fd, chunk));
  } finally {
    await handle.close();
  }
  return target;
}
