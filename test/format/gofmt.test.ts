import { describe, expect, test } from 'vitest';
import {
  GoStruct,
  compareStrings,
  formatValue,
  goJSON,
  goQuote,
  sprint,
  sprintf,
  sprintln,
} from '../../src/cli/format/gofmt.js';

describe('formatValue (%v of JSON-like data)', () => {
  test.each([
    ['abc', 'abc'],
    [42, '42'],
    [-7, '-7'],
    [1.5, '1.5'],
    [1e6 + 0.5, '1.0000005e+06'],
    [0.00001, '1e-05'],
    [2 ** 60, '1.152921504606847e+18'], // beyond 2^53 a number is a float64
    [true, 'true'],
    [null, '<nil>'],
    [[], '[]'],
    [['a', 'b', 'c'], '[a b c]'],
    [[1, 'x', null, [true]], '[1 x <nil> [true]]'],
    [{}, 'map[]'],
    [{ b: 2, a: 'x', c: [1] }, 'map[a:x b:2 c:[1]]'],
    [{ z: { y: null } }, 'map[z:map[y:<nil>]]'],
    [new GoStruct({ B: 'b', A: 'a' }, '*t'), 'map[A:a B:b]'],
  ])('%j → %s', (v, want) => {
    expect(formatValue(v)).toBe(want);
  });

  test('bigint is an int64', () => {
    expect(formatValue(10n ** 18n)).toBe('1000000000000000000');
  });

  test('map keys sort by code point, as Go sorts UTF-8 bytes', () => {
    expect(formatValue({ '\uff01': 1, '😀': 2, a: 3, B: 4 })).toBe('map[B:4 a:3 ！:1 😀:2]');
    expect(compareStrings('\uff01', '😀')).toBeLessThan(0); // JS's default sort says the opposite
    expect(compareStrings('ab', 'a')).toBeGreaterThan(0);
    expect(compareStrings('a', 'a')).toBe(0);
  });
});

describe('sprint / sprintln', () => {
  test('Sprint adds spaces only between two non-strings', () => {
    expect(sprint(['a', 1, 2, 'b', 'c', true, false])).toBe('a1 2bctrue false');
    expect(sprint([1, 2])).toBe('1 2');
    expect(sprint([null, 'x', null])).toBe('<nil>x<nil>');
    expect(sprint([])).toBe('');
  });
  test('Sprintln always separates and ends with a newline', () => {
    expect(sprintln(['a', 1, 'b'])).toBe('a 1 b\n');
    expect(sprintln([])).toBe('\n');
  });
});

describe('sprintf', () => {
  test.each([
    ['%s-%d-%v-%q', ['x', 5, true, 'y'], 'x-5-true-"y"'],
    ['%5.2f|%-4s|%03d|%+d', [3.14158, 'ab', 7, 3], ' 3.14|ab  |007|+3'],
    ['%.1f %.2f %.0f', [0.25, 1.005, 2.5], '0.2 1.00 2'],
    ['%e %E %g %G', [123456.789, 0.000123, 1e21, 1e-7], '1.234568e+05 1.230000E-04 1e+21 1E-07'],
    ['%x %X %o %b %#x %c %U', [255, 255, 8, 5, 255, 0x4e16, 0x1f600], 'ff FF 10 101 0xff 世 U+1F600'],
    ['%x', ['hi'], '6869'],
    ['%q', [[`a"b`, 'c']], '["a\\"b" "c"]'],
    [
      '%v|%s|%d',
      [
        [1, 2],
        ['a', 'b'],
        [3, 4],
      ],
      '[1 2]|[a b]|[3 4]',
    ],
    ['%v', [{ b: 1, a: null }], 'map[a:<nil> b:1]'],
    ['%6.3s|%-6v|%6v', ['abcdef', 'ab', 1.5], '   abc|ab    |   1.5'],
    ['%*d|%-*d|%.*f', [5, 42, 4, 7, 2, 3.14158], '   42|7   |3.14'],
    ['%08.3f|%+.2e|% d', [-3.14158, 12345.678, 5], '-003.142|+1.23e+04| 5'],
    ['100%%', [], '100%'],
    ['%t', [false], 'false'],
    ['%5t|%-7t|', [true, false], ' true|false  |'],
  ])('%s %j → %s', (fmt, args, want) => {
    expect(sprintf(fmt, args)).toBe(want);
  });

  test.each([
    ['%d', ['x'], '%!d(string=x)'],
    ['%s', [5], '%!s(int=5)'],
    ['%d', [1.5], '%!d(float64=1.5)'],
    ['%s', [true], '%!s(bool=true)'],
    ['%d', [null], '%!d(<nil>)'],
    ['%v', [null], '<nil>'],
    ['%s', [], '%!s(MISSING)'],
    ['%s %s', ['a'], 'a %!s(MISSING)'],
    ['%s', ['a', 'b', 1, null], 'a%!(EXTRA string=b, int=1, <nil>)'],
    ['abc', [1], 'abc%!(EXTRA int=1)'],
    ['%', [], '%!(NOVERB)'],
    ['%z', [1], '%!z(int=1)'],
    ['%d', [['a', 1]], '[%!d(string=a) 1]'],
    ['%*d', ['x', 1], '%!(BADWIDTH)1'],
    ['%s', [{ k: 1 }], 'map[k:%!s(int=1)]'],
  ])('mistakes: %s %j → %s', (fmt, args, want) => {
    expect(sprintf(fmt, args)).toBe(want);
  });
});

