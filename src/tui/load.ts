/**
 * Loading an image for the explorer so the screen fills in as it goes: open the image (the UI is
 * already up), read each layer into its index (from the cache, else one scan, with byte progress),
 * add the layers to the timeline in order as soon as each and those below it are in, then count the
 * waste. Subscribers are told of every step (progress at most every 100 ms).
 */
import { setImmediate as yieldToInput } from 'node:timers/promises';
import { imageWaste } from '../analysis/image-waste.js';
import type { WasteReport } from '../analysis/waste.js';
import type { LayerIndexCache } from '../cache/layer-index-cache.js';
import { type Image, type ImageLayer, type OpenImageOptions, openImage } from '../image/image.js';
import { type IndexedLayer, eachLayerIndex, layerIndexes } from '../image/layer-indexes.js';
import type { LayerIndex } from '../layer/index-types.js';
import { parseManifest } from '../oci/manifest.js';
import type { Platform } from '../oci/platform.js';
import type { ImageSource } from '../transports/types.js';
import type { DiffSummary } from '../union/diff.js';
import { LayerChangeStepper, type UnionTree } from '../union/tree.js';
import { TreeModel } from './model.js';
import { Timeline } from './timeline.js';

/** Wasted files the explorer keeps: more than a terminal has rows for the details pane. */
const WASTE_ROWS_KEPT = 500;

export interface LayerInfo {
  index: number;
  diffID: string;
  chainID: string;
  digest?: string;
  compressedSize?: number;
  /** The history's created_by, as recorded. */
  createdBy: string;
  created?: string;
  /** Unpacked bytes, once known. */
  size?: number;
  status: 'queued' | 'reading' | 'done';
  bytesRead: number;
}

export interface PlatformChoice {
  platform: Platform;
  digest: string;
}

export interface Snapshot {
  /** Bumped on every change, so views can memoise on it. */
  version: number;
  phase: 'opening' | 'scanning' | 'analysing' | 'ready' | 'failed';
  error?: string;
  name: string;
  image?: Image;
  /** The platforms of a multi-platform image, and which one is shown. */
  platforms: PlatformChoice[];
  platformIndex: number;
  layers: LayerInfo[];
  timeline: Timeline;
  /** The views and rows of the timeline, memoised (made as layers come in). */
  model: TreeModel;
  waste?: WasteReport;
  /** `--compare B`: the second image; the timeline then holds A (layer 0) and B against A (layer 1). */
  compare?: { name: string; layers: LayerInfo[]; summary?: DiffSummary };
}

/** What the screen reads from: one image, or two compared. */
export interface Loader {
  subscribe(listener: () => void): () => void;
  getSnapshot(): Snapshot;
  /** Open the image(s); rejects when that fails (the command then fails as any other would). */
  open(): Promise<void>;
  /** Read the layers; failures land in the snapshot. */
  read(): Promise<void>;
  close(): Promise<void>;
  /** The open source, for viewing and extracting. */
  readonly source?: ImageSource;
  /** Every layer's index, read again (from the cache) when a link must be followed. */
  indexes(): Promise<LayerIndex[]>;
}

/** The snapshot before anything is known but the name. */
export function openingSnapshot(name: string): Snapshot {
  const timeline = new Timeline();
  return {
    version: 0,
    phase: 'opening',
    name,
    platforms: [],
    platformIndex: 0,
    layers: [],
    timeline,
    model: new TreeModel(timeline),
  };
}

/** The platforms an index offers (attestation entries, with an unknown platform, left out). */
export function platformsOf(image: Image): PlatformChoice[] {
  if (!image.index) return [];
  const parsed = parseManifest(image.index.bytes, image.index.mediaType, 'index');
  if (parsed.kind !== 'index') return [];
  return parsed.index.manifests
    .filter((m) => m.platform && m.platform.os !== 'unknown')
    .map((m) => ({ platform: m.platform as Platform, digest: m.digest }));
}

export function layerInfo(image: Image, layer: ImageLayer): LayerInfo {
  const history =
    layer.historyIndex === undefined ? undefined : image.configView.history?.[layer.historyIndex];
  return {
    index: layer.index,
    diffID: layer.diffID,
    chainID: layer.chainID,
    digest: layer.blob.digest,
    compressedSize: layer.blob.size,
    createdBy: history?.created_by ?? '',
    created: history?.created,
    size: image.facts.layerSizes?.[layer.index],
    status: 'queued',
    bytesRead: 0,
  };
}

export interface LoaderOptions extends OpenImageOptions {
  cache?: LayerIndexCache;
  /**
   * Called where loading has just left much garbage: before each layer scanned in this load enters the
   * timeline, once every layer is in (the indexes and the union's working set), once the waste is
   * counted. A host that owns its process collects it there, so the next step does not grow the heap on
   * top of it.
   */
  collect?: () => void;
  /** Layers read at once (default 2, as layerIndexes). */
  concurrency?: number;
}

