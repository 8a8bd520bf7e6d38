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
type MeasureOptions = { runs?: number; env?: NodeJS.ProcessEnv; before?: () => void };

/** One run of cmd under GNU time: wall time and peak RSS, from a disk with nothing left to write. */
function runOnce(label: string, cmd: string[], opts: MeasureOptions): { ms: number; rssKiB: number } {
  opts.before?.();
  // No run pays for the previous one's writes: a tool that syncs its files (strata, skopeo) would
  // otherwise wait for the disk to take what the tool before it left in the page cache (a docker pull
  // leaves ~1 GB).
  spawnSync('sync');
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stderr = r.stderr.toString();
  if (r.status !== 0) throw new Error(`${label}: ${cmd.join(' ')} failed (${r.status}): ${stderr}`);
  return { ms, rssKiB: Number(stderr.trim().split('\n').pop()) };
}

function timing(label: string, results: Array<{ ms: number; rssKiB: number }>): Timing {
  const runs = results.map((r) => r.ms);
  const sorted = [...runs].sort((a, b) => a - b);
  const maxRssKiB = Math.max(0, ...results.map((r) => r.rssKiB));
  return { label, ms: sorted[Math.floor(sorted.length / 2)]!, maxRssKiB, runs };
}

export function measure(label: string, cmd: string[], opts: MeasureOptions = {}): Timing {
  const results = Array.from({ length: opts.runs ?? 3 }, () => runOnce(label, cmd, opts));
  return timing(label, results);
}

/**
 * Several commands measured in turn, one run of each per round, so that the machine's drift over the
 * minutes hits them all alike (its speed here moves by 2× within minutes).
 */
export function measureAlternating(
  specs: Array<{ label: string; cmd: string[]; opts?: Omit<MeasureOptions, 'runs'> }>,
  runs = 3,
): Timing[] {
  const results = specs.map(() => [] as Array<{ ms: number; rssKiB: number }>);
  for (let round = 0; round < runs; round++)
    for (const [i, spec] of specs.entries()) results[i]!.push(runOnce(spec.label, spec.cmd, spec.opts ?? {}));
  return specs.map((spec, i) => timing(spec.label, results[i]!));
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