describe('goQuote (strconv.Quote)', () => {
  test.each([
    ['abc', '"abc"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['héllo 世界 😀', '"héllo 世界 😀"'],
    ['\u00a0\u2028\u200b', '"\\u00a0\\u2028\\u200b"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ['\ud800', '"\\ufffd"'],
  ])('%j → %s', (s, want) => {
    expect(goQuote(s)).toBe(want);
  });
});

describe('goJSON (json.Encoder with SetEscapeHTML(false), as the template json function)', () => {
  test('HTML characters stay as they are', () => {
    expect(goJSON('a && b < c > d')).toBe('"a && b < c > d"');
  });

  test('escapes', () => {
    expect(goJSON('"\\/\b\f\n\r\t\x00\x1f\x7f')).toBe('"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\x7f"');
    expect(goJSON('\u2028\u2029')).toBe('"\\u2028\\u2029"');
    expect(goJSON('é世😀')).toBe('"é世😀"');
    expect(goJSON('\udc00x')).toBe('"\\ufffdx"');
  });

  test('numbers as Go encodes float64', () => {
    expect(goJSON(0)).toBe('0');
    expect(goJSON(-0)).toBe('-0');
    expect(goJSON(182964289)).toBe('182964289');
    expect(goJSON(0.1)).toBe('0.1');
    expect(goJSON(1e20)).toBe('100000000000000000000');
    expect(goJSON(1e21)).toBe('1e+21');
    expect(goJSON(0.000001)).toBe('0.000001');
    expect(goJSON(1.5e-7)).toBe('1.5e-7');
    expect(goJSON(12n)).toBe('12');
    expect(() => goJSON(Number.NaN)).toThrow('json: unsupported value: NaN');
    expect(() => goJSON(Number.POSITIVE_INFINITY)).toThrow('json: unsupported value: +Inf');
  });

  test('objects keep their key order, compact, undefined members dropped', () => {
    expect(
      goJSON({
        Comment: '',
        CreatedAt: '2017-01-01T12:00:03Z',
        CreatedBy: 'rose',
        CreatedSince: 'N/A',
        ID: 'abcdef',
        Size: '0B',
      }),
    ).toBe(
      '{"Comment":"","CreatedAt":"2017-01-01T12:00:03Z","CreatedBy":"rose","CreatedSince":"N/A","ID":"abcdef","Size":"0B"}',
    );
    expect(goJSON({ b: 1, a: [true, null, 'x'], c: undefined, d: {} })).toBe(
      '{"b":1,"a":[true,null,"x"],"d":{}}',
    );
    expect(goJSON(undefined)).toBe('null');
    expect(goJSON([])).toBe('[]');
    expect(goJSON(new GoStruct({ ID: 'x' }, '*t'))).toBe('{"ID":"x"}');
    expect(goJSON({ 'a"b': 1 })).toBe('{"a\\"b":1}');
  });
});