/** The snapshot and its subscribers: what both loaders share. */
export abstract class SnapshotStore {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(protected snap: Snapshot) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): Snapshot => this.snap;

  /** A new snapshot with `patch`, and every subscriber told. */
  protected change(patch: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...patch, version: this.snap.version + 1 };
    for (const l of this.listeners) l();
  }

  /** Byte progress comes often: tell subscribers at most every 100 ms. */
  protected tick(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.change({});
    }, 100);
  }

  protected stopTicking(): void {
    clearTimeout(this.timer);
  }
}

export class ImageLoader extends SnapshotStore implements Loader {
  /** The layers being added to the timeline, while that runs. */
  private pumping?: Promise<void>;
  private closed = false;
  source?: ImageSource;
  /**
   * Layers read and not yet in the timeline, their indexes still encoded if scanned: each is decoded
   * when the timeline takes it and let go once it has (the timeline holds its entries).
   */
  private readonly waiting: (IndexedLayer | undefined)[] = [];
  /** Applies layers to the union in order, each once, as the timeline takes them. */
  private stepper?: LayerChangeStepper = new LayerChangeStepper();
  /** The stepper's union once every layer is in, until the waste is counted from it. */
  private union?: UnionTree;

  constructor(
    readonly ref: string,
    private readonly options: LoaderOptions = {},
  ) {
    super(openingSnapshot(ref));
  }

  /** Open the image (rejects if that fails), then read it; later failures land in the snapshot. */
  async open(): Promise<void> {
    const { image, source } = await openImage(this.ref, this.options);
    this.source = source;
    if (this.closed) {
      await source.close();
      return;
    }
    const platforms = platformsOf(image);
    this.change({
      phase: 'scanning',
      name: image.name,
      image,
      platforms,
      platformIndex: Math.max(
        0,
        platforms.findIndex((p) => p.digest === image.manifest.digest),
      ),
      layers: image.layers.map((l) => layerInfo(image, l)),
    });
  }

  /** Read every layer and build the timeline and the waste report. */
  async read(): Promise<void> {
    const { image } = this.snap;
    if (!image || !this.source) return;
    try {
      const onLayer = async (i: number, layer: IndexedLayer) => {
        this.waiting[i] = layer;
        this.setLayer(i, { status: 'done', size: layer.unpackedSize });
        await this.pump();
      };
      // Base first: the timeline takes layers in order, so the screen fills in from the base up and
      // few layers wait (a big base read last had every other layer's index waiting for it).
      await eachLayerIndex(this.source, image, onLayer, {
        cache: this.options.cache,
        concurrency: this.options.concurrency,
        onProgress: (i, bytes) => this.progress(i, bytes),
        order: 'base-first',
      });
      // A layer may have come in while the timeline was taking the one before: take it too.
      while (this.pumping) await this.pumping;
      await this.pump();
      if (this.closed) return;
      this.change({ phase: 'analysing' });
      this.options.collect?.();
      await yieldToInput();
      // Counted from the stepper's union: a second union of every layer had been the peak of memory.
      // The details pane lists as many wasted files as the terminal has rows; the rest need not stay in memory.
      const waste = await imageWaste(this.source, image, {
        ...(this.union ? { union: this.union } : { indexes: await this.indexes() }),
        firstFiles: WASTE_ROWS_KEPT,
      });
      this.union = undefined;
      this.options.collect?.();
      this.change({ phase: 'ready', waste });
    } catch (err) {
      this.change({ phase: 'failed', error: (err as Error).message });
    }
  }

  async indexes(): Promise<LayerIndex[]> {
    const { image } = this.snap;
    if (!image || !this.source) throw new Error('the image is not open');
    return layerIndexes(this.source, image, { cache: this.options.cache });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopTicking();
    await this.source?.close();
  }

  /** Add every layer whose index, and all below it, are in; one at a time, input handled between. */
  private pump(): Promise<void> {
    this.pumping ??= this.drain().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private async drain(): Promise<void> {
    const t = this.snap.timeline;
    while (!this.closed && this.stepper && this.waiting[t.layers] !== undefined) {
      const layer = t.layers;
      const next = this.waiting[layer] as IndexedLayer;
      // Scanning leaves the process little room (the workers' memory, the garbage of feeding them): a
      // collection before each scanned layer's step keeps the build from growing the heap on top of it.
      if (next.scanned) this.options.collect?.();
      t.addLayer(this.stepper.step(next.take()));
      this.waiting[layer] = undefined;
      // The stepper holds a whole union tree; once every layer is in, only the waste count needs it.
      if (t.layers === this.snap.layers.length) {
        this.union = this.stepper.union();
        this.stepper = undefined;
      }
      this.change({});
      await yieldToInput();
      await this.snap.model.warm(t.layers - 1, () => yieldToInput());
    }
  }

  private progress(index: number, bytesRead: number): void {
    const info = this.snap.layers[index];
    if (info?.status === 'queued') this.setLayer(index, { status: 'reading' });
    const now = this.snap.layers[index];
    if (now) now.bytesRead = bytesRead;
    this.tick();
  }

  private setLayer(index: number, patch: Partial<LayerInfo>): void {
    const layers = this.snap.layers.slice();
    layers[index] = { ...(layers[index] as LayerInfo), ...patch };
    this.change({ layers });
  }
}
