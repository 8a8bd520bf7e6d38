import { describe, expect, test } from 'vitest';
import {
  displayWidth,
  ellipsis,
  graphemeCells,
  graphemeWidth,
  prefixWithin,
  replaceTabs,
  runeWidth,
} from '../../src/format/text.js';

describe('displayWidth (go-runewidth StringWidth, non East Asian)', () => {
  test.each([
    ['', 0],
    ['abc', 3],
    ['a\tb', 2], // controls are zero wide
    ['\x7f\x1b', 0],
    ['Ä', 1],
    ['\u00ad', 0], // soft hyphen
    ['你好', 4],
    ['ｱｲ', 2], // halfwidth katakana
    ['ＡＢ', 4], // fullwidth latin
    ['\u3000', 2], // ideographic space
    ['한국어', 6],
    ['e\u0301', 1], // combining acute joins its base
    ['\u0301', 0],
    ['a\u200bb', 2], // zero width space
    ['t🐳ststring', 11],
    ['👍🏽', 2], // skin tone modifier is part of the cluster
    ['👨‍👩‍👧', 2], // ZWJ sequence
    ['🇯🇵', 1], // regional indicators are narrow in go-runewidth
    ['☺', 1],
    ['⌚', 2],
    ['…', 1],
    ['\u4dc0', 2], // Yijing hexagram: Wide since Unicode 16
  ])('%j → %d', (s, want) => {
    expect(displayWidth(s)).toBe(want);
  });

  test('runeWidth', () => {
    expect(runeWidth(0x41)).toBe(1);
    expect(runeWidth(0x0)).toBe(0);
    expect(runeWidth(0x9f)).toBe(0);
    expect(runeWidth(0x300)).toBe(0);
    expect(runeWidth(0x1100)).toBe(2);
    expect(runeWidth(0x3099)).toBe(0); // combining kana mark: zero wins over wide
    expect(runeWidth(0x20000)).toBe(2);
    expect(runeWidth(0xe0100)).toBe(0); // variation selector supplement
    expect(runeWidth(0x10ffff)).toBe(1);
  });
});

describe('ellipsis (Docker formatter.Ellipsis)', () => {
  // The cases of the Docker CLI's displayutils_test.go.
  test.each([
    ['t🐳ststring', 0, ''],
    ['t🐳ststring', 1, 't'],
    ['t🐳ststring', 2, 't…'],
    ['t🐳ststring', 6, 't🐳st…'],
    ['t🐳ststring', 20, 't🐳ststring'],
    ['你好世界teststring', 0, ''],
    ['你好世界teststring', 1, '你'],
    ['你好世界teststring', 3, '你…'],
    ['你好世界teststring', 6, '你好…'],
    ['你好世界teststring', 20, '你好世界teststring'],
  ])('%j %d → %j', (s, max, want) => {
    expect(ellipsis(s, max)).toBe(want);
  });

  test('ASCII: keeps max-1 characters and appends U+2026', () => {
    const createdBy = '/bin/bash ls && npm i && npm run test && karma -c karma.conf.js start';
    expect(ellipsis(createdBy, 45)).toBe('/bin/bash ls && npm i && npm run test && kar…');
    expect(ellipsis('x'.repeat(45), 45)).toBe('x'.repeat(45));
    expect(ellipsis('x'.repeat(46), 45)).toBe(`${'x'.repeat(44)}…`);
    expect(ellipsis('abc', -1)).toBe('');
    expect(ellipsis('', 1)).toBe(''); // Go would panic here
    expect(ellipsis('', 5)).toBe('');
  });

  test('Docker quirks: no room for the first wide character returns s, widths are per code point', () => {
    expect(ellipsis('你好世界', 2)).toBe('你好世界');
    expect(ellipsis('你好世界', 1)).toBe('你');
    // x/text counts a combining mark as 1 (displayWidth says 1 for the pair, Ellipsis says 2).
    expect(ellipsis('e\u0301e\u0301e\u0301', 4)).toBe('e\u0301e…');
    expect(ellipsis('你好世界', 8)).toBe('你好世界');
    expect(ellipsis('你好世界', 7)).toBe('你好世…');
    expect(ellipsis('a你好', 4)).toBe('a你…');
    expect(ellipsis('a你好', 3)).toBe('a…');
  });

  test('Unicode 15 widths (x/text), not 17: Yijing hexagrams are narrow there', () => {
    expect(ellipsis('\u4dc0\u4dc0\u4dc0\u4dc0', 3)).toBe('\u4dc0\u4dc0…');
  });
});

test('replaceTabs', () => {
  expect(replaceTabs('/bin/sh -c\tapt-get\t\tupdate')).toBe('/bin/sh -c apt-get  update');
  expect(replaceTabs('no tabs')).toBe('no tabs');
});

describe('displayWidth without segmenting', () => {
  // The grapheme rule, taken the general way, is what the shortcut must agree with.
  const byGraphemes = graphemeWidth;

  test('strings of box-drawing, arrows, symbols and Latin measure as their graphemes do', () => {
    const ranges = [
      [0x20, 0x2ff],
      [0x2010, 0x2027],
      [0x2030, 0x205f],
      [0x2070, 0x20cf],
      [0x2100, 0x2bff],
    ] as const;
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 3000; n++) {
      let s = '';
      for (let i = next() % 12; i >= 0; i--) {
        const [lo, hi] = ranges[next() % ranges.length]!;
        s += String.fromCharCode(lo + (next() % (hi - lo + 1)));
      }
      expect(displayWidth(s), JSON.stringify(s)).toBe(byGraphemes(s));
    }
    expect(displayWidth('├── 日本')).toBe(8);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  test('prefixWithin keeps whole graphemes, as many columns as fit, fast path or not', () => {
    const pieces = ['a', '├', '─', '日', 'e\u0301', '👩‍💻', '→', ' ', 'ﬀ'];
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 2000; n++) {
      const parts = Array.from({ length: next() % 10 }, () => pieces[next() % pieces.length]!);
      const s = parts.join('');
      const width = next() % 14;
      // The oracle: whole graphemes while they fit.
      let want = '';
      let used = 0;
      for (const [segment, w] of graphemeCells(s)) {
        if (used + w > width) break;
        want += segment;
        used += w;
      }
      expect(prefixWithin(s, width), `${JSON.stringify(s)} in ${width}`).toEqual({ text: want, width: used });
    }
  });
});
