import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { cleanTarPath } from '../../src/archive/tar-header.js';
import { decompress } from '../../src/layer/compression.js';
import type { EntryKind, IndexEntry, LayerIndex } from '../../src/layer/index-types.js';
import { createDockerArchiveSource } from '../../src/transports/docker-archive.js';
import { contentHashOfStream } from '../helpers/content-hash.js';

const KINDS: Record<string, EntryKind> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

function absolute(name: string): string {
  return `/${cleanTarPath(name)}`;
}

function xattrsOf(pax: Record<string, string> | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pax ?? {})) {
    if (k.startsWith('SCHILY.xattr.')) out[k.slice(13)] = Buffer.from(v, 'latin1').toString('base64');
  }
  return Object.keys(out).length ? out : undefined;
}

/** One tar header as an IndexEntry; whiteout markers become the path they delete. */
function toEntry(h: tar.Header, hash: string | undefined): IndexEntry | undefined {
  const path = absolute(h.name);
  const slash = path.lastIndexOf('/');
  const dir = slash <= 0 ? '/' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  const common = { mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: 0 };
  common.mtime = h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0;
  if (base === '.wh..wh..opq') return { path: dir, kind: 'opaque', size: 0, ...common };
  if (base.startsWith('.wh.')) {
    const target = `${dir === '/' ? '' : dir}/${base.slice(4)}`;
    return { path: target, kind: 'whiteout', size: 0, ...common };
  }
  const kind = KINDS[h.type ?? 'file'];
  if (!kind) return undefined;
  const entry: IndexEntry = { path, kind, size: kind === 'file' ? (h.size ?? 0) : 0, ...common };
  if (kind === 'symlink') entry.link = h.linkname ?? '';
  if (kind === 'hardlink') entry.link = absolute(h.linkname ?? '');
  if (hash) entry.hash = hash;
  const xattrs = xattrsOf(h.pax as Record<string, string> | undefined);
  if (xattrs) entry.xattrs = xattrs;
  if (kind === 'char' || kind === 'block') {
    entry.devmajor = h.devmajor ?? 0;
    entry.devminor = h.devminor ?? 0;
  }
  return entry;
}

const hashStream = contentHashOfStream;

async function indexTar(input: NodeJS.ReadableStream, diffID: string): Promise<LayerIndex> {
  const entries: IndexEntry[] = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const item of extract) {
      const isFile = item.header.type === 'file' || item.header.type === 'contiguous-file';
      const hash = await hashStream(item as unknown as AsyncIterable<Buffer>);
      const entry = toEntry(item.header, isFile ? hash : undefined);
      if (entry) entries.push(entry);
    }
  })();
  await Promise.all([pipeline(input, extract), reading]);
  const unpackedSize = 0; // not needed by the analyses; the scanner fills it in
  return { diffID, entries, unpackedSize };
}

/** LayerIndex values for the layers of a docker save archive, base first. */
export async function indexDockerArchive(path: string): Promise<LayerIndex[]> {
  const source = await createDockerArchiveSource({ transport: 'docker-archive', path });
  try {
    const image = await source.resolve();
    const diffIDs = (JSON.parse(image.config.bytes.toString()) as { rootfs: { diff_ids: string[] } }).rootfs
      .diff_ids;
    const out: LayerIndex[] = [];
    for (const [i, layer] of image.layers.entries()) {
      const stream = await decompress(await source.openLayer(layer, i), layer.compression, `layer ${i}`);
      out.push(await indexTar(stream, diffIDs[i] ?? ''));
    }
    return out;
  } finally {
    await source.close();
  }
}
