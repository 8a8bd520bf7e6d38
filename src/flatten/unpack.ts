/**
 * `unpackImage`: an image's merged filesystem written into a directory, rootless.
 *
 * - Modes are applied; what the OS did not apply (setuid/setgid dropped when not root, say) is reported
 *   in `modesNotApplied`. Directory modes are applied last, so a read-only directory can still be filled.
 * - Ownership is never applied: `owners` lists every path whose uid or gid is not 0 (the rest are 0:0),
 *   for the caller to apply or store (nothing is written inside `dir` for it).
 * - Symlinks are created as symlinks; hard links as hard links inside `dir`.
 * - Device nodes and fifos are not created; they are reported in `skipped`.
 * - Nothing is written outside `dir`. Paths in the image that climb above its root ('../evil') and hard
 *   links whose target does so are skipped and reported in `skipped`; absolute names are rooted at `dir`,
 *   as Docker roots them at the container's root. Symlinks are never followed while writing: a parent
 *   component in `dir` that is a symlink or not a directory (only possible when `dir` was not empty)
 *   makes the unpack fail with an 'invalid' StrataError.
 */
import type { FileHandle } from 'node:fs/promises';
import { chmod, link, lstat, lutimes, mkdir, symlink, utimes } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { fromSystemError, invalid } from '../errors.js';
import type { Image } from '../image/image.js';
import type { IndexEntry } from '../layer/index-types.js';
import type { ImageSource } from '../transports/types.js';
import type { SkippedEntry } from './plan.js';
import { SafeRoot } from './safe-fs.js';
import { type FlattenOptions, type FlattenSink, flattenImage } from './walk.js';

export type { SkippedEntry } from './plan.js';
import { SelectingSink } from './select.js';

export interface Owner {
  path: string;
  uid: number;
  gid: number;
}

export interface ModeNotApplied {
  path: string;
  /** The mode the image asks for (permission and special bits). */
  mode: number;
  /** The mode the file has now. */
  applied: number;
}

export interface UnpackResult {
  skipped: SkippedEntry[];
  owners: Owner[];
  modesNotApplied: ModeNotApplied[];
}

export interface UnpackOptions extends FlattenOptions {
  /** Only these image paths (and what is below them): `strata extract`. */
  paths?: readonly string[];
}

const SPECIAL_BITS = 0o7777;

/** Writes entries under a SafeRoot, keeping what it must report and the directories to finish. */
class DirSink implements FlattenSink {
  readonly owners: Owner[] = [];
  readonly modesNotApplied: ModeNotApplied[] = [];
  readonly skipped: SkippedEntry[] = [];
  private readonly dirs: { abs: string; entry: IndexEntry }[] = [];

  constructor(private readonly safe: SafeRoot) {}

  async dir(entry: IndexEntry): Promise<void> {
    const abs = await this.safe.place(entry.path);
    // Owner-writable while filling; the real mode comes in finish().
    if (!(await this.safe.clear(abs))) await mkdir(abs, { mode: 0o700 });
    else await chmod(abs, 0o700);
    this.dirs.push({ abs, entry });
    this.noteOwner(entry);
  }

  async file(entry: IndexEntry, content: Readable): Promise<void> {
    const abs = await this.safe.place(entry.path);
    if (await this.safe.clear(abs)) throw invalid(`${entry.path}: a directory is in the way of a file`);
    const handle = await this.safe.createFile(abs);
    try {
      // Written by hand so the handle stays open for chmod and utimes (no path lookup after creation).
      for await (const chunk of content) await handle.write(chunk as Buffer);
      await this.applyMode(handle, entry);
      await handle.utimes(entry.mtime, entry.mtime);
    } finally {
      await handle.close();
    }
    this.noteOwner(entry);
  }

  async other(entry: IndexEntry): Promise<void> {
    if (entry.kind !== 'symlink' && entry.kind !== 'hardlink') {
      this.skipped.push({
        path: entry.path,
        kind: entry.kind,
        reason: 'device nodes and fifos are not created',
      });
      return;
    }
    const abs = await this.safe.place(entry.path);
    if (await this.safe.clear(abs)) throw invalid(`${entry.path}: a directory is in the way of a link`);
    if (entry.kind === 'symlink') {
      await symlink(entry.link ?? '', abs);
      await lutimes(abs, entry.mtime, entry.mtime);
      this.noteOwner(entry);
      return;
    }
    // link(2) does not follow a symlink named as its source, and regularFile checked it is none.
    await link(await this.safe.regularFile(entry.link ?? ''), abs);
  }

  /** Directory modes and times, deepest first, once nothing more is written into them. */
  async finish(): Promise<void> {
    for (const { abs, entry } of this.dirs.reverse()) {
      const st = await lstat(abs);
      if (!st.isDirectory()) throw invalid(`${entry.path}: no longer a directory`);
      await chmod(abs, entry.mode);
      await utimes(abs, entry.mtime, entry.mtime);
      this.checkMode(entry, (await lstat(abs)).mode);
    }
  }

  private async applyMode(handle: FileHandle, entry: IndexEntry): Promise<void> {
    await handle.chmod(entry.mode);
    this.checkMode(entry, (await handle.stat()).mode);
  }

  private checkMode(entry: IndexEntry, mode: number): void {
    const applied = mode & SPECIAL_BITS;
    if (applied !== entry.mode) this.modesNotApplied.push({ path: entry.path, mode: entry.mode, applied });
  }

  private noteOwner(entry: IndexEntry): void {
    if (entry.uid !== 0 || entry.gid !== 0)
      this.owners.push({ path: entry.path, uid: entry.uid, gid: entry.gid });
  }
}

/** Unpack the merged filesystem at the image's top layer into `dir` (made if missing). See above. */
export async function unpackImage(
  source: ImageSource,
  image: Image,
  dir: string,
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, dir);
  }
  const sink = new DirSink(new SafeRoot(dir));
  const selecting = options.paths ? new SelectingSink(sink, options.paths) : undefined;
  const skipped = await flattenImage(source, image, selecting ?? sink, options).catch((err) => {
    throw fromSystemError(err, `unpack into ${dir}`);
  });
  await sink.finish();
  selecting?.checkFound();
  return {
    skipped: [...skipped, ...sink.skipped, ...(selecting?.skipped ?? [])],
    owners: sink.owners,
    modesNotApplied: sink.modesNotApplied,
  };
}
