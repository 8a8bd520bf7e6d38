/** Compare mode: the summary of what differs, and the tree's columns with both sides' sizes. */
import { sizeText } from '../format.js';
import type { PaneBox } from '../layout.js';
import { type LayerView, isPresent } from '../layer-view.js';
import type { Snapshot } from '../load.js';
import type { TreeModel } from '../model.js';
import { Line, Pane, Title } from './common.js';

export function CompareSummary({ box, snap }: { box: PaneBox; snap: Snapshot }) {
  const s = snap.compare?.summary;
  const w = box.width;
  const net = s
    ? s.modifiedBytes >= 0
      ? `+${sizeText(s.modifiedBytes)}`
      : `-${sizeText(-s.modifiedBytes)}`
    : '';
  const lines = s
    ? [
        { text: `${s.added} added (${sizeText(s.addedBytes)})`, color: 'green' },
        { text: `${s.removed} removed (${sizeText(s.removedBytes)})`, color: 'red' },
        { text: `${s.modified} modified (${net})`, color: 'yellow' },
        { text: 'The tree shows B, marked against A; removed paths are A’s.', dim: true },
      ]
    : [{ text: snap.phase === 'failed' ? `failed: ${snap.error}` : 'reading both images…', dim: true }];
  return (
    <Pane width={w} height={box.height}>
      <Title text="A → B" width={w} />
      {lines.slice(0, box.listHeight).map((l) => (
        <Line key={l.text} width={w} segments={[l]} />
      ))}
    </Pane>
  );
}

/** Columns "A size | B size" for each row: the size on each side, blank where the path is not. */
export function compareColumns(model: TreeModel, view: LayerView | undefined) {
  const a = model.view(0, 'layer');
  const cell = (v: LayerView | undefined, id: number) =>
    v && id < v.flags.length && isPresent(v, id) ? sizeText(v.sizes[id] as number) : '';
  return {
    header: `${'A size'.padStart(9)} ${'B size'.padStart(9)}  `,
    cells: (id: number) => `${cell(a, id).padStart(9)} ${cell(view, id).padStart(9)}  `,
  };
}
