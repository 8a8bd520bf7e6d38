/**
 * `strata explore A --compare B`: both images read (layerIndexes, with progress), each merged at its
 * top, and the difference (as `strata diff` finds it) laid into a two-layer timeline: layer 0 is A,
 * layer 1 is B against A, so the tree's 'layer' mode at layer 1 shows B marked against A.
 */
import { setImmediate as yieldToInput } from 'node:timers/promises';
import { diffTrees, summarise } from '../union/diff.js';
import { type Image, openImage } from '../image/image.js';
import { layerIndexes } from '../image/layer-indexes.js';
import type { IndexEntry, LayerIndex } from '../layer/index-types.js';
import type { ImageSource } from '../transports/types.js';
import { type LayerChange, type UnionTree, buildUnion } from '../union/tree.js';
import {
  type LayerInfo,
  type Loader,
  type LoaderOptions,
  type Snapshot,
  SnapshotStore,
  layerInfo,
  openingSnapshot,
} from './load.js';

/** A's visible paths, each added: the timeline's layer 0 in compare mode. */
export function treeAsChanges(tree: UnionTree): LayerChange[] {
  const out: LayerChange[] = [];
  for (const node of tree.nodes.values())
    if (node.path !== '/' && !node.implicit)
      out.push({ path: node.path, change: 'added', new: node.entry, fields: [] });
  return out;
}

/** What differs from A to B (as `strata diff` counts it), as the timeline's layer 1. */
export function diffAsChanges(a: UnionTree, b: UnionTree): LayerChange[] {
  return diffTrees(a, b).map((d) => ({
    path: d.path,
    change: d.change,
    old: a.nodes.get(d.path)?.entry as IndexEntry | undefined,
    new: b.nodes.get(d.path)?.entry as IndexEntry | undefined,
    fields: d.fields,
  }));
}

/** Two images side by side: B's tree marked against A's. */
export class CompareLoader extends SnapshotStore implements Loader {
  private images: { image: Image; source: ImageSource }[] = [];
  source?: ImageSource;

  constructor(
    private readonly refs: [string, string],
    private readonly options: LoaderOptions = {},
  ) {
    super({ ...openingSnapshot(refs[0]), compare: { name: refs[1], layers: [] } });
  }

  async open(): Promise<void> {
    for (const ref of this.refs) this.images.push(await openImage(ref, this.options));
    const [a, b] = this.images as unknown as [{ image: Image }, { image: Image }];
    this.change({
      phase: 'scanning',
      name: a.image.name,
      layers: a.image.layers.map((l) => layerInfo(a.image, l)),
      compare: { name: b.image.name, layers: b.image.layers.map((l) => layerInfo(b.image, l)) },
    });
  }

  async read(): Promise<void> {
    try {
      const [a, b] = await Promise.all(this.images.map((img, side) => this.readSide(img, side)));
      await yieldToInput();
      const trees = [buildUnion(a as LayerIndex[]), buildUnion(b as LayerIndex[])] as const;
      const t = this.snap.timeline;
      t.addLayer(treeAsChanges(trees[0]));
      t.addLayer(diffAsChanges(trees[0], trees[1]));
      await this.snap.model.warm(1, () => yieldToInput());
      const summary = summarise(diffTrees(trees[0], trees[1]));
      this.change({
        phase: 'ready',
        compare: { ...(this.snap.compare as NonNullable<Snapshot['compare']>), summary },
      });
    } catch (err) {
      this.change({ phase: 'failed', error: (err as Error).message });
    }
  }

  private async readSide(img: { image: Image; source: ImageSource }, side: number): Promise<LayerIndex[]> {
    const indexes = await layerIndexes(img.source, img.image, {
      cache: this.options.cache,
      onProgress: (i, bytes) => {
        const info = this.sideLayers(side)[i];
        if (info) Object.assign(info, { status: 'reading', bytesRead: bytes });
        this.tick();
      },
    });
    indexes.forEach((index, i) => {
      const info = this.sideLayers(side)[i];
      if (info) Object.assign(info, { status: 'done', size: index.unpackedSize });
    });
    this.change({});
    return indexes;
  }

  private sideLayers(side: number): LayerInfo[] {
    return side === 0 ? this.snap.layers : (this.snap.compare?.layers ?? []);
  }

  /** Viewing and extracting are for one image: a comparison offers no indexes. */
  async indexes(): Promise<LayerIndex[]> {
    throw new Error('viewing and extracting work on one image, not a comparison');
  }

  async close(): Promise<void> {
    this.stopTicking();
    for (const { source } of this.images) await source.close();
  }
}
