/**
 * The effects the state asks for that touch the image: reading a file for the viewer, extracting a
 * file or directory. Each resolves to the message that reports how it went.
 */
import { join } from 'node:path';
import { unpackImage } from '../flatten/unpack.js';
import { extractFile, locate, readHead, viewerContent } from './content.js';
import type { Loader, Snapshot } from './load.js';
import type { Effect, Msg } from './state.js';

/** The viewer reads this much of a file at most. */
export const VIEW_LIMIT = 256 * 1024;

/** Where `e` puts a directory: the image's paths below one folder, as `strata extract` writes them. */
export const EXTRACT_FOLDER = 'strata-extract';

async function view(loader: Loader, snap: Snapshot, id: number, layer: number): Promise<Msg> {
  try {
    const { image } = snap;
    if (!image || !loader.source) throw new Error('the image is not open');
    const stored = await locate(snap.timeline, () => loader.indexes(), id, layer);
    const { bytes, truncated } = await readHead(loader.source, image, stored, VIEW_LIMIT);
    return { type: 'viewer', status: 'ready', ...viewerContent(bytes, truncated) };
  } catch (err) {
    return { type: 'viewer', status: 'error', lines: [], note: (err as Error).message };
  }
}

async function extract(loader: Loader, snap: Snapshot, id: number, layer: number, dir: string): Promise<Msg> {
  const t = snap.timeline;
  const path = t.paths[id] as string;
  try {
    const { image } = snap;
    if (!image || !loader.source) throw new Error('the image is not open');
    const entry = t.entryAt(id, layer);
    if (!entry || entry.kind === 'dir') {
      if (layer !== snap.layers.length - 1)
        return {
          type: 'message',
          text: 'directories are extracted as the top layer shows them: select it first',
        };
      const root = join(dir, EXTRACT_FOLDER);
      await unpackImage(loader.source, image, root, { paths: [path] });
      return { type: 'message', text: `extracted ${path} into ${root}` };
    }
    const stored = await locate(t, () => loader.indexes(), id, layer);
    const target = await extractFile(loader.source, image, stored, dir, entry.mode);
    return { type: 'message', text: `extracted ${path} (layer ${layer}) to ${target}` };
  } catch (err) {
    return { type: 'message', text: `extract ${path}: ${(err as Error).message}` };
  }
}

export function runEffect(
  effect: Extract<Effect, { kind: 'view' | 'extract' }>,
  loader: Loader,
  snap: Snapshot,
  extractDir: string,
): Promise<Msg> {
  if (snap.compare)
    return Promise.resolve({
      type: 'message',
      text: 'viewing and extracting work on one image, not a comparison',
    });
  return effect.kind === 'view'
    ? view(loader, snap, effect.id, effect.layer)
    : extract(loader, snap, effect.id, effect.layer, extractDir);
}
