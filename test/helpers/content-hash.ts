// The content hash layer indexes record, computed here by another implementation of BLAKE3 (hash-wasm's
// WebAssembly one, not the native module strata prefers), so the tests check strata's hashing rather
// than repeat it.
import { createBLAKE3 } from 'hash-wasm';
import { CONTENT_HASH } from '../../src/layer/content-hash.js';

const hasher = await createBLAKE3();

export function contentHashOf(data: string | Uint8Array): string {
  hasher.init();
  hasher.update(data);
  return `${CONTENT_HASH}:${hasher.digest('hex')}`;
}

/** The content hash of a stream, read to its end. */
export async function contentHashOfStream(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const h = await createBLAKE3();
  h.init();
  for await (const chunk of stream) h.update(chunk);
  return `${CONTENT_HASH}:${h.digest('hex')}`;
}
