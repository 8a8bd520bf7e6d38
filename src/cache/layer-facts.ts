import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from '../oci/digest.js';
import { strataRoot } from './paths.js';

/** What one scan of a layer tells, keyed by diffID: the same for every image that shares the layer. */
export interface LayerFacts {
  /** Unpacked size as Docker's layer database records it. */
  unpackedSize: number;
  /** Number of tar entries. */
  entries: number;
}

/**
 * A small on-disk cache of layer facts under $STRATA_ROOT/cache/layers, so that a second look at any
 * image sharing a layer reads nothing from the layer. A cache that cannot be read or written is skipped,
 * never fatal: it only saves time.
 */
export class LayerFactsCache {
  constructor(private readonly dir = join(strataRoot(), 'cache', 'layers', 'sha256')) {}

  private file(diffID: string): string {
    return join(this.dir, `${digestHex(diffID)}.json`);
  }

  async get(diffID: string): Promise<LayerFacts | undefined> {
    try {
      const facts = JSON.parse(await readFile(this.file(diffID), 'utf8')) as LayerFacts;
      return Number.isSafeInteger(facts.unpackedSize) && Number.isSafeInteger(facts.entries)
        ? facts
        : undefined;
    } catch {
      return undefined;
    }
  }

  async put(diffID: string, facts: LayerFacts): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file(diffID)}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(facts));
      await rename(tmp, this.file(diffID));
    } catch {
      // A read-only or full disk only costs a rescan next time.
    }
  }
}
