/**
 * One file's bytes out of an image: which layer's tar member holds what a path shows (links followed),
 * and the streamed copy of that member. Behind `strata cat` and the explorer's viewer and extract.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { cleanTarPath } from '../archive/tar-header.js';
import { invalid, notFound } from '../errors.js';
import type { Image } from '../image/image.js';
import { decompress } from '../layer/compression.js';
import type { LayerIndex } from '../layer/index-types.js';
import type { ImageSource } from '../transports/types.js';
import { buildUnion, lookupPath } from '../union/tree.js';

/** Where a file's bytes are stored: the tar member `path` of layer `layer`. */
export interface StoredFile {
  layer: number;
  path: string;
}

/** Symlinks followed before giving up, as the kernel does (ELOOP). */
const MAX_HOPS = 40;

/** A tar or user path as the absolute path an index records. */
export const absolute = (path: string) => `/${cleanTarPath(path)}`;

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** A symlink's target as an absolute path, relative targets taken from the link's directory. */
function linkTarget(path: string, target: string): string {
  return absolute(target.startsWith('/') ? target : `${parentOf(path)}/${target}`);
}

/**
 * The layer and member holding the content `path` shows in the stack 0..upTo: union provenance says
 * which layer wrote the path last; a hardlink's bytes live at its target, in that layer or below.
 */
export function locateFile(indexes: readonly LayerIndex[], upTo: number, path: string, hops = 0): StoredFile {
  if (hops > MAX_HOPS) throw invalid(`${path}: too many levels of links`);
  const tree = buildUnion(indexes, upTo);
  const found = lookupPath(tree, path);
  if (!found) throw notFound(`${path}: no such file in layers 0 to ${tree.top}`);
  if ('removed' in found)
    throw notFound(`${path}: removed in layer ${found.removed.removedIn} (${found.removed.reason})`);
  const node = found.visible;
  const entry = node.entry;
  if (entry.kind === 'dir') throw invalid(`${path}: is a directory`);
  if (entry.kind === 'symlink')
    return locateFile(indexes, upTo, linkTarget(path, entry.link ?? ''), hops + 1);
  const layer = node.versions.at(-1)?.layer ?? node.addedIn;
  if (entry.kind === 'file') return { layer, path };
  if (entry.kind !== 'hardlink' || entry.link === undefined)
    throw invalid(`${path}: is a ${entry.kind}, not a regular file`);
  return hardlinkTarget(indexes, layer, entry.link, hops + 1);
}

/** A tar hardlink names a member stored earlier in the same layer; else the lower stack has it. */
function hardlinkTarget(
  indexes: readonly LayerIndex[],
  layer: number,
  target: string,
  hops: number,
): StoredFile {
  const entries = (indexes[layer] as LayerIndex).entries;
  const same = [...entries].reverse().find((e) => e.path === target);
  if (same?.kind === 'file') return { layer, path: target };
  if (same?.kind === 'hardlink' && same.link !== undefined && hops <= MAX_HOPS)
    return hardlinkTarget(indexes, layer, same.link, hops + 1);
  if (layer === 0) throw notFound(`${target}: hardlink target is in no layer`);
  return locateFile(indexes, layer - 1, target, hops);
}

/** Stream one layer and write the bytes of the regular-file member at `path`; stop reading after it. */
export async function writeMember(
  source: ImageSource,
  image: Image,
  stored: StoredFile,
  write: (chunk: Buffer) => void,
): Promise<void> {
  const layer = image.layers[stored.layer];
  if (!layer) throw invalid(`layer ${stored.layer} is missing from the image`);
  const what = `layer ${layer.index} (${layer.diffID})`;
  const blob = await source.openLayer(layer.blob, layer.index);
  let tarStream: Readable | undefined;
  try {
    tarStream = await decompress(blob, layer.blob.compression, what);
    if (await copyMember(tarStream, stored.path, write)) return;
  } finally {
    tarStream?.destroy();
    blob.destroy();
  }
  throw invalid(`${what}: holds no file ${stored.path}, though its index says so`);
}

async function copyMember(stream: Readable, path: string, write: (chunk: Buffer) => void): Promise<boolean> {
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    if ((h.type === 'file' || h.type === 'contiguous-file') && absolute(h.name) === path) {
      for await (const chunk of entry as AsyncIterable<Buffer>) write(chunk);
      return true;
    }
    entry.resume();
  }
  return false;
}
