import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StrataError } from '../errors.js';
import type { IndexEntry } from '../layer/index-types.js';
import type { SkippedEntry } from './plan.js';
import type { FlattenSink } from './walk.js';

/** '/a/b/' and 'a/b' → '/a/b'; '/' stays '/'. */
export function normalizeImagePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

/**
 * A sink that passes on only the selected paths (and everything below them), plus the directories
 * above them so they have somewhere to go: what `strata extract` writes. Content of the rest is read
 * and dropped, as the flattening stream requires.
 */
export class SelectingSink implements FlattenSink {
  readonly skipped: SkippedEntry[] = [];
  private written = 0;
  private readonly roots: string[];

  constructor(
    private readonly inner: FlattenSink,
    paths: readonly string[],
  ) {
    this.roots = paths.map(normalizeImagePath);
  }

  private selected(path: string): boolean {
    return this.roots.some((r) => r === '/' || path === r || path.startsWith(`${r}/`));
  }

  private above(path: string): boolean {
    return this.roots.some((r) => r.startsWith(`${path}/`));
  }

  async dir(entry: IndexEntry): Promise<void> {
    if (this.selected(entry.path)) this.written++;
    if (this.selected(entry.path) || this.above(entry.path)) await this.inner.dir(entry);
  }

  async file(entry: IndexEntry, content: Readable): Promise<void> {
    if (!this.selected(entry.path)) {
      content.resume();
      await finished(content);
      return;
    }
    this.written++;
    await this.inner.file(entry, content);
  }

  async other(entry: IndexEntry): Promise<void> {
    if (!this.selected(entry.path)) return;
    if (entry.kind === 'hardlink' && entry.link !== undefined && !this.selected(entry.link)) {
      this.skipped.push({
        path: entry.path,
        kind: entry.kind,
        reason: `links to ${entry.link}, which is not extracted`,
      });
      return;
    }
    this.written++;
    await this.inner.other(entry);
  }

  /** Fail clearly when none of the asked-for paths is in the image. */
  checkFound(): void {
    if (this.written === 0) {
      throw new StrataError('not-found', `no such path in the image: ${this.roots.join(', ')}`);
    }
  }
}
