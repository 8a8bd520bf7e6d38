import { describe, expect, test } from 'vitest';
import { createProgress, progressBar } from '../../src/cli/progress.js';

describe("Docker's progress rendering", () => {
  test('the bar: 50 columns, a head, go-units sizes with 4 digits', () => {
    expect(progressBar(45_750_000, 55_050_000)).toBe(`[${'='.repeat(41)}>${' '.repeat(9)}]  45.75MB/55.05MB`);
    expect(progressBar(0, 1000)).toBe(`[>${' '.repeat(50)}]       0B/1kB`);
    expect(progressBar(1000, 1000)).toBe(`[${'='.repeat(50)}>]      1kB/1kB`);
    // Narrow terminals get the numbers only; an unknown total gets nothing.
    expect(progressBar(500, 1000, 80)).toBe('    500B/1kB');
    expect(progressBar(500, 0)).toBe('');
  });

  test('without a terminal: one line per state change, byte counts dropped', () => {
    let out = '';
    const p = createProgress('plain', (t) => {
      out += t;
    });
    p.message('1: Pulling from library/app');
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' });
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: 10, total: 100 });
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Download complete' });
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Extracting', current: 100, total: 100 });
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Pull complete' });
    expect(out).toBe(
      '1: Pulling from library/app\naaaaaaaaaaaa: Pulling fs layer\naaaaaaaaaaaa: Download complete\naaaaaaaaaaaa: Pull complete\n',
    );
  });

  test('on a terminal: a line per layer, redrawn in place', () => {
    let out = '';
    const p = createProgress('tty', (t) => {
      out += t;
    });
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' });
    p.layer({ id: 'bbbbbbbbbbbb', status: 'Pulling fs layer' });
    out = '';
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: 1000, total: 2000 });
    // Up two lines (a is the first of two), erase, draw, back down.
    expect(out).toBe(
      `\x1b[2A\x1b[2K\raaaaaaaaaaaa: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]      1kB/2kB\r\x1b[2B`,
    );
  });

  test('json: one object per event, as the Engine API streams them', () => {
    let out = '';
    const p = createProgress('json', (t) => {
      out += t;
    });
    p.layer({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: 5, total: 10 });
    p.message('Digest: sha256:00');
    expect(
      out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { status: 'Downloading', progressDetail: { current: 5, total: 10 }, id: 'aaaaaaaaaaaa' },
      { status: 'Digest: sha256:00' },
    ]);
  });
});
