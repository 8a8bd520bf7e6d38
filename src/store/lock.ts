/**
 * Cross-process locks as files created exclusively (O_EXCL), each holding its owner's pid. A lock whose
 * owner is dead is broken; waiting backs off up to a bound and ends in a clear timeout error.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrataError, fromSystemError } from '../errors.js';

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Give up after this long; default 60 s. */
  timeoutMs?: number;
  /** Shown in the timeout message, e.g. "the store /x" or "blob sha256:…". */
  what?: string;
}

const FIRST_WAIT_MS = 5;
const MAX_WAIT_MS = 250;
/** A breaker that died mid-break leaves its marker; markers older than this are ignored. */
const BREAK_MARKER_STALE_MS = 10_000;

/** A killed process stays a zombie until its parent reaps it; it holds nothing any more. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Whether a process with this pid is running (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** The pid a lock file names, or undefined when it is unreadable or half-written. */
export async function lockOwner(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(String(process.pid));
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromSystemError(err, `lock ${path}`);
  }
}

/** A lock file is stale when its owner is dead, or when it stayed ownerless (a crash mid-write). */
async function isStale(path: string): Promise<boolean> {
  const owner = await lockOwner(path);
  if (owner !== undefined) return !isProcessAlive(owner);
  try {
    return Date.now() - (await stat(path)).mtimeMs > BREAK_MARKER_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Remove a stale lock. Breakers serialise on a marker file, and re-check under it, so one breaker
 * never removes a lock another process took after the first check.
 */
async function breakStale(path: string): Promise<void> {
  const marker = `${path}.break`;
  if (!(await tryCreate(marker))) {
    if (await isStale(marker)) await rm(marker, { force: true });
    return;
  }
  try {
    if (await isStale(path)) await rm(path, { force: true });
  } finally {
    await rm(marker, { force: true });
  }
}

/** Take the lock at `path`, waiting (with bounded backoff) while a live process holds it. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let wait = FIRST_WAIT_MS;
  for (;;) {
    if (await tryCreate(path)) return { path, release: () => rm(path, { force: true }) };
    if (await isStale(path)) {
      await breakStale(path);
      continue;
    }
    if (Date.now() >= deadline) {
      const owner = await lockOwner(path);
      throw new StrataError(
        'io',
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for the lock on ${options.what ?? path}` +
          (owner !== undefined ? ` (held by process ${owner})` : ''),
        { hint: `if no strata process is running, remove ${path}` },
      );
    }
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())) * (0.5 + Math.random()));
    wait = Math.min(wait * 2, MAX_WAIT_MS);
  }
}

/** Run fn while holding the lock. */
export async function withLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
