/**
 * `exportImage`: one tar of an image's merged filesystem, as `docker export` of a fresh container
 * gives (without the container's own init files): visible paths only, no whiteout or opaque markers.
 */
import { type Readable, type Writable, pipeline } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import tarStream, { type Header, type Pack } from 'tar-stream';
import { fromSystemError } from '../errors.js';
import type { Image } from '../image/image.js';
import type { IndexEntry } from '../layer/index-types.js';
import type { ImageSource } from '../transports/types.js';
import type { SkippedEntry } from './plan.js';
import { type FlattenOptions, type FlattenSink, flattenImage } from './walk.js';

export type { SkippedEntry } from './plan.js';

export interface ExportResult {
  /** Entries left out: paths that climb above the root, hard links whose content could not be found. */
  skipped: SkippedEntry[];
}

/** What tar-stream's pack takes: a partial header, the name required. */
type TarHeader = Partial<Header> & { name: string };

const TYPE: Record<string, Header['type']> = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  hardlink: 'link',
  char: 'character-device',
  block: 'block-device',
  fifo: 'fifo',
};

/** PAX xattr records for values that survive as UTF-8 text (tar-stream writes PAX values as strings). */
function paxXattrs(entry: IndexEntry): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, b64] of Object.entries(entry.xattrs ?? {})) {
    const bytes = Buffer.from(b64, 'base64');
    const text = bytes.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(bytes)) out[`SCHILY.xattr.${key}`] = text;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The tar header of an entry: names relative to the root, directories ending in '/', as docker export writes them. */
function headerOf(entry: IndexEntry): TarHeader {
  const header: TarHeader = {
    name: entry.kind === 'dir' ? `${entry.path.slice(1)}/` : entry.path.slice(1),
    type: TYPE[entry.kind],
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.kind === 'file' ? entry.size : 0,
    mtime: new Date(entry.mtime * 1000),
  };
  if (entry.kind === 'symlink') header.linkname = entry.link;
  if (entry.kind === 'hardlink') header.linkname = entry.link?.slice(1);
  if (entry.kind === 'char' || entry.kind === 'block') {
    header.devmajor = entry.devmajor;
    header.devminor = entry.devminor;
  }
  const pax = paxXattrs(entry);
  if (pax) header.pax = pax;
  return header;
}

/** A sink that appends every entry to a tar-stream pack, file content streamed through. */
function packSink(tar: Pack): FlattenSink {
  const headerOnly = (entry: IndexEntry) =>
    new Promise<void>((resolve, reject) => {
      tar.entry(headerOf(entry), (err) => (err ? reject(err) : resolve()));
    });
  return {
    dir: headerOnly,
    other: headerOnly,
    async file(entry: IndexEntry, content: Readable) {
      const sink = tar.entry(headerOf(entry));
      // tar-stream's streams are streamx streams, which Node's pipeline takes as they are.
      await pipe(content, sink as unknown as Writable);
    },
  };
}

/**
 * Write one tar of the merged filesystem at the image's top layer to `out`: every visible path with its
 * final entry's metadata and content, directories before their children, hard links kept when their
 * target is visible and unchanged (else written as files). Each layer is read once, in order.
 */
export async function exportImage(
  source: ImageSource,
  image: Image,
  out: Writable,
  options: FlattenOptions = {},
): Promise<ExportResult> {
  const tar = tarStream.pack();
  const written = new Promise<void>((resolve, reject) => {
    pipeline(tar as unknown as Readable, out, (err) =>
      err ? reject(fromSystemError(err, 'export')) : resolve(),
    );
  });
  try {
    const skipped = await flattenImage(source, image, packSink(tar), options);
    tar.finalize();
    await written;
    return { skipped };
  } catch (err) {
    tar.destroy(err as Error);
    written.catch(() => {});
    throw err;
  }
}
