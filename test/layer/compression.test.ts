import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import { isStrataError } from '../../src/errors.js';
import {
  checkCompression,
  decompress,
  decompressFileSync,
  decompressTransient,
  sniffCompression,
  zstdBackend,
  zstdDecompressStream,
} from '../../src/layer/compression.js';
import { VerifyingStream, sha256 } from '../../src/oci/digest.js';

/** Run a real compressor on bytes (gzip, zstd, bzip2, xz from Debian). */
const tool = (cmd: string, args: string[], input: Buffer) =>
  execFileSync(cmd, args, { input, maxBuffer: 1 << 28 });

const payload = Buffer.concat([randomBytes(200_000), Buffer.alloc(300_000, 7)]);
const chunked = (buf: Buffer, size = 7_919) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
};

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function failure(p: Promise<unknown>): Promise<{ kind?: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStrataError(err), `expected a StrataError, got ${String(err)}`).toBe(true);
  return err as { kind: string; message: string };
}

/** How a gzip reader under test reads a stream to its end (or fails). */
type ReadAll = (stream: Readable, what: string) => Promise<unknown>;

/** Truncated and corrupt gzip fail as 'invalid' errors naming the layer. */
async function expectGzipFaults(read: ReadAll): Promise<void> {
  const gz = tool('gzip', ['-c'], payload);
  const cut = await failure(read(chunked(gz.subarray(0, gz.length - 100)), 'layer 6'));
  expect(cut).toMatchObject({ kind: 'invalid' });
  expect(cut.message).toMatch(/^layer 6 is truncated/);
  const bad = Buffer.from(gz);
  bad.fill(0xff, 20, 400);
  const corrupt = await failure(read(chunked(bad), 'layer 6'));
  expect(corrupt.kind).toBe('invalid');
  expect(corrupt.message).toMatch(/^layer 6 has corrupt gzip data/);
}

/** A digest mismatch of the stored bytes, found upstream, reaches the reader unchanged. */
async function expectUpstreamMismatch(read: ReadAll): Promise<void> {
  const gz = tool('gzip', ['-c'], payload);
  const verifier = new VerifyingStream(sha256('something else'), gz.length, 'layer 7');
  const piping = pipeline(chunked(gz), verifier).catch(() => {});
  const err = await failure(read(verifier, 'layer 7'));
  expect(err.kind).toBe('digest-mismatch');
  await piping;
}

describe('sniffCompression', () => {
  test('magic bytes of real compressors', () => {
    expect(sniffCompression(tool('gzip', ['-c'], payload))).toBe('gzip');
    expect(sniffCompression(tool('zstd', ['-c', '-q'], payload))).toBe('zstd');
    expect(sniffCompression(tool('bzip2', ['-c'], payload))).toBe('bzip2');
    expect(sniffCompression(tool('xz', ['-c'], payload))).toBe('xz');
    expect(sniffCompression(Buffer.from('ustar-ish name\0'))).toBe('none');
    expect(sniffCompression(Buffer.from([0x1f, 0x8b]))).toBe('none');
    // A zstd skippable frame (0x184D2A50..5F, little-endian).
    expect(sniffCompression(Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 0, 0]))).toBe('zstd');
  });
});

