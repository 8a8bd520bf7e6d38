// The explorer's stand-in for ink's widest-line (packages/widest-line): the same widths, remembered.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { expect, test } from 'vitest';
import widestLine from 'widest-line';
import { REPO_ROOT } from '../helpers/cli.js';

const PIECES = [
  'a',
  'bin',
  '├── ',
  '│',
  '└─',
  '漢字',
  'e\u0301',
  '👩\u200d💻',
  '🇫🇷',
  '\x1b[31m',
  '\x1b[39m',
  '\t',
  ' ',
  '\n',
];

test('is the widest-line ink loads', () => {
  expect(existsSync(join(REPO_ROOT, 'node_modules', 'ink', 'node_modules', 'widest-line'))).toBe(false);
  expect(realpathSync(join(REPO_ROOT, 'node_modules', 'widest-line'))).toBe(
    join(REPO_ROOT, 'packages', 'widest-line'),
  );
});

test('gives the widest string-width of the lines, asked again and again past its memory', () => {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const pool = Array.from({ length: 3000 }, () =>
    Array.from({ length: 1 + next(12) }, () => PIECES[next(PIECES.length)]).join(''),
  );
  // 20,000 asks over 3,000 texts: hits, misses and the map's generations turning over.
  for (let i = 0; i < 20_000; i++) {
    const text = pool[next(pool.length)] as string;
    const oracle = Math.max(0, ...text.split('\n').map((line) => stringWidth(line)));
    expect(widestLine(text), JSON.stringify(text)).toBe(oracle);
  }
});
