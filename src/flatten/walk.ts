/**
 * The flattened filesystem as a sequence of writes: every visible directory first (parents before
 * children), then each layer streamed once, in order, handing on only the members that are final.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, pipeline } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { cleanTarPath } from '../archive/tar-header.js';
import type { LayerIndexCache } from '../cache/layer-index-cache.js';
import type { Image } from '../image/image.js';
import { layerIndexes } from '../image/layer-indexes.js';
import { decompress } from '../layer/compression.js';
import { absolutePath } from '../layer/index-scan.js';
import type { IndexEntry } from '../layer/index-types.js';
import type { ImageSource } from '../transports/types.js';
import { type FlattenPlan, type SkippedEntry, type Take, memberKey, planFlatten } from './plan.js';

/** Where the flattened entries go. Each call finishes its write before the next is made. */
export interface FlattenSink {
  dir(entry: IndexEntry): Promise<void>;
  /** A regular file of entry.size bytes; the sink reads `content` to its end. */
  file(entry: IndexEntry, content: Readable): Promise<void>;
  /** Symlinks, hard links (entry.link names a path already written), devices and fifos. */
  other(entry: IndexEntry): Promise<void>;
}

export interface FlattenOptions {
  cache?: LayerIndexCache;
}

/** Members kept aside for hard links written as files: member key → temp file. */
type Spooled = Map<string, string>;

/** Write the merged filesystem at the top layer into `sink`; returns the entries left out. */
export async function flattenImage(
  source: ImageSource,
  image: Image,
  sink: FlattenSink,
  options: FlattenOptions = {},
): Promise<SkippedEntry[]> {
  const plan = planFlatten(await layerIndexes(source, image, { cache: options.cache }));
  for (const dir of plan.dirs) await sink.dir(dir);
  const spoolDir = await mkdtemp(join(tmpdir(), 'strata-flatten-'));
  try {
    const spooled: Spooled = new Map();
    for (const layer of image.layers) {
      await streamLayer(source, image, layer.index, plan, sink, { dir: spoolDir, files: spooled });
    }
  } finally {
    await rm(spoolDir, { recursive: true, force: true });
  }
  return plan.skipped;
}

async function streamLayer(
  source: ImageSource,
  image: Image,
  n: number,
  plan: FlattenPlan,
  sink: FlattenSink,
  spool: { dir: string; files: Spooled },
): Promise<void> {
  const layer = image.layers[n] as Image['layers'][number];
  const blob = await source.openLayer(layer.blob, n);
  const tar = await decompress(blob, layer.blob.compression, `layer ${n} (${layer.diffID})`);
  const members = tarStream.extract();
  pipeline(tar, members as unknown as NodeJS.WritableStream, () => {}); // a failure destroys `members`, which ends the loop below with it
  const seen = new Map<string, number>();
  for await (const member of members) {
    const path = absolutePath(cleanTarPath(member.header.name));
    const occurrence = seen.get(path) ?? 0;
    seen.set(path, occurrence + 1);
    const key = memberKey(path, occurrence);
    const entry = member as unknown as Readable; // a streamx stream: Node's helpers take it
    let body: () => Readable = () => entry;
    if (plan.spool[n]?.has(key)) {
      const file = join(spool.dir, String(spool.files.size));
      await pipe(entry, createWriteStream(file));
      spool.files.set(`${n}\0${key}`, file);
      body = () => createReadStream(file);
    }
    const take = plan.take[n]?.get(key);
    if (take) await write(take, body, sink, spool.files);
    entry.resume(); // whatever was not taken is skipped
  }
}

async function write(take: Take, body: () => Readable, sink: FlattenSink, spooled: Spooled): Promise<void> {
  if (take.as === 'copy') {
    const { layer, ref } = take.from;
    const file = spooled.get(`${layer}\0${memberKey(ref.path, ref.occurrence)}`) as string;
    // The link shares the source's inode, so its metadata is the source's.
    const entry: IndexEntry = { ...take.source, path: take.entry.path };
    await sink.file(entry, createReadStream(file));
    return;
  }
  if (take.entry.kind === 'file') await sink.file(take.entry, body());
  else await sink.other(take.entry);
}
