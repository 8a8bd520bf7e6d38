/** The layers: one row each, size and command; the selected one highlighted; reading progress. */
import { commandText, sizeText } from '../format.js';
import type { PaneBox } from '../layout.js';
import type { TreeMode } from '../layer-view.js';
import type { LayerInfo } from '../load.js';
import { Line, Pane, Title } from './common.js';

function sizeCell(l: LayerInfo): string {
  if (l.size !== undefined) return sizeText(l.size);
  if (l.status === 'reading' && l.compressedSize)
    return `${Math.min(99, Math.floor((100 * l.bytesRead) / l.compressedSize))}%`;
  return l.status === 'reading' ? 'reading' : '…';
}

/** In aggregated mode every layer from 1 to the selected one is compared with the base. */
function inComparison(index: number, selected: number, mode: TreeMode): boolean {
  return mode === 'aggregated' ? index > 0 && index <= selected : index === selected;
}

export interface LayersPaneProps {
  box: PaneBox;
  layers: LayerInfo[];
  selected: number;
  top: number;
  focused: boolean;
  mode: TreeMode;
  title?: string;
}

export function LayersPane({ box, layers, selected, top, focused, mode, title }: LayersPaneProps) {
  const rows = layers.slice(top, top + box.listHeight);
  return (
    <Pane width={box.width} height={box.height}>
      <Title text={title ?? `Layers (${layers.length})`} width={box.width} focused={focused} />
      <Line segments={[{ text: 'Cmp  #    Size      Command', dim: true }]} width={box.width} />
      {rows.map((l) => {
        const chosen = l.index === selected;
        return (
          <Line
            key={l.index}
            width={box.width}
            segments={[
              { text: inComparison(l.index, selected, mode) ? '███  ' : '     ', color: 'magenta' },
              {
                text: `${String(l.index).padEnd(4)} ${sizeCell(l).padEnd(9)} ${l.index === 0 && !l.createdBy ? 'FROM base' : commandText(l.createdBy)}`,
                inverse: chosen && focused,
                bold: chosen,
                dim: l.status !== 'done',
              },
            ]}
          />
        );
      })}
    </Pane>
  );
}
