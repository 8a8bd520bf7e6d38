import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  linkSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileRange } from '../../src/archive/file-range.js';
import {
  BLOCK,
  cleanTarPath,
  parseHeaderBlock,
  parsePaxRecords,
  parseTarNumber,
} from '../../src/archive/tar-header.js';
import { indexTar } from '../../src/archive/tar-index.js';
import { isStrataError } from '../../src/errors.js';

let dir: string;
const long60 = (c: string) => c.repeat(60);
const deepDir = `${long60('a')}/${long60('b')}`;
const longName = `${'n'.repeat(150)}.txt`;
const longTarget = `${'t'.repeat(120)}/target`;

/** A source tree with every member kind tar formats treat differently. */
function makeTree(root: string): void {
  mkdirSync(join(root, deepDir), { recursive: true });
  writeFileSync(join(root, deepDir, 'deep.txt'), 'deep file\n');
  writeFileSync(join(root, longName), 'x'.repeat(700));
  writeFileSync(join(root, 'small.txt'), 'hello');
  symlinkSync(longTarget, join(root, 'longlink'));
  symlinkSync('small.txt', join(root, 'short-link'));
  linkSync(join(root, 'small.txt'), join(root, 'hard.txt'));
}

function gnuTar(format: string, out: string, extra: string[] = []): string {
  const path = join(dir, out);
  execFileSync('tar', [
    `--format=${format}`,
    ...extra,
    '--sort=name',
    '-C',
    join(dir, 'src'),
    '-cf',
    path,
    '.',
  ]);
  return path;
}

