import type { Image } from './image.js';
import { historyLayerIndexes } from './image.js';
import { unixSeconds } from './time.js';

/** One row of `docker history`, newest first, as the Engine API's history endpoint returns it. */
export interface HistoryRow {
  /** Image ID of the step, or '<missing>' where no image exists for it (every pulled image's lower rows). */
  id: string;
  /** Unix seconds, as Go's Time.Unix() of the history entry's created time. */
  created: number;
  createdBy: string;
  /** Unpacked size of the layer the step made (0 for empty-layer steps). */
  size: number;
  comment: string;
  /** Index of the layer the step made, if it made one. */
  layerIndex?: number;
}

export const MISSING_ID = '<missing>';

/**
 * The engine's history rows for an image: one per config.history entry, newest first. Only the top row
 * knows its image ID unless the source kept the parent chain (a local engine's legacy builds).
 */
export function historyRows(image: Image, layerSizes: readonly number[]): HistoryRow[] {
  const history = image.configView.history ?? [];
  const layerOf = historyLayerIndexes(image.configView);
  const rows = history.map(
    (h, i): HistoryRow => ({
      id: image.facts.historyIds?.[i] ?? MISSING_ID,
      created: unixSeconds(h?.created),
      createdBy: h?.created_by ?? '',
      size: layerOf[i] === undefined ? 0 : (layerSizes[layerOf[i]!] ?? 0),
      comment: h?.comment ?? '',
      layerIndex: layerOf[i],
    }),
  );
  rows.reverse();
  if (rows.length > 0 && image.facts.historyIds === undefined) rows[0]!.id = image.id;
  return rows;
}
