import { invalid } from '../errors.js';
import { chainIDs } from '../oci/chainid.js';
import { type ImageConfig, parseImageConfig } from '../oci/config.js';
import type { RawBlob } from '../oci/manifest.js';
import type { ImageLocation } from '../reference/transport.js';
import { openSource } from '../transports/open.js';
import type {
  ImageSource,
  LayerBlob,
  ResolveOptions,
  SourceFacts,
  SourceOptions,
} from '../transports/types.js';

/** One layer of an image, as the layer database sees it. */
export interface ImageLayer {
  index: number;
  blob: LayerBlob;
  diffID: string;
  chainID: string;
  /** Chain ID of the layer below; undefined for the base layer. */
  parentChainID?: string;
  /** Index in config.history of the entry that made this layer, if the history says. */
  historyIndex?: number;
}

/** An image: raw documents (the truth) plus typed views derived from them. */
export interface Image {
  /** The source's name for the image, e.g. docker-archive:app.tar. */
  name: string;
  /** sha256 of the config bytes: Docker's image ID. */
  id: string;
  manifest: RawBlob;
  index?: RawBlob;
  config: RawBlob;
  configView: ImageConfig;
  layers: ImageLayer[];
  facts: SourceFacts;
}

/** Map each non-empty history entry to the layer it made, in order (as the engine does). */
export function historyLayerIndexes(config: ImageConfig): Array<number | undefined> {
  let next = 0;
  return (config.history ?? []).map((h) => (h?.empty_layer ? undefined : next++));
}

/** Build the typed image from what a source resolved. Pure. */
export function buildImage(name: string, resolved: Awaited<ReturnType<ImageSource['resolve']>>): Image {
  const configView = parseImageConfig(resolved.config.bytes);
  const diffIDs = configView.rootfs.diff_ids;
  if (diffIDs.length !== resolved.layers.length) {
    throw invalid(
      `${name}: the manifest lists ${resolved.layers.length} layers but the config has ${diffIDs.length} diff_ids`,
    );
  }
  const chains = chainIDs(diffIDs);
  const historyOf = new Map<number, number>();
  historyLayerIndexes(configView).forEach((layer, h) => {
    if (layer !== undefined) historyOf.set(layer, h);
  });
  const layers = resolved.layers.map(
    (blob, index): ImageLayer => ({
      index,
      blob,
      diffID: diffIDs[index]!,
      chainID: chains[index]!,
      parentChainID: index > 0 ? chains[index - 1] : undefined,
      historyIndex: historyOf.get(index),
    }),
  );
  return {
    name,
    id: resolved.config.digest,
    manifest: resolved.manifest,
    index: resolved.index,
    config: resolved.config,
    configView,
    layers,
    facts: resolved.facts,
  };
}

export interface OpenImageOptions extends SourceOptions, ResolveOptions {}

/** Open a source and resolve the image it names. Close the returned source when done. */
export async function openImage(
  location: string | ImageLocation,
  options: OpenImageOptions = {},
): Promise<{ image: Image; source: ImageSource }> {
  const source = await openSource(location, options);
  try {
    const resolved = await source.resolve({ platform: options.platform });
    return { image: buildImage(source.name, resolved), source };
  } catch (err) {
    await source.close();
    throw err;
  }
}
