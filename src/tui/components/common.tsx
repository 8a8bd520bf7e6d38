/** Pieces every pane uses: a title line, and a line of coloured segments cut to the pane's width. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth } from '../../format/text.js';
import { fitWidth } from '../format.js';

export interface Segment {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/**
 * One screen line: the segments, cut to `width` columns. Not padded: ink rewrites whole lines, and
 * every character drawn costs it time (a selected row is padded, so its highlight spans the pane).
 */
export function Line({ segments, width }: { segments: Segment[]; width: number }) {
  let room = width;
  const parts: ReactNode[] = [];
  segments.forEach((s, i) => {
    if (room <= 0) return;
    const length = displayWidth(s.text);
    const pad = s.inverse && i === segments.length - 1;
    const text = length > room || pad ? fitWidth(s.text, room) : s.text;
    room -= text === s.text ? length : displayWidth(text);
    parts.push(
      // biome-ignore lint/suspicious/noArrayIndexKey: segments are known by their place in the line
      <Text key={i} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
        {text}
      </Text>,
    );
  });
  return <Text wrap="truncate">{parts}</Text>;
}

/** A pane's title bar: bold, and inverse when the pane has the keys. */
export function Title({ text, width, focused }: { text: string; width: number; focused?: boolean }) {
  return (
    <Text wrap="truncate" bold inverse={focused} color={focused ? undefined : 'cyan'}>
      {fitWidth(` ${text} `, width)}
    </Text>
  );
}

/**
 * A fixed-size column of lines (blank lines fill what is left, so the layout never shifts). Not
 * clipped: callers give it no more lines than fit, and ink's clipping costs a slice of every line.
 */
export function Pane({ width, height, children }: { width: number; height: number; children: ReactNode }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      {children}
    </Box>
  );
}

export const CHANGE_COLOURS: Record<string, string | undefined> = {
  added: 'green',
  modified: 'yellow',
  removed: 'red',
  unmodified: undefined,
};
