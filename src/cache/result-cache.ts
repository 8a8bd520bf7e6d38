import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strataRoot } from './paths.js';

/**
 * Results computed from an image's layer indexes (a waste report, say), kept as JSON under
 * $STRATA_ROOT/cache/results by a key that names everything they depend on: a repeated question about
 * the same image reads one small file instead of decoding every index and rebuilding the union. Like
 * the other caches it only saves time: what cannot be read or written is treated as absent.
 */
export class ResultCache {
  constructor(private readonly dir = join(strataRoot(), 'cache', 'results')) {}

  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      const stored = JSON.parse(await readFile(this.file(key), 'utf8')) as { key: string; value: T };
      // The key is stored too: a file is only trusted for the exact question it answers.
      return stored.key === key ? stored.value : undefined;
    } catch {
      return undefined;
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    const target = this.file(key);
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, JSON.stringify({ key, value }));
      await rename(tmp, target);
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }
}
