/** Small text helpers for the panes: sizes as `strata tree` prints them, fitting text to a width. */
import { displayWidth, prefixWithin } from '../format/text.js';
import { humanSizeWithPrecision } from '../format/units.js';

export const sizeText = (bytes: number) => humanSizeWithPrecision(bytes, 3);

/**
 * Cut to `width` terminal columns (with … when cut) and pad to it. Wide characters (CJK, emoji) take
 * two columns, combining marks none: a line that counted code points would overflow its pane and make
 * ink wrap it.
 */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return '';
  const total = displayWidth(text);
  if (total <= width) return text + ' '.repeat(width - total);
  const cut = prefixWithin(text, width - 1);
  return `${cut.text}…${' '.repeat(width - 1 - cut.width)}`;
}

/** The history's created_by as a short command: the shell prefix dropped, lines joined. */
export function commandText(createdBy: string): string {
  const text = createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s*/, '')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .replace(/\s*\n\s*/g, ' ↵ ');
  return text.trim();
}

/** A ratio as a percentage with four decimals, as `strata analyze` prints it. */
export const percent = (r: number) => `${(r * 100).toFixed(4)}%`;

/** Text wrapped to lines of `width` columns (hard breaks, no word logic: commands are long tokens). */
export function wrap(text: string, width: number, maxLines: number): string[] {
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i < chars.length && out.length < maxLines; i += width)
    out.push(chars.slice(i, i + width).join(''));
  if (out.length === maxLines && chars.length > width * maxLines)
    out[maxLines - 1] = fitWidth(out[maxLines - 1] ?? '', width - 1) + '…';
  return out;
}