describe('decompress', () => {
  test('gzip from gzip(1), including two concatenated members', async () => {
    const one = tool('gzip', ['-c'], payload);
    expect((await collect(await decompress(chunked(one), 'gzip', 'layer 0'))).equals(payload)).toBe(true);
    const two = Buffer.concat([
      tool('gzip', ['-c'], payload.subarray(0, 1000)),
      tool('gzip', ['-c'], payload.subarray(1000)),
    ]);
    expect((await collect(await decompress(chunked(two), 'gzip', 'layer 0'))).equals(payload)).toBe(true);
  });

  test('uncompressed passes through byte for byte', async () => {
    const out = await collect(await decompress(chunked(payload), 'none', 'layer 0'));
    expect(sha256(out)).toBe(sha256(payload));
  });

  test('zstd-napi is the backend here', () => {
    expect(zstdBackend()).toBe('zstd-napi');
  });

  for (const backend of ['zstd-napi', 'fzstd'] as const) {
    test(`zstd from zstd(1), multi-frame and with a skippable frame (${backend})`, async () => {
      const single = tool('zstd', ['-c', '-q', '--content-size'], payload);
      expect((await collect(zstdDecompressStream(chunked(single), 'layer 1', backend))).equals(payload)).toBe(
        true,
      );
      const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
      const multi = Buffer.concat([
        skippable,
        tool('zstd', ['-c', '-q', '--no-content-size'], payload.subarray(0, 4096)),
        tool('zstd', ['-c', '-q', '--no-check'], payload.subarray(4096)),
      ]);
      expect(
        (await collect(zstdDecompressStream(chunked(multi, 1000), 'layer 1', backend))).equals(payload),
      ).toBe(true);
    });

    test(`truncated and corrupt zstd are 'invalid' errors naming the layer (${backend})`, async () => {
      const z = tool('zstd', ['-c', '-q'], payload);
      const cut = await failure(
        collect(zstdDecompressStream(chunked(z.subarray(0, z.length - 500)), 'layer 3', backend)),
      );
      expect(cut).toMatchObject({ kind: 'invalid' });
      expect(cut.message).toMatch(/^layer 3 is truncated/);
      const bad = Buffer.from(z);
      // fzstd does not check the frame checksum (the diffID check downstream does), so it is given a
      // broken frame header; the native decoder must also catch damage inside the data.
      if (backend === 'fzstd') bad[4] = 0xff;
      else bad.fill(0xaa, 10, 60);
      const corrupt = await failure(collect(zstdDecompressStream(chunked(bad), 'layer 3', backend)));
      expect(corrupt.kind).toBe('invalid');
      expect(corrupt.message).toMatch(/^layer 3 /);
    });
  }

  test('declared compression must match the bytes', async () => {
    const z = tool('zstd', ['-c', '-q'], payload);
    const err = await failure(decompress(chunked(z), 'gzip', 'layer 2'));
    expect(err).toMatchObject({
      kind: 'invalid',
      message: 'layer 2 is declared gzip but its bytes are zstd',
    });
    const err2 = await failure(decompress(chunked(payload), 'gzip', 'layer 0'));
    expect(err2.message).toBe('layer 0 is declared gzip but its bytes are uncompressed');
    const err3 = await failure(checkCompression(chunked(tool('gzip', ['-c'], payload)), 'none', 'layer 4'));
    expect(err3.message).toBe('layer 4 is declared uncompressed but its bytes are gzip');
  });

  test('bzip2 and xz are unsupported', async () => {
    for (const [cmd, name] of [
      ['bzip2', 'bzip2'],
      ['xz', 'xz'],
    ] as const) {
      const err = await failure(decompress(chunked(tool(cmd, ['-c'], payload)), 'gzip', 'layer 5'));
      expect(err).toMatchObject({
        kind: 'unsupported',
        message: `layer 5 is ${name}-compressed, which strata does not read`,
      });
    }
  });

  test('truncated and corrupt gzip are invalid errors naming the layer', async () => {
    await expectGzipFaults(async (stream, what) => collect(await decompress(stream, 'gzip', what)));
  });

  test('a digest mismatch upstream reaches the reader unchanged', async () => {
    await expectUpstreamMismatch(async (stream, what) => collect(await decompress(stream, 'gzip', what)));
  });

  test('memory stays bounded: output is produced only as it is read', async () => {
    // 256 MiB of zeros compresses to a few KiB; a decoder that ignored backpressure would inflate it all.
    const zeros = Buffer.alloc(256 * 1024 * 1024);
    const z = tool('zstd', ['-c', '-q', '-1'], zeros);
    const gz = tool('gzip', ['-c', '-1'], zeros.subarray(0, 64 * 1024 * 1024));
    const streams = [
      zstdDecompressStream(chunked(z, 64 * 1024), 'zeros', 'zstd-napi'),
      zstdDecompressStream(chunked(z, 64 * 1024), 'zeros', 'fzstd'),
      await decompress(chunked(gz, 64 * 1024), 'gzip', 'zeros'),
    ];
    for (const s of streams) {
      const it = s[Symbol.asyncIterator]();
      await it.next();
      await new Promise((r) => setTimeout(r, 50));
      expect(s.readableLength).toBeLessThan(4 * 1024 * 1024);
      s.destroy();
    }
  });

  test('destroying an unread result releases the source (no open file left behind)', async () => {
    for (const [kind, bytes] of [
      ['none', payload],
      ['gzip', tool('gzip', ['-c'], payload)],
      ['zstd', tool('zstd', ['-c', '-q'], payload)],
    ] as const) {
      const source = chunked(bytes);
      const out = await decompress(source, kind, 'layer 8');
      out.destroy();
      await new Promise((r) => setTimeout(r, 20));
      expect(source.destroyed, kind).toBe(true);
    }
  });
});

