import { describe, expect, test } from 'vitest';
import { CONTENT_HASH, contentHasher, nativeFactory, wasmFactory } from '../../src/layer/content-hash.js';

// BLAKE3's published test vector for the empty input.
const EMPTY = 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262';

describe('content hash', () => {
  test('the native module loads here, and both implementations give the same digests', async () => {
    const native = await nativeFactory();
    expect(native, 'the prebuilt native module should load on this machine').toBeDefined();
    const hashers = [await native!(), await (await wasmFactory())()];
    const inputs = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(3 << 20, 0xab)];
    for (const h of hashers) expect(h.digest()).toBe(`${CONTENT_HASH}:${EMPTY}`);
    const digests = hashers.map((h) =>
      inputs.map((input) => {
        h.reset();
        // fed in pieces, as a scan feeds a file that spans chunks
        for (let i = 0; i < input.length; i += 65_536) h.update(input.subarray(i, i + 65_536));
        return h.digest();
      }),
    );
    expect(digests[0]).toEqual(digests[1]);
    expect(new Set(digests[0]).size).toBe(3);
  });

  test('reset starts over', async () => {
    const h = await contentHasher();
    h.update(Buffer.from('something else'));
    h.reset();
    expect(h.digest()).toBe(`${CONTENT_HASH}:${EMPTY}`);
  });
});
