/**
 * Terminal column widths and truncation as the Docker CLI computes them.
 *
 * Two width models exist there and both are kept: the tabwriter measures cells with go-runewidth
 * (graphemes; combining marks and controls are 0 wide), while formatter.Ellipsis counts each code
 * point as 2 if golang.org/x/text calls it East Asian Wide or Fullwidth and 1 otherwise.
 */
import { ELLIPSIS_WIDE, WIDE, ZERO_WIDTH } from './widthtable.js';

/** Binary search in a flat list of inclusive [first, last] code point ranges. */
function inRanges(cp: number, ranges: readonly number[]): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  if (hi < 0 || cp < ranges[0]! || cp > ranges[ranges.length - 1]!) return false;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[2 * mid + 1]! < cp) lo = mid + 1;
    else if (ranges[2 * mid]! > cp) hi = mid - 1;
    else return true;
  }
  return false;
}

/**
 * go-runewidth RuneWidth in its default (non East Asian) mode. Docker switches to the East Asian mode
 * under CJK locales (ambiguous characters become 2 wide); that mode is not reproduced.
 */
export function runeWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xad) return 0;
  if (cp < 0x300) return 1;
  if (inRanges(cp, ZERO_WIDTH)) return 0;
  return inRanges(cp, WIDE) ? 2 : 1;
}

let graphemes: Intl.Segmenter | undefined;

/**
 * True for a code unit that is a grapheme of its own whatever follows it: Latin and the like below the
 * combining marks, and the punctuation, arrows, maths, box-drawing and symbol blocks (U+2010–U+2BFF
 * without the zero-width, bidi and combining-for-symbols ranges).
 */
function standsAlone(c: number): boolean {
  if (c < 0x300) return true;
  if (c < 0x2010 || c > 0x2bff) return false;
  return c <= 0x2027 || (c >= 0x2030 && c <= 0x205f) || (c >= 0x2070 && c <= 0x20cf) || c >= 0x2100;
}

/** The width of a code unit that stands alone, or -1 when it may join its neighbours in a grapheme. */
function aloneWidth(c: number): number {
  if (c >= 0x20 && c < 0x7f) return 1;
  return standsAlone(c) ? runeWidth(c) : -1;
}

/**
 * The width of a string whose every code unit stands alone (each its own grapheme), else undefined.
 * Tree lines are like that (box-drawing characters), and summing is ~10× faster than segmenting.
 */
function simpleWidth(s: string): number | undefined {
  let width = 0;
  for (let i = 0; i < s.length; i++) {
    const w = aloneWidth(s.charCodeAt(i));
    if (w < 0) return undefined;
    width += w;
  }
  return width;
}

/**
 * go-runewidth StringWidth: the sum over grapheme clusters of the width of each cluster's first
 * non-zero-width code point, so "e\u0301" is 1 and a ZWJ emoji sequence is 2.
 */
export function displayWidth(s: string): number {
  return simpleWidth(s) ?? graphemeWidth(s);
}

/** The longest start of `s` at most `width` columns wide (never half a grapheme), and its width. */
export function prefixWithin(s: string, width: number): { text: string; width: number } {
  let used = 0;
  for (let i = 0; i < s.length; i++) {
    const w = aloneWidth(s.charCodeAt(i));
    if (w < 0) return graphemePrefix(s, width);
    // s[i] stands alone, so cutting before it splits no grapheme.
    if (used + w > width) return { text: s.slice(0, i), width: used };
    used += w;
  }
  return { text: s, width: used };
}

function graphemePrefix(s: string, width: number): { text: string; width: number } {
  let used = 0;
  let text = '';
  for (const [segment, w] of graphemeCells(s)) {
    if (used + w > width) break;
    text += segment;
    used += w;
  }
  return { text, width: used };
}

/** Each grapheme cluster of `s` and its width: that of its first non-zero-width code point. */
export function* graphemeCells(s: string): Generator<[segment: string, width: number]> {
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(s)) {
    let width = 0;
    for (const ch of segment) {
      width = runeWidth(ch.codePointAt(0)!);
      if (width > 0) break;
    }
    yield [segment, width];
  }
}

/** displayWidth by grapheme clusters, whatever the string holds (the slow, general way). */
export function graphemeWidth(s: string): number {
  let width = 0;
  for (const [, w] of graphemeCells(s)) width += w;
  return width;
}

/** formatter.Ellipsis's charWidth: 2 for x/text East Asian Wide/Fullwidth, 1 for everything else. */
function ellipsisCharWidth(cp: number): number {
  return inRanges(cp, ELLIPSIS_WIDE) ? 2 : 1;
}

/**
 * The Docker CLI's formatter.Ellipsis: s unchanged if it fits in maxDisplayWidth columns, else the
 * longest prefix of at most maxDisplayWidth-1 columns followed by "…". A max of 0 or less gives "",
 * a max of 1 gives the first character whatever its width (Go panics on an empty string there; this
 * returns ""). Docker quirk kept: if not even the first character fits in max-1 columns, s comes back
 * untruncated.
 */
export function ellipsis(s: string, maxDisplayWidth: number): string {
  if (maxDisplayWidth <= 0) return '';
  const chars = Array.from(s);
  if (maxDisplayWidth === 1) return chars[0] ?? '';
  if (/^[\x00-\x7f]*$/.test(s)) {
    return s.length <= maxDisplayWidth ? s : `${s.slice(0, maxDisplayWidth - 1)}…`;
  }
  const ends: number[] = []; // display column after each character
  let total = 0;
  for (const ch of chars) {
    total += ellipsisCharWidth(ch.codePointAt(0)!);
    ends.push(total);
  }
  if (total <= maxDisplayWidth) return s;
  const room = maxDisplayWidth - 1;
  for (let i = 0; i < ends.length - 1; i++) {
    if (ends[i]! <= room && ends[i + 1]! > room) return `${chars.slice(0, i + 1).join('')}…`;
  }
  return s;
}

/** docker history's CREATED BY: every tab becomes one space, so the text cannot break table columns. */
export function replaceTabs(s: string): string {
  return s.replaceAll('\t', ' ');
}
