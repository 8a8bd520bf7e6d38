/**
 * One streaming pass over a `docker save` tar: every file is hashed and counted as it drains, and only
 * small JSON documents (manifest.json, index.json, configs, manifests) are kept. Memory stays flat
 * whatever the layers weigh.
 */
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid, isStrataError } from '../errors.js';

/** Larger documents than this are not kept; no real config or manifest comes near it. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export type ExportEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface ExportEntry {
  /** Path inside the export, without a leading ./ or a trailing /. */
  name: string;
  type: ExportEntryType;
  /** Bytes of data (0 for anything but files). */
  size: number;
  /** sha256 of the data, for files. */
  digest?: string;
  /** Target of a symlink (relative to its directory) or of a hard link (an archive path). */
  linkname?: string;
  /** The data, kept only for small JSON documents. */
  bytes?: Buffer;
}

export function cleanEntryName(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

function entryType(type: string | undefined): ExportEntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
    case 'symlink':
    case 'link':
      return type;
    default:
      return 'other';
  }
}

/** Go's JSON encoder starts every document with '{' or '['; a layer tar starts with a file name. */
const looksLikeJSON = (chunk: Buffer) => chunk[0] === 0x7b || chunk[0] === 0x5b;

async function drainEntry(header: tar.Header, body: Readable): Promise<ExportEntry> {
  const type = entryType(header.type);
  const entry: ExportEntry = { name: cleanEntryName(header.name), type, size: 0 };
  if (header.linkname) entry.linkname = header.linkname;
  if (type !== 'file') {
    body.resume();
    return entry;
  }
  const hash = createHash('sha256');
  let keep: Buffer[] | undefined = header.size <= MAX_DOCUMENT_BYTES ? [] : undefined;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    entry.size += chunk.length;
    if (keep !== undefined && keep.length === 0 && !looksLikeJSON(chunk)) keep = undefined;
    keep?.push(chunk);
  }
  entry.digest = `sha256:${hash.digest('hex')}`;
  if (keep !== undefined && entry.size > 0) entry.bytes = Buffer.concat(keep);
  return entry;
}

/** Turn a failure while reading the export into a StrataError: the caller maps its own (network) ones. */
function exportError(err: unknown, what: string, mapError: (err: unknown) => unknown): unknown {
  const mapped = mapError(err);
  if (isStrataError(mapped)) return mapped;
  const message = (err as Error)?.message ?? String(err);
  if (/Unexpected end of data/i.test(message)) return invalid(`${what} is truncated`, err);
  return invalid(`${what} is not a valid tar: ${message}`, err);
}

/** Read the whole export once; resolves to its entries by path. */
export async function scanExport(
  source: Readable,
  what: string,
  mapError: (err: unknown) => unknown = (e) => e,
): Promise<Map<string, ExportEntry>> {
  const extract = tar.extract();
  const entries = new Map<string, ExportEntry>();
  const reading = (async () => {
    for await (const item of extract) {
      // tar-stream's entries are streamx streams; Node's stream helpers take them as they are.
      const entry = await drainEntry(item.header, item as unknown as Readable);
      entries.set(entry.name, entry);
    }
  })();
  try {
    await Promise.all([pipeline(source, extract), reading]);
  } catch (err) {
    source.destroy();
    throw exportError(err, what, mapError);
  }
  return entries;
}

/**
 * Stream the export until the entry at `path` and pipe only its data into `out`, then stop reading.
 * Fails with 'invalid' when the export ends without that entry.
 */
export async function pipeExportEntry(
  source: Readable,
  path: string,
  out: Writable,
  what: string,
  mapError: (err: unknown) => unknown = (e) => e,
): Promise<void> {
  const extract = tar.extract();
  let found = false;
  // Once the entry is out, the rest of the export is abandoned; the early close is expected.
  const feeding = pipeline(source, extract).catch((err) => {
    if (!found) throw err;
  });
  const reading = (async () => {
    for await (const item of extract) {
      if (cleanEntryName(item.header.name) === path) {
        found = true;
        await pipeline(item as unknown as Readable, out);
        return;
      }
      item.resume();
    }
  })();
  try {
    await Promise.all([feeding, reading]);
  } catch (err) {
    throw isStrataError(err) ? err : exportError(err, what, mapError);
  } finally {
    source.destroy();
  }
  if (!found) throw invalid(`${what}: the export has no entry ${path}`);
}
