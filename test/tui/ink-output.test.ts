import { describe, expect, it } from 'vitest';
import {
  FrameMemory,
  type InkOutput,
  RecentMap,
  composeFrame,
  inkOutputClass,
} from '../../src/tui/ink-output.js';

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

const PIECES = [
  'bin',
  'usr/lib/x86_64-linux-gnu',
  '├── ',
  '│   ',
  '└── ',
  ' 12 kB ',
  '漢字',
  'ｶﾀｶﾅ',
  'e\u0301',
  '👩\u200d💻',
  '🇫🇷',
  '\t',
  ' ',
  '-rw-r--r--',
];
const STYLES = [
  ['\x1b[31m', '\x1b[39m'],
  ['\x1b[1m', '\x1b[22m'],
  ['\x1b[7m', '\x1b[27m'],
  ['\x1b[38;5;208m', '\x1b[39m'],
  ['\x1b[48;2;10;20;30m', '\x1b[49m'],
] as const;

function line(r: ReturnType<typeof random>): string {
  let out = '';
  for (let n = r.int(8); n > 0; n--) {
    const piece = r.pick(PIECES);
    if (r.next() < 0.3) {
      const [open, close] = r.pick(STYLES);
      out += open + piece + close;
    } else out += piece;
  }
  return out;
}

const TRANSFORMERS = [
  (l: string) => `\x1b[4m${l}\x1b[24m`,
  (l: string, i: number) => (i % 2 ? l.toUpperCase() : l),
];

/** A frame's operations, from a small pool of lines so that frames repeat each other as the explorer's do. */
function frame(
  Output: new (o: { width: number; height: number }) => InkOutput,
  r: ReturnType<typeof random>,
  pool: string[],
) {
  const width = 1 + r.int(50);
  const height = 1 + r.int(14);
  const output = new Output({ width, height }) as InkOutput & {
    write(
      x: number,
      y: number,
      text: string,
      o: { transformers: ((l: string, i: number) => string)[] },
    ): void;
    clip(c: object): void;
    unclip(): void;
  };
  let depth = 0;
  for (let n = r.int(12); n > 0; n--) {
    const roll = r.next();
    if (roll < 0.15) {
      const x1 = r.int(width + 4) - 2;
      const y1 = r.int(height + 4) - 2;
      const clip =
        r.next() < 0.2
          ? { x1, x2: x1 + r.int(width) }
          : r.next() < 0.2
            ? { y1, y2: y1 + r.int(height) }
            : { x1, x2: x1 + r.int(width), y1, y2: y1 + r.int(height) };
      output.clip(clip);
      depth++;
    } else if (roll < 0.25 && depth > 0) {
      output.unclip();
      depth--;
    } else {
      const lines = Array.from({ length: 1 + r.int(4) }, () => r.pick(pool));
      const transformers = r.next() < 0.2 ? [r.pick(TRANSFORMERS)] : [];
      output.write(r.int(width + 6) - 3, r.int(height + 4) - 2, lines.join('\n'), { transformers });
    }
  }
  return output;
}

describe('frames composed with memory', async () => {
  const Output = await inkOutputClass();

  it('finds the ink release it was checked against', () => {
    expect(Output).toBeDefined();
  });

  it('match ink’s own composer cell for cell, frame after frame', () => {
    if (!Output) throw new Error('ink is not the checked release');
    const inkGet = Output.prototype.get;
    expect(inkGet.name).toBe('get'); // ink's, not the replacement
    const OutputClass = Output as unknown as new (o: { width: number; height: number }) => InkOutput;
    for (let seed = 1; seed <= 40; seed++) {
      const r = random(seed);
      const pool = Array.from({ length: 12 }, () => line(r));
      const memory = new FrameMemory();
      for (let f = 0; f < 25; f++) {
        const output = frame(OutputClass, r, pool);
        const expected = inkGet.call(output);
        expect(composeFrame(output, memory), `seed ${seed}, frame ${f}`).toEqual(expected);
      }
    }
  });
});

describe('RecentMap', () => {
  it('keeps at most two generations and keeps what is used', () => {
    const map = new RecentMap<number>(3);
    for (let i = 0; i < 100; i++) {
      map.set(`k${i}`, i);
      expect(map.get('k0')).toBe(0); // used every time: never forgotten
    }
    expect(map.size).toBeLessThanOrEqual(6);
    expect(map.get('k50')).toBeUndefined();
    expect(map.get('k99')).toBe(99);
  });
});
