import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const OUT = join(REPO, 'bench', 'out');

export interface Timing {
  label: string;
  /** Median wall time over the runs, in milliseconds. */
  ms: number;
  /** Peak resident set of the measured process, in KiB (from GNU time's %M). */
  maxRssKiB: number;
  runs: number[];
}

/** Run a command, measuring wall time and peak RSS with /usr/bin/time; fail loudly if it fails. */
export function measure(
  label: string,
  cmd: string[],
  opts: { runs?: number; env?: NodeJS.ProcessEnv; before?: () => void } = {},
): Timing {
  const runs: number[] = [];
  let maxRssKiB = 0;
  for (let i = 0; i < (opts.runs ?? 3); i++) {
    opts.before?.();
    const start = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const stderr = r.stderr.toString();
    if (r.status !== 0) throw new Error(`${label}: ${cmd.join(' ')} failed (${r.status}): ${stderr}`);
    maxRssKiB = Math.max(maxRssKiB, Number(stderr.trim().split('\n').pop()));
    runs.push(ms);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { label, ms: sorted[Math.floor(sorted.length / 2)]!, maxRssKiB, runs };
}

export const strataCmd = (...args: string[]) => [process.execPath, join(REPO, 'bin', 'strata.js'), ...args];

export function freshRoot(): { env: NodeJS.ProcessEnv; reset: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-root-'));
  return {
    env: { STRATA_ROOT: dir },
    reset: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
