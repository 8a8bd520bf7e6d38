/**
 * The file tree: only the rows on screen are drawn (the rows model holds ids, depths and last-child
 * bits; names, prefixes and attributes are made here for these few rows).
 */
import { modeString } from '../../format/mode.js';
import type { IndexEntry } from '../../layer/index-types.js';
import { sizeText } from '../format.js';
import type { PaneBox } from '../layout.js';
import { type LayerView, entryOf, markOf } from '../layer-view.js';
import { type Rows, rowPrefix } from '../rows.js';
import type { Timeline } from '../timeline.js';
import { CHANGE_COLOURS, Line, Pane, Title } from './common.js';

export interface FileTreeProps {
  box: PaneBox;
  title: string;
  timeline: Timeline;
  view?: LayerView;
  rows: Rows;
  cursor: number;
  top: number;
  focused: boolean;
  attributes: boolean;
  collapsed: ReadonlySet<number>;
  /** Attribute columns instead of mode, owner and size (compare mode: both sides' sizes). */
  columns?: { header: string; cells: (id: number) => string };
  empty: string;
}

const ATTR_HEADER = `${'Permission'.padEnd(11)}${'UID:GID'.padStart(9)}${'Size'.padStart(9)}  `;

function attributes(e: IndexEntry, size: number): string {
  const owner = `${e.uid}:${e.gid}`;
  return `${modeString(e.kind, e.mode).padEnd(11)}${owner.padStart(9)}${sizeText(size).padStart(9)}  `;
}

const nameOf = (name: string, e: IndexEntry) => (e.link !== undefined ? `${name} → ${e.link}` : name);

export function FileTree(props: FileTreeProps) {
  const { box, timeline: t, view, rows, cursor, top, focused } = props;
  const lines = [];
  if (view) {
    const end = Math.min(rows.count, top + box.listHeight);
    for (let row = top; row < end; row++) {
      const id = rows.ids[row] as number;
      const entry = entryOf(t, view, id);
      const folded =
        entry.kind === 'dir' && props.collapsed.has(id) && (t.children[id] as number[]).length > 0;
      const attrs = props.columns
        ? props.columns.cells(id)
        : props.attributes
          ? attributes(entry, view.sizes[id] as number)
          : '';
      const selected = row === cursor;
      lines.push(
        <Line
          key={row}
          width={box.width}
          segments={[
            {
              text: `${attrs}${rowPrefix(t, rows, row)}${folded ? '⊕ ' : ''}${nameOf(t.names[id] as string, entry)}`,
              color: CHANGE_COLOURS[markOf(view, id)],
              inverse: selected && focused,
              bold: selected && !focused,
            },
          ]}
        />,
      );
    }
  }
  const header = props.columns ? props.columns.header : props.attributes ? ATTR_HEADER : '';
  return (
    <Pane width={box.width} height={box.height}>
      <Title text={props.title} width={box.width} focused={focused} />
      <Line segments={[{ text: `${header}Filetree`, dim: true }]} width={box.width} />
      {view ? (
        rows.count > 0 ? (
          lines
        ) : (
          <Line
            segments={[{ text: 'nothing to show: a filter or hidden changes leave no path', dim: true }]}
            width={box.width}
          />
        )
      ) : (
        <Line segments={[{ text: props.empty, dim: true }]} width={box.width} />
      )}
    </Pane>
  );
}
