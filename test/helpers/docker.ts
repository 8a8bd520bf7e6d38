import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './ports.js';

export interface RunningDocker {
  /** unix:///…/sock, ready for DOCKER_HOST */
  host: string;
  socketPath: string;
  dataRoot: string;
  /** The one temp dir that holds the data root, exec root, pid file, socket and log. */
  dir: string;
  stop(): Promise<void>;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
}

const DIR_PREFIX = 'strata-dk-';

/** Run a command and return its stdout; a failure throws with the command line and its stderr. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(Buffer.concat(out).toString('utf8'));
        return;
      }
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      const stderr = Buffer.concat(err).toString('utf8').trim();
      reject(new Error(`${command} ${args.join(' ')} failed (${why}): ${stderr}`));
    });
    // A child that exits without reading its input closes the pipe: that is not our failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The real docker CLI against one engine. */
export function docker(host: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return run('docker', args, { ...options, env: { ...options.env, DOCKER_HOST: host } });
}

/** GET a path over a unix socket; resolves with the status code. */
function getStatus(socketPath: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Unix socket paths are limited to ~108 bytes, so the engine's dir must sit close to the root. */
function shortTmp(): string {
  const t = tmpdir();
  return t.length <= 40 ? t : '/tmp';
}

/** Mount points at or below dir, deepest first, from the kernel's table (octal escapes decoded). */
export function mountsUnder(dir: string, mountinfo: string): string[] {
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) =>
      p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))),
    );
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/** Unmount whatever the engine left mounted under dir, then remove dir. */
function removeEngineDir(dir: string): void {
  for (const mount of mountsUnder(dir, readFileSync('/proc/self/mountinfo', 'utf8'))) {
    spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
  }
  rmSync(dir, { recursive: true, force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove engine dirs that an earlier, crashed run left behind: only those older than a few minutes
 * whose dockerd is gone, so a run starting beside this one is never disturbed.
 */
function removeStaleEngineDirs(): void {
  const base = shortTmp();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(base, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < 5 * 60_000) continue;
      const pidFile = join(dir, 'pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
      if (pid > 0 && processAlive(pid)) continue;
      removeEngineDir(dir);
    } catch {
      // another run may be removing it at the same moment
    }
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** Start a private Docker Engine (overlay2, no network set-up) that does not disturb any other one. */
export async function startDocker(): Promise<RunningDocker> {
  removeStaleEngineDirs();
  const dir = mkdtempSync(join(shortTmp(), DIR_PREFIX));
  const dataRoot = join(dir, 'root');
  const socketPath = join(dir, 'sock');
  const logFile = join(dir, 'dockerd.log');
  const logFd = openSync(logFile, 'a');
  const args = [
    '--iptables=false',
    '--bridge=none',
    '--data-root',
    dataRoot,
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'pid'),
    '-H',
    `unix://${socketPath}`,
  ];
  const child = spawn('dockerd', args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
    }
    removeEngineDir(dir);
  };
  try {
    await waitFor(`dockerd on ${socketPath}`, async () => {
      if (spawnError) throw new Error(`cannot start dockerd: ${spawnError.message}`);
      if (child.exitCode !== null) throw new Error(`dockerd exited with code ${child.exitCode}`);
      return (await getStatus(socketPath, '/_ping')) === 200;
    });
  } catch (err) {
    const tail = logTail(logFile);
    await stop();
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  return { host: `unix://${socketPath}`, socketPath, dataRoot, dir, stop };
}

/**
 * Import a one-layer base image holding a static busybox and a symlink per applet, so that RUN steps
 * work without pulling anything. Returns the image ID.
 */
export async function importBusyboxBase(host: string, name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-busybox-'));
  try {
    const bin = join(dir, 'rootfs', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync('/bin/busybox', join(bin, 'busybox'));
    const applets = (await run('/bin/busybox', ['--list']))
      .split('\n')
      .filter((a) => a !== '' && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(bin, applet));
    const tar = join(dir, 'base.tar');
    // Fixed owners, order and times keep the base layer's diffID the same from run to run.
    await run('tar', [
      '-C',
      join(dir, 'rootfs'),
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '-cf',
      tar,
      '.',
    ]);
    return (await docker(host, ['import', tar, name])).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