describe('decompressTransient', () => {
  /** Copy each chunk before asking for the next, as a reader of transient chunks must. */
  async function copied(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(Buffer.from(c));
    return Buffer.concat(parts);
  }

  test('gives the bytes decompress gives, for one and for two concatenated gzip members', async () => {
    // Larger than the reused output buffer many times over, so it is refilled while one input chunk lasts.
    const big = Buffer.concat([payload, randomBytes(1_500_000), payload]);
    const one = tool('gzip', ['-c'], big);
    const two = Buffer.concat([
      tool('gzip', ['-c'], big.subarray(0, 1000)),
      tool('gzip', ['-c'], big.subarray(1000)),
    ]);
    for (const gz of [one, two]) {
      for (const size of [7_919, 1 << 20]) {
        const out = await copied(await decompressTransient(chunked(gz, size), 'gzip', 'layer 0'));
        expect(out.equals(big)).toBe(true);
      }
    }
    // The chunks do share one buffer: a reader that keeps them without copying sees them overwritten.
    const kept: Buffer[] = [];
    for await (const c of await decompressTransient(chunked(one), 'gzip', 'layer 0')) kept.push(c);
    expect(Buffer.concat(kept).equals(big)).toBe(false);
  });

  test('other compressions are what decompress gives', async () => {
    const zst = tool('zstd', ['-c', '-q'], payload);
    expect((await copied(await decompressTransient(chunked(zst), 'zstd', 'layer 0'))).equals(payload)).toBe(
      true,
    );
    expect(
      (await copied(await decompressTransient(chunked(payload), 'none', 'layer 0'))).equals(payload),
    ).toBe(true);
  });

  test('truncated, corrupt and mislabelled gzip are invalid errors naming the layer', async () => {
    await expectGzipFaults(async (stream, what) => copied(await decompressTransient(stream, 'gzip', what)));
    const plain = await failure(decompressTransient(chunked(payload), 'gzip', 'layer 6'));
    expect(plain.message).toMatch(/declared gzip but its bytes are uncompressed/);
  });

  test('a digest mismatch upstream reaches the reader unchanged', async () => {
    await expectUpstreamMismatch(async (stream, what) =>
      copied(await decompressTransient(stream, 'gzip', what)),
    );
  });

  test('a reader that stops early releases the source', async () => {
    const source = chunked(tool('gzip', ['-c'], payload));
    const chunks = (await decompressTransient(source, 'gzip', 'layer 8'))[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.return?.();
    expect(source.destroyed).toBe(true);
  });
});

describe('decompressFileSync', () => {
  /** The bytes at `offset` of a file that has other bytes around them, as in an archive. */
  function stored(bytes: Buffer): { path: string; offset: number; length: number; done: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'strata-file-sync-'));
    const path = join(dir, 'archive');
    writeFileSync(path, Buffer.concat([randomBytes(777), bytes, randomBytes(333)]));
    return { path, offset: 777, length: bytes.length, done: () => rmSync(dir, { recursive: true }) };
  }

  function read(
    range: { path: string; offset: number; length: number },
    kind: 'gzip' | 'none',
    what = 'layer 9',
  ) {
    const parts: Buffer[] = [];
    let last = 0;
    decompressFileSync(
      range,
      kind,
      what,
      (b) => parts.push(Buffer.from(b)),
      (n) => {
        last = n;
      },
    );
    return { out: Buffer.concat(parts), last };
  }

  test('gives the bytes decompress gives, gzip (two members) and uncompressed, with the bytes read', () => {
    const big = Buffer.concat([payload, randomBytes(2_500_000), payload]);
    const gz = Buffer.concat([
      tool('gzip', ['-c'], big.subarray(0, 5000)),
      tool('gzip', ['-c'], big.subarray(5000)),
    ]);
    for (const [kind, bytes] of [
      ['gzip', gz],
      ['none', big],
    ] as const) {
      const file = stored(bytes);
      try {
        const { out, last } = read(file, kind);
        expect(out.equals(big), kind).toBe(true);
        expect(last, kind).toBe(bytes.length);
      } finally {
        file.done();
      }
    }
  });

  test('a short file, corrupt or mislabelled gzip and a missing file are clear errors naming the layer', () => {
    const gz = tool('gzip', ['-c'], payload);
    const bad = Buffer.from(gz);
    bad.fill(0xff, 20, 400);
    const cases: [Buffer, 'gzip' | 'none', RegExp, number][] = [
      [gz.subarray(0, gz.length - 100), 'gzip', /^layer 9 is truncated/, 0],
      [bad, 'gzip', /^layer 9 has corrupt gzip data/, 0],
      [payload, 'gzip', /declared gzip but its bytes are uncompressed/, 0],
      // The range runs past the file's end (the file shrank).
      [payload, 'none', /^layer 9 is truncated: got \d+ of \d+ bytes/, 10_000],
    ];
    for (const [bytes, kind, message, extra] of cases) {
      const file = stored(bytes);
      try {
        let err: unknown;
        try {
          read({ ...file, length: file.length + extra + (extra ? 333 : 0) }, kind);
        } catch (e) {
          err = e;
        }
        expect(isStrataError(err), String(err)).toBe(true);
        expect((err as Error).message).toMatch(message);
      } finally {
        file.done();
      }
    }
    let missing: unknown;
    try {
      read({ path: join(tmpdir(), 'strata-no-such-file'), offset: 0, length: 10 }, 'none');
    } catch (e) {
      missing = e;
    }
    expect(missing).toMatchObject({ kind: 'not-found' });
  });
});
