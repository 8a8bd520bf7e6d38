import { createHash } from 'node:crypto';
import { CONTENT_HASH } from '../../src/layer/index-types.js';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { isStrataError } from '../../src/errors.js';
import {
  INDEX_FORMAT_VERSION,
  LayerIndexEncoder,
  decodeLayerIndex,
  encodeLayerIndex,
} from '../../src/layer/index-codec.js';
import {
  ENTRY_KINDS,
  type EntryKind,
  type IndexEntry,
  type LayerIndex,
} from '../../src/layer/index-types.js';

const KINDS = ENTRY_KINDS;
// Any 32 bytes do for the codec: it stores hashes, it does not compute them.
const hash = (i: number) => `${CONTENT_HASH}:${createHash('sha256').update(String(i)).digest('hex')}`;

/** Entries shaped like a real layer: nested dirs, every kind, odd names, big numbers now and then. */
function synthetic(count: number): LayerIndex {
  const entries: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length] as EntryKind;
    const e: IndexEntry = {
      path: `/usr/share/pkg-${i % 97}/dir ${i % 13}/file-${i}${i % 50 === 0 ? '\twith\ttab\nand newline é日本' : ''}`,
      kind,
      mode: i % 7 === 0 ? 0o4755 : 0o644,
      uid: i % 11 === 0 ? 2 ** 31 + i : 0,
      gid: i % 3,
      size: kind === 'file' ? (i % 1000 === 0 ? 2 ** 40 + i : i * 37) : 0,
      mtime: 1_700_000_000 + i,
    };
    if (kind === 'file' || kind === 'hardlink') e.hash = hash(i);
    if (kind === 'symlink' || kind === 'hardlink') e.link = `../target\n${i}`;
    if (kind === 'char' || kind === 'block') Object.assign(e, { devmajor: i % 256, devminor: 2 ** 20 + i });
    if (i % 101 === 0) e.xattrs = { 'security.capability': 'AQAAAg==', 'user.k\t=': '' };
    entries.push(e);
  }
  return { diffID: hash(-1), entries, unpackedSize: 2 ** 45 + 3 };
}

function expectInvalid(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isStrataError(err) && err.kind === 'invalid', String(err)).toBe(true);
}

describe('layer index codec', () => {
  test('100,000 entries round-trip exactly, smaller than gzipped JSON', () => {
    const index = synthetic(100_000);
    let t = performance.now();
    const bytes = encodeLayerIndex(index);
    const encodeMs = performance.now() - t;
    t = performance.now();
    const back = decodeLayerIndex(bytes);
    const decodeMs = performance.now() - t;
    const json = gzipSync(JSON.stringify(index)).length;
    console.log(
      `codec 100k entries: encode ${encodeMs.toFixed(0)} ms, decode ${decodeMs.toFixed(0)} ms, ` +
        `${bytes.length} bytes (gzip JSON would be ${json})`,
    );
    expect(back).toEqual(index);
    expect(bytes.length).toBeLessThan(json);
  });

  test('decoded without content hashes: every other field as before, no hash', () => {
    const index = synthetic(2_000);
    const back = decodeLayerIndex(encodeLayerIndex(index), { contentHashes: false });
    expect(back.entries.some((e) => e.hash !== undefined)).toBe(false);
    const unhashed = index.entries.map(({ hash: _, ...rest }) => rest);
    expect(back).toEqual({ ...index, entries: unhashed });
  });

  test('an index encoded entry by entry, as a scan does, round-trips', () => {
    const index = synthetic(3_000);
    const encoder = new LayerIndexEncoder();
    for (const e of index.entries) encoder.add(e);
    expect(decodeLayerIndex(encoder.finish(index.diffID, index.unpackedSize))).toEqual(index);
  });

  test('an empty index round-trips', () => {
    const index: LayerIndex = { diffID: hash(1), entries: [], unpackedSize: 0 };
    expect(decodeLayerIndex(encodeLayerIndex(index))).toEqual(index);
  });

  test('foreign, other-version, truncated and corrupt files are refused', () => {
    const bytes = encodeLayerIndex(synthetic(500));
    expectInvalid(() => decodeLayerIndex(Buffer.from('{"diffID":"sha256:…"}')));
    expectInvalid(() => decodeLayerIndex(Buffer.alloc(0)));
    const version = Buffer.from(bytes);
    version[7] = INDEX_FORMAT_VERSION + 1;
    expectInvalid(() => decodeLayerIndex(version));
    expectInvalid(() => decodeLayerIndex(bytes.subarray(0, bytes.length - 10)));
    for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 6]) {
      const flipped = Buffer.from(bytes);
      flipped.writeUInt8(flipped.readUInt8(at) ^ 0x5a, at);
      expectInvalid(() => decodeLayerIndex(flipped));
    }
  });

  test('a well-formed gzip body with trailing bytes is refused', () => {
    const bytes = encodeLayerIndex({ diffID: hash(1), entries: [], unpackedSize: 0 });
    const head = bytes.subarray(0, 8);
    const body = Buffer.concat([gunzipSync(bytes.subarray(8)), Buffer.from([0])]);
    expectInvalid(() => decodeLayerIndex(Buffer.concat([head, gzipSync(body)])));
  });
});
