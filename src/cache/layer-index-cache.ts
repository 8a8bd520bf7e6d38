import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DecodeOptions, decodeLayerIndex } from '../layer/index-codec.js';
import type { LayerIndex } from '../layer/index-types.js';
import { digestHex } from '../oci/digest.js';
import { LayerFactsCache } from './layer-facts.js';
import { strataRoot } from './paths.js';

/**
 * Layer indexes on disk, one file per diffID beside the layer facts: a second look at any image that
 * shares a layer reads nothing from it. Like the facts cache it only saves time, so a file that cannot
 * be read, parsed or written is treated as absent.
 */
export class LayerIndexCache {
  readonly facts: LayerFactsCache;

  constructor(private readonly dir = join(strataRoot(), 'cache', 'layers', 'sha256')) {
    this.facts = new LayerFactsCache(dir);
  }

  file(diffID: string): string {
    return join(this.dir, `${digestHex(diffID)}.index`);
  }

  async get(diffID: string, options: DecodeOptions = {}): Promise<LayerIndex | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file(diffID));
    } catch {
      return undefined;
    }
    try {
      const index = decodeLayerIndex(bytes, options);
      // A file renamed or copied under another diffID is as good as corrupt.
      return index.diffID === diffID ? index : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Store an index already encoded (encodeLayerIndex), given its diffID and unpacked size; the unpacked
   * size also goes to the facts cache, so history/inspect need no scan.
   */
  async putEncoded(
    { diffID, unpackedSize }: { diffID: string; unpackedSize: number },
    members: number,
    encoded: Uint8Array,
  ): Promise<void> {
    await this.facts.put(diffID, { unpackedSize, entries: members });
    const target = this.file(diffID);
    // Unique per writer: two processes indexing the same layer must not share a temp file.
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, encoded);
      await rename(tmp, target);
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }
}
