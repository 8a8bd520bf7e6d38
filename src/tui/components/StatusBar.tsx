/** The last line: the open prompt, else the last message, else the keys that work where the focus is. */
import type { Action, Bindings } from '../keys.js';
import type { UiState } from '../state.js';
import { Line, type Segment } from './common.js';

/** A key as the status bar names it: ^A, Space, Tab, /. */
export function keyLabel(key: string): string {
  if (key.startsWith('ctrl+')) return `^${key.slice(5).toUpperCase()}`;
  if (key.length === 1) return key;
  return key.charAt(0).toUpperCase() + key.slice(1);
}

const HINTS: Record<'layers' | 'tree' | 'overlay', [Action, string][]> = {
  layers: [
    ['quit', 'Quit'],
    ['toggleView', 'Switch view'],
    ['compareLayer', 'Layer changes'],
    ['compareAll', 'Aggregated'],
    ['filter', 'Filter'],
    ['largest', 'Largest'],
    ['platforms', 'Platform'],
    ['help', 'Keys'],
  ],
  tree: [
    ['quit', 'Quit'],
    ['toggleView', 'Switch view'],
    ['toggleCollapse', 'Collapse'],
    ['toggleAdded', 'Added'],
    ['toggleRemoved', 'Removed'],
    ['toggleModified', 'Modified'],
    ['toggleUnmodified', 'Unmodified'],
    ['filter', 'Filter'],
    ['search', 'Search'],
    ['view', 'View'],
    ['extract', 'Extract'],
    ['toggleAttributes', 'Attributes'],
    ['toggleSort', 'Sort'],
    ['largest', 'Largest'],
    ['help', 'Keys'],
  ],
  overlay: [
    ['close', 'Close'],
    ['up', 'Up'],
    ['down', 'Down'],
    ['confirm', 'Go to'],
    ['extract', 'Extract'],
  ],
};

const HIDE_OF: Partial<Record<Action, string>> = {
  toggleAdded: 'added',
  toggleRemoved: 'removed',
  toggleModified: 'modified',
  toggleUnmodified: 'unmodified',
};

export interface StatusBarProps {
  ui: UiState;
  bindings: Bindings;
  width: number;
  /** Right-hand note: reading progress, search matches. */
  note?: string;
}

export function StatusBar({ ui, bindings, width, note }: StatusBarProps) {
  let segments: Segment[];
  if (ui.prompt) {
    const label = ui.prompt.kind === 'filter' ? 'Filter (regex): ' : 'Search (regex): ';
    segments = [{ text: label, bold: true }, { text: `${ui.prompt.text}▏` }];
    if (ui.prompt.error) segments.push({ text: `  ${ui.prompt.error}`, color: 'red' });
  } else if (ui.message) segments = [{ text: ui.message, color: 'yellow' }];
  else {
    const hints = HINTS[ui.overlay ? 'overlay' : ui.focus];
    segments = hints.flatMap(([action, label]) => {
      const key = bindings[action][0];
      if (!key) return [];
      const hidden = HIDE_OF[action] !== undefined && ui.hide.has(HIDE_OF[action] as never);
      return [
        { text: `${keyLabel(key)} `, bold: true },
        { text: `${label}  `, dim: hidden },
      ];
    });
  }
  // The note goes first: the hints may not all fit.
  if (note && !ui.prompt) segments = [{ text: `[${note}]  `, color: 'cyan' }, ...segments];
  return <Line segments={segments} width={width} />;
}