async function expectStrataError(p: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStrataError(err), `expected a StrataError, got ${String(err)}`).toBe(true);
  expect((err as { kind: string }).kind).toBe(kind);
  expect((err as Error).message).toMatch(message);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-tarindex-'));
  makeTree(join(dir, 'src'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('indexTar on archives GNU tar writes', () => {
  for (const format of ['gnu', 'posix', 'ustar']) {
    test(`${format}: names, types, links and data offsets`, async () => {
      if (format === 'ustar') {
        // ustar cannot hold the 150-character name or the long link target.
        rmSync(join(dir, 'src-ustar'), { recursive: true, force: true });
        mkdirSync(join(dir, 'src-ustar', deepDir), { recursive: true });
        writeFileSync(join(dir, 'src-ustar', deepDir, 'deep.txt'), 'deep file\n');
        execFileSync('tar', ['--format=ustar', '-C', join(dir, 'src-ustar'), '-cf', join(dir, 'u.tar'), '.']);
        const index = await indexTar(join(dir, 'u.tar'));
        const deep = index.get(`${deepDir}/deep.txt`);
        expect(deep?.type).toBe('file');
        expect((await readFileRange(index.range(deep!))).toString()).toBe('deep file\n');
        return;
      }
      const path = gnuTar(
        format,
        `${format}.tar`,
        format === 'posix' ? ['--pax-option=comment=global-note'] : [],
      );
      const index = await indexTar(path);
      const listed = execFileSync('tar', ['-tf', path], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(cleanTarPath)
        .filter(Boolean);
      expect(index.entries.map((e) => e.name).filter(Boolean)).toEqual(listed);
      expect(index.ended).toBe(true);

      const deep = index.get(`./${deepDir}/deep.txt`);
      expect(deep).toMatchObject({ type: 'file', size: 10 });
      expect((await readFileRange(index.range(deep!))).toString()).toBe('deep file\n');

      const long = index.get(longName);
      expect(long).toMatchObject({ type: 'file', size: 700 });
      expect((await readFileRange(index.range(long!))).toString()).toBe('x'.repeat(700));

      expect(index.get('longlink')).toMatchObject({ type: 'symlink', linkname: longTarget, size: 0 });
      expect(index.get('short-link')).toMatchObject({ type: 'symlink', linkname: 'small.txt' });
      // GNU tar stores the second name of an inode as a hard link to the first it wrote.
      const hard = index.get('hard.txt');
      const small = index.get('small.txt');
      expect([hard?.type, small?.type].sort()).toEqual(['file', 'link']);
      expect(index.get(deepDir)?.type).toBe('directory');
      // The symlink leads to small.txt, a hard link whose data is stored under its first name.
      expect(index.resolve('short-link')?.name).toBe(hard?.type === 'file' ? 'hard.txt' : 'small.txt');
      expect((await readFileRange(index.resolveRange('short-link')!)).toString()).toBe('hello');
      expect((await readFileRange(index.resolveRange('hard.txt')!)).toString()).toBe('hello');
    });
  }

  test('base-256 numbers (GNU, uid above the octal limit)', async () => {
    const path = gnuTar('gnu', 'bigid.tar', ['--owner=big:3000000', '--group=big:4000000']);
    const index = await indexTar(path);
    expect(index.resolve('small.txt')).toMatchObject({ uid: 3000000, gid: 4000000, size: 5 });
  });

  test('a base-256 size of 8 GiB is seeked past, not read (sparse file)', async () => {
    const size = 8 * 1024 ** 3 + 3;
    const header = Buffer.alloc(BLOCK);
    header.write('huge.bin', 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header[124] = 0x80;
    header.writeUIntBE(size, 136 - 6, 6);
    header.write('00000000000\0', 136);
    header[156] = 0x30;
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const trailer = Buffer.alloc(BLOCK);
    trailer.write('after.txt', 0);
    const path = join(dir, 'huge.tar');
    const fd = openSync(path, 'w');
    writeSync(fd, header, 0, BLOCK, 0);
    closeSync(fd);
    const dataEnd = BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    truncateSync(path, dataEnd + 2 * BLOCK);
    const index = await indexTar(path);
    expect(index.entries).toHaveLength(1);
    expect(index.get('huge.bin')).toMatchObject({ size, dataOffset: BLOCK });

    truncateSync(path, BLOCK + 1024);
    await expectStrataError(indexTar(path), 'invalid', /huge\.tar is truncated$/);
  });
});

describe('indexTar errors', () => {
  test('a file that is not a tar', async () => {
    const path = join(dir, 'not.tar');
    writeFileSync(path, JSON.stringify({ hello: 'world' }).padEnd(2048, ' '));
    await expectStrataError(indexTar(path), 'invalid', /not\.tar is not a tar archive$/);
  });

  test('an empty file', async () => {
    const path = join(dir, 'empty.tar');
    writeFileSync(path, '');
    await expectStrataError(indexTar(path), 'invalid', /empty\.tar is empty/);
  });

  test('data cut short', async () => {
    const path = gnuTar('gnu', 'cut.tar');
    const full = (await indexTar(path)).get(longName)!;
    truncateSync(path, full.dataOffset + 100);
    await expectStrataError(indexTar(path), 'invalid', /cut\.tar is truncated$/);
  });

  test('a missing file', async () => {
    await expectStrataError(indexTar(join(dir, 'nope.tar')), 'not-found', /nope\.tar: no such file/);
  });

  test('a corrupt header after the first', async () => {
    const path = gnuTar('ustar', 'corrupt.tar', ['--exclude=./n*', '--exclude=./longlink']);
    const index = await indexTar(path);
    const second = index.entries[1]!;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('garbage'), 0, 7, second.dataOffset - BLOCK);
    closeSync(fd);
    await expectStrataError(
      indexTar(path),
      'invalid',
      /corrupt\.tar is corrupt: bad tar header at offset \d+/,
    );
  });
});

describe('pure header parts', () => {
  test('numbers: octal, padded, base-256, garbage', () => {
    expect(parseTarNumber(Buffer.from('0000644\0'))).toBe(0o644);
    expect(parseTarNumber(Buffer.from('  755 \0'))).toBe(0o755);
    expect(parseTarNumber(Buffer.from('\0\0\0\0'))).toBe(0);
    expect(parseTarNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1]))).toBe(2 * 256 ** 4 + 1);
    expect(parseTarNumber(Buffer.from([0xff, 0xff]))).toBeUndefined();
    expect(parseTarNumber(Buffer.from('12x4'))).toBeUndefined();
  });

  test('pax records', () => {
    const rec = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = Buffer.byteLength(body) + 1;
      if (Buffer.byteLength(`${len}${body}`) !== len) len += 1;
      return `${len}${body}`;
    };
    const data = Buffer.from(rec('path', 'a/é.txt') + rec('size', '12345678901'));
    expect(parsePaxRecords(data)).toEqual({ path: 'a/é.txt', size: '12345678901' });
    expect(parsePaxRecords(Buffer.from('99 path=x\n'))).toBeUndefined();
  });

  test('blocks: zero, bad checksum', () => {
    expect(parseHeaderBlock(Buffer.alloc(BLOCK)).kind).toBe('zero');
    const b = Buffer.alloc(BLOCK);
    b.write('name');
    expect(parseHeaderBlock(b).kind).toBe('bad');
  });

  // The parsers read fields in place for speed; these oracles are the plain definitions.
  const octalOracle = (field: Buffer) => {
    if ((field[0] as number) & 0x80) return parseTarNumber(field); // base-256: tested above
    const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
    if (text === '') return 0;
    if (!/^[0-7]+$/.test(text)) return undefined;
    const value = Number.parseInt(text, 8);
    return Number.isSafeInteger(value) ? value : undefined;
  };
  // Relative to the archive root, as POSIX folds it; a climb above the root stays visible.
  const cleanOracle = (name: string) => {
    const folded = posix.normalize(name.replace(/^\/+/, '')).replace(/\/$/, '');
    return folded === '.' ? '' : folded;
  };
  const pick = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');

  test('octal numbers and cleaned paths agree with their plain definitions on random input', () => {
    for (let i = 0; i < 5000; i++) {
      const field = Buffer.from(pick('0123456789 \0\t\xa0x', 1 + Math.floor(Math.random() * 20)), 'latin1');
      expect(parseTarNumber(field), JSON.stringify(field.toString('latin1'))).toBe(octalOracle(field));
      const name = pick('ab./', Math.floor(Math.random() * 12));
      expect(cleanTarPath(name), name).toBe(cleanOracle(name));
    }
  });

  test('a header checksum may be the unsigned or the signed byte sum, and nothing else', () => {
    const block = Buffer.alloc(BLOCK);
    block.write('café/ü', 0, 'utf8'); // bytes above 127: the two sums differ
    block.write('0000644\0', 100);
    block.write('ustar\0', 257, 'latin1');
    const withSum = (sum: number) => {
      block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      return parseHeaderBlock(block).kind;
    };
    block.fill(0x20, 148, 156);
    const unsigned = block.reduce((a, b) => a + b, 0);
    const signed = block.reduce((a, b) => a + (b > 127 ? b - 256 : b), 0);
    expect(unsigned).not.toBe(signed);
    expect(withSum(unsigned)).toBe('header');
    expect(withSum(signed)).toBe('header');
    expect(withSum(unsigned + 1)).toBe('bad');
    withSum(unsigned);
    expect(parseHeaderBlock(block)).toMatchObject({ header: { name: 'café/ü', mode: 0o644 } });
  });

  test('path cleaning keeps escapes visible', () => {
    expect(cleanTarPath('./a//b/./c/')).toBe('a/b/c');
    expect(cleanTarPath('/abs/x')).toBe('abs/x');
    expect(cleanTarPath('a/../../etc')).toBe('../etc');
    expect(cleanTarPath('./')).toBe('');
  });
});
