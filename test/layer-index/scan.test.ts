import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  linkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isStrataError } from '../../src/errors.js';
import { escapesImageRoot, paxXattrs, scanLayerIndex } from '../../src/layer/index-scan.js';
import type { IndexEntry } from '../../src/layer/index-types.js';
import { unpackedSizeFromStream } from '../../src/layer/unpacked-size.js';
import { sha256 } from '../../src/oci/digest.js';
import { contentHashOf as contentHash } from '../helpers/content-hash.js';

const chunked = (buf: Buffer, size = 7_919) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
};

let dir: string;
const big = randomBytes(1_000_003);
const MTIME = 1_700_000_000;

/** A tree with every entry kind GNU tar can write, made for real on disk. */
function makeTree(root: string): void {
  const p = (...parts: string[]) => join(root, ...parts);
  mkdirSync(p('d', 'sub'), { recursive: true });
  writeFileSync(p('d', 'a.txt'), 'hello');
  linkSync(p('d', 'a.txt'), p('d', 'hard'));
  writeFileSync(p('d', 'big.bin'), big);
  writeFileSync(p('d', 'suid'), '#!/bin/sh\n');
  chmodSync(p('d', 'suid'), 0o4755);
  writeFileSync(p('d', 'owned'), 'x');
  chownSync(p('d', 'owned'), 1234, 5678);
  symlinkSync('../d/a.txt', p('d', 'sym'));
  writeFileSync(p('d', '.wh.gone'), '');
  mkdirSync(p('o'));
  writeFileSync(p('o', '.wh..wh..opq'), '');
  writeFileSync(p('o', 'fresh'), 'fresh');
  mkdirSync(p('.wh..wh.plnk'));
  writeFileSync(p('.wh..wh.plnk', '123.456'), 'aufs');
  const long = p('l', 'x'.repeat(90), 'y'.repeat(90), 'z'.repeat(90));
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'past-255.txt'), 'long');
  mkdirSync(p('café'));
  writeFileSync(p('café', '日本語.txt'), 'kanji');
  writeFileSync(p('tab\there'), 'tab');
  writeFileSync(p('new\nline'), 'newline');
  execFileSync('mknod', [p('d', 'null2'), 'c', '1', '3']);
  execFileSync('mkfifo', [p('d', 'fifo')]);
  // Node has no setxattr; python's os.setxattr sets real ones for GNU tar --xattrs to read.
  const py =
    "import os,sys; os.setxattr(sys.argv[1],'user.bin',b'\\x00\\xffA'); os.setxattr(sys.argv[1],'user.text',b'tabs\\tand=equals')";
  execFileSync('python3', ['-c', py, p('d', 'a.txt')]);
  execFileSync('find', [root, '-exec', 'touch', '-h', '-d', `@${MTIME}`, '{}', '+']);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-index-scan-'));
  makeTree(join(dir, 'root'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gnuTar(format: 'posix' | 'gnu'): Buffer {
  const out = join(dir, `${format}.tar`);
  const args = [`--format=${format}`, '-C', join(dir, 'root'), '-cf', out];
  // posix: './'-prefixed names plus xattrs; gnu: bare names, long names as ././@LongLink.
  if (format === 'posix') execFileSync('tar', [...args, '--xattrs', '--xattrs-include=user.*', '.']);
  else execFileSync('tar', [...args, 'd', 'o', '.wh..wh.plnk', 'l', 'café', 'tab\there', 'new\nline']);
  return readFileSync(out);
}

const byPath = (entries: IndexEntry[], path: string) => entries.filter((e) => e.path === path);
const one = (entries: IndexEntry[], path: string) => {
  const found = byPath(entries, path);
  expect(found, path).toHaveLength(1);
  return found[0] as IndexEntry;
};

describe.each(['posix', 'gnu'] as const)('scanLayerIndex over a GNU tar --format=%s', (format) => {
  let bytes: Buffer;
  let entries: IndexEntry[];
  let scan: Awaited<ReturnType<typeof scanLayerIndex>>;
  beforeAll(async () => {
    bytes = gnuTar(format);
    scan = await scanLayerIndex(chunked(bytes), 'test layer');
    entries = scan.entries;
  });

  test('diffID is the sha256 of the whole tar; unpacked size is UnpackedSizeCounter', async () => {
    expect(scan.diffID).toBe(sha256(bytes));
    expect(scan.tarBytes).toBe(bytes.length);
    const expected = await unpackedSizeFromStream(chunked(bytes), 'test layer');
    expect(scan.unpackedSize).toBe(expected.size);
    expect(scan.members).toBe(expected.entries);
  });

  test('regular files: size, hash, mode without type bits, owner, mtime', () => {
    const bigEntry = one(entries, '/d/big.bin');
    expect(bigEntry).toMatchObject({ kind: 'file', size: big.length, hash: contentHash(big), mtime: MTIME });
    expect(one(entries, '/d/suid')).toMatchObject({ kind: 'file', mode: 0o4755 });
    expect(one(entries, '/d/owned')).toMatchObject({ uid: 1234, gid: 5678, hash: contentHash('x') });
  });

  test('directories, symlinks, devices, fifos', () => {
    expect(one(entries, '/d')).toMatchObject({ kind: 'dir', size: 0 });
    expect(one(entries, '/d/sub').kind).toBe('dir');
    expect(one(entries, '/d/sym')).toMatchObject({ kind: 'symlink', link: '../d/a.txt', size: 0 });
    expect(one(entries, '/d/null2')).toMatchObject({ kind: 'char', devmajor: 1, devminor: 3 });
    expect(one(entries, '/d/fifo').kind).toBe('fifo');
    for (const e of entries) expect(e.path.startsWith('/') && !e.path.includes('.wh.')).toBe(true);
  });

  test('a hardlink points at its absolute target and borrows its hash', () => {
    const pair = [one(entries, '/d/a.txt'), one(entries, '/d/hard')];
    const link = pair.find((e) => e.kind === 'hardlink');
    const file = pair.find((e) => e.kind === 'file');
    expect(link?.link).toBe(file?.path);
    expect(file?.hash).toBe(contentHash('hello'));
    expect(link?.hash).toBe(contentHash('hello'));
    expect(link?.size).toBe(0);
  });

  test('whiteouts and opaque markers; AUFS internals left out', () => {
    expect(one(entries, '/d/gone')).toMatchObject({ kind: 'whiteout', size: 0 });
    expect(
      byPath(entries, '/o')
        .map((e) => e.kind)
        .sort(),
    ).toEqual(['dir', 'opaque']);
    expect(entries.some((e) => e.path.startsWith('/.wh..wh.plnk'))).toBe(false);
  });

  test('long, non-ASCII, tab and newline names', () => {
    const long = `/l/${'x'.repeat(90)}/${'y'.repeat(90)}/${'z'.repeat(90)}/past-255.txt`;
    expect(one(entries, long).hash).toBe(contentHash('long'));
    expect(one(entries, '/café/日本語.txt').hash).toBe(contentHash('kanji'));
    expect(one(entries, '/tab\there').hash).toBe(contentHash('tab'));
    expect(one(entries, '/new\nline').hash).toBe(contentHash('newline'));
  });

  // Only the PAX (posix) format carries xattrs and GNU tar writes the ./ root entry there.
  if (format === 'posix') {
    test('xattrs from PAX SCHILY.xattr records, binary values intact', () => {
      const a = pairFile(entries);
      expect(a.xattrs).toEqual({
        'user.bin': Buffer.from([0, 0xff, 0x41]).toString('base64'),
        'user.text': Buffer.from('tabs\tand=equals').toString('base64'),
      });
    });

    test('the root entry ./ becomes /', () => {
      expect(one(entries, '/').kind).toBe('dir');
    });
  }
});

/** Whichever of a.txt / hard GNU tar wrote first carries the data and the PAX xattrs. */
function pairFile(entries: IndexEntry[]): IndexEntry {
  return entries.find(
    (e) => (e.path === '/d/a.txt' || e.path === '/d/hard') && e.kind === 'file',
  ) as IndexEntry;
}

/** A one-member ustar block with a checksum, for tars GNU tar will not write. */
function header(name: string, typeflag: string, size: number, linkname = ''): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  b.write(`${MTIME.toString(8).padStart(11, '0')}\0`, 136);
  b.write(typeflag, 156);
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}
const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

describe('hand-made tars', () => {
  test('paths climbing above / are kept with their leading ..', async () => {
    const tarBytes = Buffer.concat([
      header('../../etc/evil', '0', 1),
      pad(Buffer.from('!')),
      header('a/../../.wh.x', '0', 0),
      header('./ok/./b/../c', '5', 0),
      Buffer.alloc(1024),
    ]);
    const { entries } = await scanLayerIndex(chunked(tarBytes, 100), 't');
    expect(entries.map((e) => [e.path, e.kind])).toEqual([
      ['/../../etc/evil', 'file'],
      ['/../x', 'whiteout'],
      ['/ok/c', 'dir'],
    ]);
    expect(entries.map((e) => escapesImageRoot(e.path))).toEqual([true, true, false]);
  });

  test('a hardlink to a file the tar does not hold has no hash', async () => {
    const tarBytes = Buffer.concat([header('x', '1', 0, './lower/file'), Buffer.alloc(1024)]);
    const { entries } = await scanLayerIndex(chunked(tarBytes), 't');
    expect(entries).toEqual([
      {
        path: '/x',
        kind: 'hardlink',
        link: '/lower/file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: MTIME,
      },
    ]);
  });

  test('a truncated tar and a corrupt header are invalid errors', async () => {
    const full = gnuTar('posix');
    const cut = await scanLayerIndex(chunked(full.subarray(0, 700_000)), 'cut layer').catch(
      (e: unknown) => e,
    );
    expect(isStrataError(cut) && cut.kind === 'invalid' && /cut layer.*truncated/.test(cut.message)).toBe(
      true,
    );
    const bad = Buffer.from(full);
    bad.writeUInt8(bad.readUInt8(10) ^ 0xff, 10); // the first header's name: its checksum no longer matches
    const err = await scanLayerIndex(chunked(bad), 'bad layer').catch((e: unknown) => e);
    expect(isStrataError(err) && err.kind === 'invalid').toBe(true);
  });

  test('paxXattrs reads raw record bytes', () => {
    const value = Buffer.from([0xc3, 0x28, 0x0a, 0x00]);
    const body = Buffer.concat([Buffer.from(' SCHILY.xattr.user.k='), value, Buffer.from('\n')]);
    let len = body.length + 2;
    if (String(len).length !== 2) len = body.length + String(len).length;
    const record = Buffer.concat([Buffer.from(String(len)), body]);
    expect(paxXattrs(record)).toEqual({ 'user.k': value.toString('base64') });
  });
});
