// What a stream worker runs: pure functions of a layer's stored bytes, also run in-process where
// threads cannot start.
import type { Readable } from 'node:stream';
import { decompress } from '../layer/compression.js';
import { encodeLayerIndex } from '../layer/index-codec.js';
import { scanLayerIndex } from '../layer/index-scan.js';
import type { UnpackedSize } from '../layer/unpacked-size.js';
import { digestMismatch } from '../oci/digest.js';
import type { Compression } from '../oci/mediatypes.js';
import type { EncodedIndex, JobKind, JobResults, JobSpec } from './protocol.js';

/**
 * Decompress a stored layer, check its diffID and count its unpacked size as the layer database records
 * it.
 */
export async function measureLayer(
  stored: Readable,
  compression: Compression,
  diffID: string,
  what: string,
): Promise<UnpackedSize> {
  const tar = await decompress(stored, compression, what);
  const scan = await scanLayerIndex(tar, what, { measureOnly: true });
  if (scan.diffID !== diffID) throw digestMismatch(`${what}: uncompressed content`, diffID, scan.diffID);
  return { size: scan.unpackedSize, entries: scan.members };
}

/** Decompress and index a stored layer in one read, its diffID checked; the index encoded for the cache. */
export async function indexLayer(
  stored: Readable,
  compression: Compression,
  diffID: string,
  what: string,
): Promise<EncodedIndex> {
  const tar = await decompress(stored, compression, what);
  const scan = await scanLayerIndex(tar, what);
  if (scan.diffID !== diffID) throw digestMismatch(`${what}: uncompressed content`, diffID, scan.diffID);
  const index = { diffID: scan.diffID, entries: scan.entries, unpackedSize: scan.unpackedSize };
  // A copy with a buffer of its own, so a worker can hand it over (pooled buffers cannot be).
  const encoded = new Uint8Array(encodeLayerIndex(index));
  return { encoded, members: scan.members, unpackedSize: scan.unpackedSize };
}

export function runJob<K extends JobKind>(
  stored: Readable,
  spec: JobSpec & { kind: K },
): Promise<JobResults[K]> {
  const run = spec.kind === 'measure' ? measureLayer : indexLayer;
  return run(stored, spec.compression, spec.diffID, spec.what) as Promise<JobResults[K]>;
}
