import { describe, expect, test } from 'vitest';
import {
  AlignRight,
  Debug,
  DiscardEmptyColumns,
  TabIndent,
  TabWriter,
  formatTable,
} from '../../src/cli/format/tabwriter.js';

describe('Docker configuration (minwidth 10, tabwidth 1, padding 3, spaces)', () => {
  test('docker history golden: history-command-success.simple.golden', () => {
    const out = formatTable([
      'IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT',
      '123456789012\tLess than a second ago\t\t0B\tnone',
    ]);
    expect(out).toBe(
      'IMAGE          CREATED                  CREATED BY   SIZE      COMMENT\n' +
        '123456789012   Less than a second ago                0B        none\n',
    );
  });

  test('docker history golden: history-command-success.non-human.golden', () => {
    const out = formatTable([
      'IMAGE\tCREATED AT\tCREATED BY\tSIZE\tCOMMENT',
      'abcdef\t2017-01-01T12:00:03Z\trose\t0\tnew history item!',
    ]);
    expect(out).toBe(
      'IMAGE     CREATED AT             CREATED BY   SIZE      COMMENT\n' +
        'abcdef    2017-01-01T12:00:03Z   rose         0         new history item!\n',
    );
  });

  test('an empty last cell leaves the padded previous column: trailing spaces', () => {
    const out = formatTable(['IMAGE\tSIZE\tCOMMENT', 'abc\t0B\t', 'def\t1.98MB\tbuildkit.dockerfile.v0']);
    expect(out).toBe(
      'IMAGE     SIZE      COMMENT\n' +
        'abc       0B        \n' +
        'def       1.98MB    buildkit.dockerfile.v0\n',
    );
  });

  test('wide characters count two columns, combining marks none', () => {
    expect(formatTable(['名前\tx', 'abc\tyy'])).toBe('名前      x\nabc       yy\n');
    expect(formatTable(['你好世界你好\tx', 'a\ty'])).toBe('你好世界你好   x\na              y\n');
    expect(formatTable(['e\u0301\tx'])).toBe('e\u0301         x\n');
  });

  test('the text after the last tab is never padded, however long', () => {
    expect(formatTable(['a\tb', `c\t${'d'.repeat(38)}`])).toBe(`a         b\nc         ${'d'.repeat(38)}\n`);
  });

  test('a line without tabs ends the column blocks', () => {
    expect(formatTable(['a\tb', 'no tabs here', 'cccccccccccc\td'])).toBe(
      'a         b\nno tabs here\ncccccccccccc   d\n',
    );
  });

  test('empty lines and a lone header', () => {
    expect(formatTable(['IMAGE\tSIZE'])).toBe('IMAGE     SIZE\n');
    expect(formatTable(['', 'a\tb'])).toBe('\na         b\n');
    expect(formatTable([])).toBe('');
  });
});

describe("Go's column blocks", () => {
  const tight = { minwidth: 0, padding: 1 };

  test('the text/tabwriter documentation example: b and c are in distinct blocks', () => {
    const out = formatTable(['aaaa\tbbb\td', 'aa\tb\tdd', 'a\t', 'aa\tcccc\teee'], tight);
    expect(out).toBe('aaaa bbb d\naa   b   dd\na    \naa   cccc eee\n');
  });

  test('varying column counts: a line with fewer cells splits the columns to its right', () => {
    // "aa\tb" has no second column, so bbbbbb (line 1) and bb/y (lines 3-4) are separate blocks.
    const out = formatTable(['a\tbbbbbb\tc\td', 'aa\tb', 'aaa\tbb\tcccccc\td', 'x\ty\tz'], tight);
    expect(out).toBe('a   bbbbbb c d\naa  b\naaa bb cccccc d\nx   y  z\n');
  });

  test('empty cells are padded to the column width', () => {
    expect(formatTable(['\t\tc', 'aaa\tbb\tc'], tight)).toBe('       c\naaa bb c\n');
  });
});

