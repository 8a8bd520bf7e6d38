import { describe, expect, test } from 'vitest';
import { hexLines, isBinary, textLines, viewerContent } from '../../src/tui/content.js';

describe('file content for the viewer', () => {
  test('text stays text: tabs expanded, control characters shown as dots', () => {
    expect(isBinary(Buffer.from('héllo\n'), false)).toBe(false);
    expect(textLines(Buffer.from('a\tb\r\nc\x07'))).toEqual(['a       b', 'c·']);
  });

  test('NUL bytes or bad UTF-8 make it binary, shown as a hex dump', () => {
    expect(isBinary(Buffer.from([0x7f, 0x45, 0x00]), false)).toBe(true);
    expect(isBinary(Buffer.from([0xff, 0xfe, 0x41]), false)).toBe(true);
    // A cut through a character at the end of what was read is not proof of binary.
    expect(isBinary(Buffer.from('é').subarray(0, 1), true)).toBe(false);
    expect(hexLines(Buffer.from('ELF\x00abcdefghijklmnopq'))).toEqual([
      '00000000  45 4c 46 00 61 62 63 64  65 66 67 68 69 6a 6b 6c  |ELF.abcdefghijkl|',
      '00000010  6d 6e 6f 70 71                                    |mnopq|',
    ]);
  });

  test('the note says what is shown', () => {
    expect(viewerContent(Buffer.from('x'), false).note).toBe('text');
    expect(viewerContent(Buffer.alloc(2048), true).note).toBe('binary, as hex, first 2 KiB');
  });
});
