/**
 * Where each pane sits, from the terminal size: the same numbers draw the screen and map a mouse
 * click to a row. Left column: layers, layer details, image details; right: the file tree; the last
 * line is the status bar (and the filter or search prompt).
 */
export interface PaneBox {
  x: number;
  /** Screen row of the pane's first line (its title). */
  y: number;
  width: number;
  /** Lines, title included. */
  height: number;
  /** Screen row of the first list row, and how many list rows fit. */
  listY: number;
  listHeight: number;
}

export interface Layout {
  cols: number;
  rows: number;
  layers: PaneBox;
  details: PaneBox;
  image: PaneBox;
  tree: PaneBox;
  /** The whole area above the status bar, for full-screen views. */
  main: PaneBox;
}

const box = (x: number, y: number, width: number, height: number, header: number): PaneBox => ({
  x,
  y,
  width,
  height,
  listY: y + header,
  listHeight: Math.max(0, height - header),
});

/**
 * Column split and heights; `layerCount` sizes the layers pane (at most a third of the height). With
 * `compareCount` (compare mode) the details pane holds the second image's layers instead.
 */
export function computeLayout(cols: number, rows: number, layerCount: number, compareCount?: number): Layout {
  const main = Math.max(6, rows - 1);
  const left = Math.max(24, Math.floor(cols * 0.45));
  const right = Math.max(10, cols - left - 1);
  const layersList = Math.max(1, Math.min(layerCount, Math.floor(main / 3) - 2));
  const layersHeight = layersList + 2;
  const detailsHeight =
    compareCount === undefined
      ? Math.min(8, Math.max(3, Math.floor((main - layersHeight) / 2)))
      : Math.max(1, Math.min(compareCount, Math.floor(main / 3) - 2)) + 2;
  const imageHeight = Math.max(2, main - layersHeight - detailsHeight);
  return {
    cols,
    rows,
    layers: box(0, 0, left, layersHeight, 2),
    details: box(0, layersHeight, left, detailsHeight, compareCount === undefined ? 1 : 2),
    image: box(0, layersHeight + detailsHeight, left, imageHeight, 1),
    tree: box(left + 1, 0, right, main, 2),
    main: box(0, 0, cols, main, 2),
  };
}

/** The pane and list row under a screen cell, if it is a list row. */
export function hitTest(
  layout: Layout,
  x: number,
  y: number,
): { pane: 'layers' | 'tree'; row: number } | undefined {
  for (const pane of ['layers', 'tree'] as const) {
    const b = layout[pane];
    if (x >= b.x && x < b.x + b.width && y >= b.listY && y < b.listY + b.listHeight)
      return { pane, row: y - b.listY };
  }
  return undefined;
}
