// strata as a library: every operation, typed and streaming. The CLI is a thin shell over these.
export * from './errors.js';
export * from './oci/digest.js';
export * from './oci/chainid.js';
export * from './oci/mediatypes.js';
export * from './oci/manifest.js';
export * from './oci/config.js';
export * from './oci/platform.js';
export * from './reference/reference.js';
export * from './reference/transport.js';
export * from './transports/types.js';
export { openSource } from './transports/open.js';
export * from './image/image.js';
export * from './image/history.js';
export * from './image/inspect.js';
export * from './image/layers-view.js';
export * from './image/sizes.js';
export { LayerFactsCache, type LayerFacts } from './cache/layer-facts.js';
// Moving images: pull, push, save, load and copy are copyImage(source, destination).
export { openDestination } from './transports/open.js';
export { type CopyOptions, type CopyResult, type LayerOutcome, copyImage } from './copy/copy.js';
export type { LayerEvent, LayerStatus, CopyEventHandler } from './copy/events.js';
// strata's store: an OCI layout plus Docker's layer database.
export { Store, type ImageSummary, type StoreUsage, type RemoveResult } from './store/store.js';
export { openStore } from './transports/store.js';
// Looking inside layers: one scan per layer, the union filesystem, waste.
export type { IndexEntry, EntryKind, LayerIndex } from './layer/index-types.js';
export { scanLayerIndex } from './layer/index-scan.js';
export {
  eachLayerIndex,
  type IndexedLayer,
  layerIndexes,
  type LayerIndexOptions,
} from './image/layer-indexes.js';
export {
  buildUnion,
  layerChanges,
  lookupPath,
  provenanceOf,
  type UnionTree,
  type UnionNode,
  type LayerChange,
} from './union/tree.js';
export { analyseWaste, type WasteReport, type WastedFile } from './analysis/waste.js';
export { imageWaste, type ImageWasteOptions } from './analysis/image-waste.js';
export { annotatedBase } from './analysis/base.js';
export { ResultCache } from './cache/result-cache.js';
export { diveAnalysis, type DiveAnalysis } from './analysis/dive.js';
