import { Option } from 'commander';
import { type CopyOptions, type CopyResult, copyImage } from '../../copy/copy.js';
import { DEFAULT_CONCURRENT_BLOBS } from '../../copy/limiter.js';
import { StrataError } from '../../errors.js';
import { parsePlatform } from '../../oci/platform.js';
import type { ImageLocation } from '../../reference/transport.js';
import { openDestination, openSource } from '../../transports/open.js';
import type { ImageDestination, SourceOptions } from '../../transports/types.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, toOpenOptions } from '../options.js';
import { type ProgressMode, type ProgressSink, createProgress } from '../progress.js';

export interface TransferOptions extends ImageCommandOptions {
  quiet?: boolean;
  progress?: string;
  maxConcurrent?: string;
}

export const transferOptions = (): Option[] => [
  new Option('-q, --quiet', 'suppress progress output'),
  new Option('--progress <mode>', 'progress output: auto, tty, plain or json').default('auto'),
  new Option('--max-concurrent <n>', 'blobs transferred at once').default('3'),
];

export function progressFor(opts: TransferOptions, io: CliIO): ProgressSink {
  const asked = opts.quiet ? 'quiet' : (opts.progress ?? 'auto');
  if (!['auto', 'tty', 'plain', 'json', 'quiet'].includes(asked)) {
    throw new StrataError('usage', `invalid --progress "${asked}": want auto, tty, plain or json`);
  }
  const mode: ProgressMode =
    asked === 'auto' ? (process.stderr.isTTY ? 'tty' : 'plain') : (asked as ProgressMode);
  return createProgress(mode, (t) => io.err(t), process.stderr.columns ?? 200);
}

export function maxConcurrent(opts: TransferOptions): number {
  const n = Number(opts.maxConcurrent ?? DEFAULT_CONCURRENT_BLOBS);
  if (!Number.isInteger(n) || n < 1)
    throw new StrataError('usage', '--max-concurrent wants a positive integer');
  return n;
}

/** Copy one image between two opened ends, closing the source and aborting the destination on failure. */
export async function transfer(
  from: string | ImageLocation,
  dest: ImageDestination,
  opts: ImageCommandOptions,
  copy: CopyOptions,
): Promise<CopyResult> {
  const open: SourceOptions & { platform?: unknown } = toOpenOptions(opts);
  const source = await openSource(from, open);
  try {
    return await copyImage(source, dest, {
      ...copy,
      platform: opts.platform ? parsePlatform(opts.platform) : copy.platform,
    });
  } finally {
    await source.close();
  }
}

/** Open a destination and make sure a failure removes whatever it half-wrote. */
export async function withDestination<T>(
  to: string | ImageLocation,
  opts: ImageCommandOptions,
  fn: (dest: ImageDestination) => Promise<T>,
): Promise<T> {
  const dest = await openDestination(to, toOpenOptions(opts));
  try {
    const result = await fn(dest);
    await dest.close();
    return result;
  } catch (err) {
    await (dest.abort?.() ?? dest.close()).catch(() => {});
    throw err;
  }
}
