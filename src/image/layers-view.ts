import type { Image } from './image.js';
import { historyLayerIndexes } from './image.js';

/** A row of `strata layers`: a layer as the layer database sees it, or an empty-layer history step. */
export interface LayerRow {
  /** Layer index, or undefined for a history step that made no layer. */
  index?: number;
  chainID?: string;
  parentChainID?: string;
  diffID?: string;
  digest?: string;
  mediaType?: string;
  compressedSize?: number;
  unpackedSize?: number;
  /** Where a non-distributable (foreign) layer is fetched from. */
  urls?: string[];
  createdBy: string;
  emptyLayer: boolean;
}

/**
 * The layer stack base first, with the history steps that made no layer placed where they happened.
 * Layers the history does not mention (images with no history) still get a row.
 */
export function layerRows(image: Image, layerSizes: readonly number[]): LayerRow[] {
  const history = image.configView.history ?? [];
  const layerOf = historyLayerIndexes(image.configView);
  const rows: LayerRow[] = [];
  const layerRow = (i: number, createdBy: string): LayerRow => {
    const l = image.layers[i]!;
    return {
      index: i,
      chainID: l.chainID,
      parentChainID: l.parentChainID,
      diffID: l.diffID,
      digest: l.blob.digest,
      mediaType: l.blob.mediaType,
      compressedSize: l.blob.size,
      unpackedSize: layerSizes[i],
      urls: l.blob.urls,
      createdBy,
      emptyLayer: false,
    };
  };
  history.forEach((h, i) => {
    const li = layerOf[i];
    if (li === undefined) rows.push({ createdBy: h?.created_by ?? '', emptyLayer: true });
    else if (li < image.layers.length) rows.push(layerRow(li, h?.created_by ?? ''));
  });
  const covered = layerOf.filter((x) => x !== undefined).length;
  for (let i = covered; i < image.layers.length; i++) rows.push(layerRow(i, ''));
  return rows;
}
