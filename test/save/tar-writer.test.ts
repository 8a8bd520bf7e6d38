/** The tar writer: what it writes, GNU tar and strata's own tar index read back the same. */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { parseHeaderBlock, parseTarNumber } from '../../src/archive/tar-header.js';
import { indexTar } from '../../src/archive/tar-index.js';
import { encodeTarHeader, tarStream } from '../../src/archive/tar-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-tarw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tar writer', () => {
  test('directories, in-memory and on-disk files, and a long name read back', async () => {
    const onDisk = join(dir, 'blob');
    writeFileSync(onDisk, Buffer.alloc(1000, 7));
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
    const file = join(dir, 'out.tar');
    await pipeline(
      tarStream([
        { name: 'blobs', type: 'directory' },
        { name: 'blobs/a', type: 'file', path: onDisk, size: 1000 },
        { name: long, type: 'file', data: Buffer.from('hi\n') },
        { name: 'empty', type: 'file', data: Buffer.alloc(0) },
      ]),
      createWriteStream(file),
    );
    expect(execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8' })).toMatch(
      /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 blobs\/\n-rw-r--r-- 0\/0 +1000 /,
    );
    const index = await indexTar(file);
    expect(index.entries.map((e) => [e.name, e.size])).toEqual([
      ['blobs', 0],
      ['blobs/a', 1000],
      [long, 3],
      ['empty', 0],
    ]);
    expect(index.ended).toBe(true);
    expect(execFileSync('tar', ['-xOf', file, long], { encoding: 'utf8' })).toBe('hi\n');
  });

  test('a size beyond the octal field is written in base-256 and parses back', () => {
    const size = 20 * 1024 ** 3;
    const block = encodeTarHeader({ name: 'big', type: 'file', size, mode: 0o644, mtime: 0 });
    expect(parseTarNumber(block.subarray(124, 136))).toBe(size);
    expect(parseHeaderBlock(block).kind).toBe('header');
  });

  test('a file that changed size while archived fails the stream', async () => {
    const onDisk = join(dir, 'short');
    writeFileSync(onDisk, 'abc');
    const out = createWriteStream(join(dir, 'bad.tar'));
    await expect(
      pipeline(tarStream([{ name: 'short', type: 'file', path: onDisk, size: 10 }]), out),
    ).rejects.toThrow(/short changed while it was being archived \(3 bytes, expected 10\)/);
  });
});
