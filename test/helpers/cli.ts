import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as raw bytes, for commands that print documents byte for byte. */
  stdoutBytes: Buffer;
}

// Each test worker gets its own store so caches never leak between test files.
if (!process.env.STRATA_ROOT) process.env.STRATA_ROOT = mkdtempSync(join(tmpdir(), 'strata-root-'));

/** Run the CLI in-process (fast), capturing what it writes. */
export async function runCli(args: string[], options: { nowMs?: number } = {}): Promise<CliResult> {
  const out: Buffer[] = [];
  let stderr = '';
  const io: CliIO = {
    out: (t) => out.push(Buffer.from(t)),
    err: (t) => {
      stderr += t;
    },
    now: () => options.nowMs ?? Date.now(),
  };
  const code = await main(['node', 'strata', ...args], io);
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString('utf8'), stderr, stdoutBytes };
}

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Run the built program as a user would (needs `npm run build`). */
export function runStrataBinary(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'strata.js'), ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/**
 * A user's mistake or a bad input: nothing on stdout, the expected exit code, one line "strata: …"
 * (plus an optional "hint: …" line) naming the problem, and never a stack trace.
 */
export function expectCleanError(r: CliResult, code: number, message: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^strata: /);
  expect(lines[0]).toMatch(message);
  expect(lines.filter((l) => !l.startsWith('hint: ')).length, r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
