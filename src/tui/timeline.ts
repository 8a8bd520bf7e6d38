/**
 * Every path any layer touched, with what each layer did to it: the explorer's one model of the image.
 * Built once from each layer's changes (the library's LayerChangeStepper), it answers "what is at this path
 * as of layer N" without keeping a merged tree per layer, so a layer switch is a walk over arrays.
 *
 * Paths get ids in creation order and a parent is always created before its children, so a loop
 * over ids from the end visits children before parents (post-order for free).
 */
import type { IndexEntry, LayerIndex } from '../layer/index-types.js';
import { type ChangeField, NO_FIELDS } from '../union/entry.js';
import { type LayerChange, LayerChangeStepper } from '../union/tree.js';

/** What one layer did to one path. */
export interface PathEvent {
  layer: number;
  change: LayerChange['change'];
  /** The entry from this layer on; null once removed. */
  entry: IndexEntry | null;
  /** The entry it replaced, or (for a removal) the one that went. */
  old?: IndexEntry;
  fields: readonly ChangeField[];
}

/**
 * Paths start with these shared empty lists, and a list is replaced by an exact-size copy as it grows:
 * an array that is pushed to reserves 17 slots, 152 bytes, for the one or two events nearly every one
 * of 95,000 paths has (19 MiB of the explorer's heap on the bench image).
 */
const NO_EVENTS: readonly PathEvent[] = [];
const NO_CHILDREN: readonly number[] = [];

/** Children by name, as `strata tree` orders them. */
const byName = (names: readonly string[]) => (a: number, b: number) =>
  (names[a] as string) < (names[b] as string) ? -1 : 1;

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class Timeline {
  readonly paths: string[] = ['/'];
  readonly names: string[] = ['/'];
  readonly parents: number[] = [-1];
  /** Children ids of every path, sorted by name once each layer is in. */
  readonly children: (readonly number[])[] = [NO_CHILDREN];
  /** Events per path, oldest layer first. */
  readonly events: (readonly PathEvent[])[] = [NO_EVENTS];
  private readonly ids = new Map<string, number>([['/', 0]]);
  private readonly unsorted = new Set<number>();
  /** Layers applied so far: 0..layers-1. */
  layers = 0;

  get size(): number {
    return this.paths.length;
  }

  idOf(path: string): number | undefined {
    return this.ids.get(path);
  }

  /** Apply what the next layer changed (layers must come in order, base first). */
  addLayer(changes: readonly LayerChange[]): void {
    const layer = this.layers;
    for (const c of changes) {
      const id = this.ensure(c.path);
      const event: PathEvent = {
        layer,
        change: c.change,
        entry: c.change === 'removed' ? null : (c.new ?? null),
        old: c.old,
        // Most changes change no field (additions, removals): one shared empty list, not 100,000.
        fields: c.fields.length === 0 ? NO_FIELDS : c.fields,
      };
      this.events[id] = (this.events[id] as readonly PathEvent[]).concat(event);
    }
    const order = byName(this.names);
    for (const id of this.unsorted) this.children[id] = (this.children[id] as number[]).sort(order).slice();
    this.unsorted.clear();
    this.layers++;
  }

  /** The last event at or below `layer`, if any. */
  lastEvent(id: number, layer: number): PathEvent | undefined {
    const list = this.events[id] as readonly PathEvent[];
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i] as PathEvent;
      if (e.layer <= layer) return e;
    }
    return undefined;
  }

  /** The event of exactly `layer`, if that layer touched the path. */
  eventAt(id: number, layer: number): PathEvent | undefined {
    const e = this.lastEvent(id, layer);
    return e?.layer === layer ? e : undefined;
  }

  /** The entry a layer listed for the path, as of `layer`; null when absent or only implied by children. */
  entryAt(id: number, layer: number): IndexEntry | null {
    return this.lastEvent(id, layer)?.entry ?? null;
  }

  private ensure(path: string): number {
    const known = this.ids.get(path);
    if (known !== undefined) return known;
    const parent = this.ensure(parentOf(path));
    const id = this.paths.length;
    this.paths.push(path);
    this.names.push(baseName(path));
    this.parents.push(parent);
    this.children.push(NO_CHILDREN);
    this.events.push(NO_EVENTS);
    this.ids.set(path, id);
    const siblings = this.children[parent] as readonly number[];
    // Grown in place within a layer (sorted and copied to its size once the layer is in).
    if (siblings === NO_CHILDREN) this.children[parent] = [id];
    else (siblings as number[]).push(id);
    this.unsorted.add(parent);
    return id;
  }
}

/** The whole timeline of a stack at once (each layer's changes in turn): for tests and small images. */
export function timelineOf(indexes: readonly LayerIndex[]): Timeline {
  const t = new Timeline();
  const stepper = new LayerChangeStepper();
  for (const index of indexes) t.addLayer(stepper.step(index));
  return t;
}
