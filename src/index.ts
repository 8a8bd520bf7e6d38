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