describe('TabWriter streaming', () => {
  test('text may arrive in pieces; output is the same', () => {
    const tw = new TabWriter();
    for (const piece of [
      'IMA',
      'GE\tCRE',
      'ATED\t',
      'SIZE\n1234',
      '56789012\t',
      'Less than a second ago\t0B\n',
    ]) {
      tw.write(piece);
    }
    expect(tw.flush()).toBe(
      'IMAGE          CREATED                  SIZE\n123456789012   Less than a second ago   0B\n',
    );
  });

  test('unterminated last line: no newline added, a trailing tab does not pad', () => {
    expect(new TabWriter().write('a\tb').flush()).toBe('a         b');
    expect(new TabWriter().write('a\t').flush()).toBe('a');
    expect(new TabWriter().write('x\na\t').flush()).toBe('x\na');
  });

  test('a single-cell line flushes what came before it', () => {
    const tw = new TabWriter({ minwidth: 0, padding: 1 });
    tw.write('a\tb\nheader\n');
    tw.write('ccc\td\n');
    expect(tw.flush()).toBe('a b\nheader\nccc d\n');
  });

  test('form feed ends the blocks like a flush', () => {
    expect(new TabWriter({ minwidth: 0, padding: 1 }).write('a\tb\fccc\td\n').flush()).toBe('a b\nccc d\n');
  });

  test('vertical tab terminates a cell too', () => {
    expect(new TabWriter({ minwidth: 0, padding: 1 }).write('a\vb\naa\vb\n').flush()).toBe('a  b\naa b\n');
  });

  test('flush empties the writer', () => {
    const tw = new TabWriter();
    tw.write('a\tb\n');
    expect(tw.flush()).toBe('a         b\n');
    expect(tw.flush()).toBe('');
    tw.write('c\td\n');
    expect(tw.flush()).toBe('c         d\n');
  });
});

describe('other options', () => {
  test('AlignRight', () => {
    expect(formatTable(['a\tbbb\t', 'aaaa\tb\t'], { minwidth: 0, padding: 1, flags: AlignRight })).toBe(
      '    a bbb\n aaaa   b\n',
    );
  });

  test('Debug draws column separators', () => {
    expect(formatTable(['a\tb\tc', 'aa\tbb\tc'], { minwidth: 0, padding: 1, flags: Debug })).toBe(
      'a  |b  |c\naa |bb |c\n',
    );
  });

  test('DiscardEmptyColumns drops columns of soft-terminated empty cells', () => {
    expect(formatTable(['a\v\vb', 'c\v\vd'], { minwidth: 0, padding: 1, flags: DiscardEmptyColumns })).toBe(
      'a b\nc d\n',
    );
    expect(formatTable(['a\t\tb', 'c\t\td'], { minwidth: 0, padding: 1, flags: DiscardEmptyColumns })).toBe(
      'a  b\nc  d\n',
    );
  });

  test('tab padding rounds cells up to tab stops', () => {
    expect(
      formatTable(['a\tb', 'aaaaaaaaa\tb'], { minwidth: 0, tabwidth: 8, padding: 1, padchar: '\t' }),
    ).toBe('a\t\tb\naaaaaaaaa\tb\n');
  });

  test('TabIndent indents leading empty cells with tabs', () => {
    expect(formatTable(['\tx', 'yy\tz'], { minwidth: 0, tabwidth: 4, padding: 1, flags: TabIndent })).toBe(
      '\tx\nyy z\n',
    );
    expect(
      formatTable(['\t\tx', 'yyyyy\tz\tw'], { minwidth: 0, tabwidth: 4, padding: 1, flags: TabIndent }),
    ).toBe('\t\t\tx\nyyyyy z w\n');
  });

  test('invalid options', () => {
    expect(() => new TabWriter({ padding: -1 })).toThrow(RangeError);
    expect(() => new TabWriter({ padchar: '' })).toThrow(RangeError);
    expect(() => new TabWriter({ flags: 1 })).toThrow(RangeError);
  });
});
