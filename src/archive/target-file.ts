/**
 * Writing an output file all or nothing: everything is staged in a temp directory beside the target
 * (same file system, so the final rename is atomic), and a failure or abort removes the stage.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StrataError, fromSystemError } from '../errors.js';

/** Fail early and clearly when the target's directory is missing or the target is a directory. */
export async function checkTargetPath(target: string, what: string): Promise<void> {
  const dir = dirname(resolve(target));
  let dirOk: boolean;
  try {
    dirOk = (await stat(dir)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new StrataError('not-found', `cannot write ${what}: directory ${dir} does not exist`);
    throw fromSystemError(err, what);
  }
  if (!dirOk) throw new StrataError('invalid', `cannot write ${what}: ${dir} is not a directory`);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new StrataError('invalid', `cannot write ${what}: it is a directory`);
}

/** A temp directory beside the target that becomes the target (or one file in it does) at commit. */
export class StagedTarget {
  private constructor(
    readonly target: string,
    readonly dir: string,
    private readonly what: string,
  ) {}

  /** Stage for a file: checks the target's directory first. */
  static async beside(target: string, what: string): Promise<StagedTarget> {
    await checkTargetPath(target, what);
    const full = resolve(target);
    try {
      const dir = await mkdtemp(join(dirname(full), `.${basename(full)}.strata-`));
      return new StagedTarget(full, dir, what);
    } catch (err) {
      throw fromSystemError(err, `cannot write ${what}`);
    }
  }

  /** Write a stream to a file in the stage, flush it to disk, and rename it onto the target. */
  async commitStream(content: Readable): Promise<void> {
    const temp = join(this.dir, 'out');
    try {
      await pipeline(content, createWriteStream(temp, { flags: 'wx' }));
      // Flush to disk before the rename, so a crash never leaves a named but empty archive.
      const fh = await open(temp, 'r');
      await fh.sync().finally(() => fh.close());
    } catch (err) {
      content.destroy();
      throw fromSystemError(err, this.what);
    }
    try {
      await rename(temp, this.target);
    } catch (err) {
      throw fromSystemError(err, this.what);
    }
  }

  /** Remove the stage and whatever is in it. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
