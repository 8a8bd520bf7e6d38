import { describe, expect, test } from 'vitest';
import { displayWidth } from '../../src/format/text.js';
import { fitWidth } from '../../src/tui/format.js';

describe('fitWidth counts terminal columns', () => {
  test('ASCII: padded, or cut with an ellipsis', () => {
    expect(fitWidth('abc', 5)).toBe('abc  ');
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    expect(fitWidth('abc', 0)).toBe('');
  });

  test('wide characters take two columns, and a cut never splits one', () => {
    expect(fitWidth('日本語', 6)).toBe('日本語');
    expect(fitWidth('日本語', 8)).toBe('日本語  ');
    expect(fitWidth('日本語.txt', 5)).toBe('日本…');
    // 4 columns: two wide characters would leave no room for the ellipsis; one goes, a space pads.
    expect(fitWidth('日本語.txt', 4)).toBe('日… ');
    for (let w = 1; w < 14; w++) expect(displayWidth(fitWidth('日本語/ファイル.txt', w))).toBe(w);
  });

  test('combining marks and emoji sequences are measured as one cell or two', () => {
    expect(displayWidth(fitWidth('e\u0301te\u0301', 6))).toBe(6);
    expect(fitWidth('e\u0301te\u0301', 3)).toBe('e\u0301te\u0301');
    expect(displayWidth(fitWidth('👩‍💻 dev', 4))).toBe(4);
  });
});
