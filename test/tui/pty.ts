/**
 * Drive the real program in a pseudo-terminal: python3's pty module does the terminal side (no native
 * Node module needed), this side feeds what it writes into a Screen and types keys.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Screen } from './screen.js';

export const BRIDGE = join(import.meta.dirname, 'pty-bridge.py');
export const FRAME_BEGIN = '\x1b[?2026h';
export const FRAME_END = '\x1b[?2026l';

/** Environment without the variables that make ink think it runs in CI (it then draws nothing). */
function terminalEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  for (const key of Object.keys(env))
    if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) delete env[key];
  return env;
}

export class PtySession {
  readonly screen: Screen;
  readonly child: ChildProcess;
  /** Everything written, raw, and when each chunk came (ms since start). */
  readonly chunks: { at: number; data: string }[] = [];
  private readonly started = performance.now();
  private listeners: (() => void)[] = [];
  exitCode: number | null = null;
  readonly exited: Promise<number>;
  /** Inside a frame: ink wraps each in synchronized-output marks (begin ?2026h, end ?2026l). */
  private inFrame = false;

  constructor(
    command: string[],
    opts: { cols?: number; rows?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    const cols = opts.cols ?? 120;
    const rows = opts.rows ?? 40;
    this.screen = new Screen(cols, rows);
    this.child = spawn('python3', [BRIDGE, String(cols), String(rows), ...command], {
      env: terminalEnv(opts.env ?? {}),
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (data: string) => {
      this.chunks.push({ at: performance.now() - this.started, data });
      this.screen.feed(data);
      const begin = data.lastIndexOf(FRAME_BEGIN);
      const end = data.lastIndexOf(FRAME_END);
      if (begin !== end) this.inFrame = begin > end;
      // A half-written frame is no state of the screen to check.
      if (!this.inFrame) for (const l of this.listeners) l();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code ?? -1;
        for (const l of this.listeners) l();
        resolve(this.exitCode);
      });
    });
  }

  /** ms since the session started. */
  now(): number {
    return performance.now() - this.started;
  }

  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  /** Resolves when `check` holds on the screen (checked after every write), or fails after `ms`. */
  waitFor(check: (text: string) => boolean, ms = 20_000, what = 'the screen'): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== poll);
      };
      const poll = () => {
        if (check(this.screen.text())) {
          done();
          resolve();
        } else if (this.exitCode !== null) {
          done();
          reject(
            new Error(
              `the program exited (${this.exitCode}) before ${what} appeared:\n${this.screen.text()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; the screen:\n${this.screen.text()}`));
      }, ms);
      this.listeners.push(poll);
      poll();
    });
  }

  /** Resolves with the time of the first chunk that ends with `marker` after `since`, or undefined. */
  nextChunkWith(marker: string, since: number, ms: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const hit = this.chunks.find((c) => c.at >= since && c.data.includes(marker));
        if (hit) {
          finish();
          resolve(hit.at);
        }
      };
      const finish = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      const timer = setTimeout(() => {
        finish();
        resolve(undefined);
      }, ms);
      this.listeners.push(check);
      check();
    });
  }

  kill(): void {
    if (this.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Keys as a terminal sends them. */
export const KEYS = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  tab: '\t',
  enter: '\r',
  esc: '\x1b',
  space: ' ',
  backspace: '\x7f',
  ctrl: (letter: string) => String.fromCharCode(letter.toLowerCase().charCodeAt(0) - 96),
  click: (x: number, y: number) => `\x1b[<0;${x + 1};${y + 1}M`,
  wheelDown: (x: number, y: number) => `\x1b[<65;${x + 1};${y + 1}M`,
};
