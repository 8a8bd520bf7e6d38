import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  UnpackedSizeCounter,
  unpackedSizeFromFile,
  unpackedSizeFromStream,
} from '../../src/layer/unpacked-size.js';
import { type EntrySpec, makeLayerTar } from '../helpers/make-image.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-unpacked-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What overlay2's directory.Size would see after GNU tar extracts the layer: Lstat sizes, each inode once. */
function extractedSize(tarPath: string, name: string): number {
  const root = join(dir, `x-${name}`);
  mkdirSync(root);
  execFileSync('tar', ['--no-same-owner', '-C', root, '-xf', tarPath]);
  const seen = new Set<string>();
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const st = lstatSync(join(d, e));
      if (st.isDirectory()) walk(join(d, e));
      else if (!seen.has(`${st.dev}:${st.ino}`)) {
        seen.add(`${st.dev}:${st.ino}`);
        total += st.size;
      }
    }
  };
  walk(root);
  return total;
}

async function sizes(name: string, entries: EntrySpec[]) {
  const tar = await makeLayerTar(entries);
  const path = join(dir, `${name}.tar`);
  // Put the tar at an offset inside a bigger file, as a layer inside an archive would be.
  const pad = Buffer.alloc(1536, 0x41);
  writeFileSync(path, Buffer.concat([pad, tar, pad]));
  const plain = join(dir, `${name}-plain.tar`);
  writeFileSync(plain, tar);
  const fromFile = await unpackedSizeFromFile({ path, offset: pad.length, length: tar.length }, name);
  const fromStream = await unpackedSizeFromStream(
    Readable.from([tar.subarray(0, 700), tar.subarray(700)], { objectMode: false }),
    name,
  );
  return { fromFile, fromStream, plain };
}

const file = (name: string, bytes: number): EntrySpec => ({ name, content: 'z'.repeat(bytes) });

const cases: Array<{ name: string; entries: EntrySpec[]; size: number; gnuTarAgrees: boolean }> = [
  {
    name: 'files, a symlink, a hard link, a fifo',
    entries: [
      { name: 'etc/', type: 'directory' },
      file('etc/a', 10),
      file('etc/b', 20),
      { name: 'etc/l', type: 'symlink', linkname: 'a' },
      { name: 'etc/h', type: 'link', linkname: 'etc/a' },
      { name: 'etc/p', type: 'fifo' },
    ],
    size: 10 + 20 + 1,
    gnuTarAgrees: true,
  },
  {
    name: 'whiteouts and an opaque marker weigh nothing',
    entries: [
      { name: 'dir/', type: 'directory' },
      { name: 'dir/.wh..wh..opq', content: '' },
      { name: 'dir/.wh.gone', content: '' },
      { name: '.wh.top', content: '' },
      file('dir/x', 5),
    ],
    size: 5,
    gnuTarAgrees: true,
  },
  {
    name: 'a path written twice: the last wins',
    entries: [file('f', 100), file('./f', 7)],
    size: 7,
    gnuTarAgrees: true,
  },
  {
    name: 'a hard link keeps the old inode when its target is rewritten',
    entries: [file('a', 10), { name: 'h', type: 'link', linkname: 'a' }, file('a', 3)],
    size: 13,
    gnuTarAgrees: true,
  },
  {
    name: 'a symlink counts the bytes of its target',
    entries: [{ name: 'l', type: 'symlink', linkname: 'é/ü' }],
    size: 5,
    gnuTarAgrees: true,
  },
  {
    name: 'a directory over a file replaces it; directory over directory merges',
    entries: [
      file('d', 4),
      { name: 'd/', type: 'directory' },
      file('d/y', 6),
      { name: 'd/', type: 'directory' },
      file('d/z', 1),
    ],
    size: 7,
    gnuTarAgrees: true,
  },
  {
    name: 'a file over a directory removes the whole tree (go-archive RemoveAll)',
    entries: [
      { name: 'd/', type: 'directory' },
      file('d/x', 50),
      { name: 'd/e/', type: 'directory' },
      file('d/e/y', 9),
      file('d', 4),
    ],
    size: 4,
    gnuTarAgrees: false,
  },
];

describe('unpacked size', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { fromFile, fromStream, plain } = await sizes(c.name.replace(/\W+/g, '-'), c.entries);
      expect(fromFile).toEqual({ size: c.size, entries: c.entries.length });
      expect(fromStream).toEqual({ size: c.size, entries: c.entries.length });
      if (c.gnuTarAgrees) expect(extractedSize(plain, c.name.replace(/\W+/g, '-'))).toBe(c.size);
    });
  }

  test('devices weigh nothing (pure rule; no mknod needed)', () => {
    const counter = new UnpackedSizeCounter();
    counter.add({ name: 'dev/null', type: 'character-device', linkname: '', size: 0 });
    counter.add({ name: 'dev/sda', type: 'block-device', linkname: '', size: 0 });
    counter.add({ name: 'dev/x', type: 'file', linkname: '', size: 3 });
    expect(counter.result()).toEqual({ size: 3, entries: 3 });
  });

  test('a tar that is not one, and one cut short, are invalid errors naming the layer', async () => {
    const tar = await makeLayerTar([file('a', 5000)]);
    const path = join(dir, 'cut.tar');
    writeFileSync(path, tar.subarray(0, 2048));
    await expect(unpackedSizeFromFile({ path, offset: 0, length: 2048 }, 'layer 4')).rejects.toMatchObject({
      kind: 'invalid',
      message: 'layer 4 is truncated',
    });
    await expect(
      unpackedSizeFromStream(Readable.from([tar.subarray(0, 2048)], { objectMode: false }), 'layer 4'),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/^layer 4 is truncated/),
    });
    await expect(
      unpackedSizeFromStream(Readable.from([Buffer.alloc(1024, 0x41)], { objectMode: false }), 'layer 5'),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/^layer 5 is not a valid tar/),
    });
  });
});
