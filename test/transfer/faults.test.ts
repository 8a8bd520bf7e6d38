// Pulls that meet trouble: a cut connection, corrupt bytes, a process killed halfway, two processes at
// once, a full disk. Each leaves a store that verifies clean; nothing half-written is ever visible.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { type FaultProxy, flipByte, startFaultProxy } from '../helpers/fault-proxy.js';
import { peerImage, peers } from '../setup/peers.js';

const env = peers();
const large = peerImage('large');
const deletes = peerImage('deletes');
const opaque = peerImage('opaque');
let proxy: FaultProxy;
const via = (ref: string) => ref.replace(env.registry, proxy.host);

beforeAll(async () => {
  proxy = await startFaultProxy(env.registry);
});
afterAll(async () => {
  await proxy.stop();
});

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-faults-'));
  process.env.STRATA_ROOT = root;
  return root;
}

async function layerDigests(ref: string): Promise<string[]> {
  return JSON.parse((await runCli(['manifest', ref])).stdout).layers.map((l: { digest: string }) => l.digest);
}

async function expectClean(root: string) {
  process.env.STRATA_ROOT = root;
  const r = await runCli(['system', 'verify']);
  expect(r.stdout, r.stderr).toBe('ok\n');
  expect(readdirSync(join(root, 'ingest')).filter((n) => n.endsWith('.partial'))).toEqual([]);
}

/** Start the built CLI as a separate process (the way a user runs it, killable). */
function strataProcess(args: string[], root: string): ChildProcess {
  return spawn(process.execPath, [join(REPO_ROOT, 'bin', 'strata.js'), ...args], {
    env: { ...process.env, STRATA_ROOT: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('faults during pull', () => {
  test('a download cut halfway resumes with Range: the bytes already received are not fetched again', async () => {
    const root = freshRoot();
    const ref = via(large.registryRef);
    const big = (await layerDigests(ref))[1]!; // the 20 MB layer
    proxy.log.length = 0;
    proxy.addRule({
      path: new RegExp(`/blobs/${big}$`),
      times: 1,
      fault: { kind: 'drop', afterBytes: 5_000_000 },
    });
    try {
      const r = await runCli(['pull', '-q', ref]);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      proxy.clearRules();
    }
    const gets = proxy.log.filter((e) => e.method === 'GET' && e.path.endsWith(big));
    expect(gets).toHaveLength(2);
    expect(gets[1]!.range).toMatch(/^bytes=(\d+)-$/);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range!)![1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(5_000_000);
    expect(gets[1]!.status).toBe(206);
    await expectClean(root);
  });

  test('a layer whose bytes do not match its digest: named in the error, nothing of it visible', async () => {
    const root = freshRoot();
    const ref = via(deletes.registryRef);
    const top = (await layerDigests(ref)).at(-1)!;
    proxy.addRule({
      path: new RegExp(`/blobs/${top}$`),
      fault: { kind: 'rewrite', transform: flipByte(60) },
    });
    try {
      const r = await runCli(['pull', '-q', ref]);
      expect(r.code, r.stderr).toBe(EXIT_CODES['digest-mismatch']);
      expect(r.stderr).toContain(top);
    } finally {
      proxy.clearRules();
    }
    expect(existsSync(join(root, 'blobs', 'sha256', top.slice(7)))).toBe(false);
    expect((await runCli(['images', '-q'])).stdout).toBe('');
    await expectClean(root);
  });

  test('kill -9 in the middle of a pull leaves a consistent store, and the next pull completes', async () => {
    const root = freshRoot();
    const ref = via(large.registryRef);
    const big = (await layerDigests(ref))[1]!;
    proxy.addRule({
      path: new RegExp(`/blobs/${big}$`),
      times: 1,
      fault: { kind: 'stall', afterBytes: 3_000_000 },
    });
    const child = strataProcess(['pull', '-q', ref], root);
    const done = exitOf(child);
    try {
      // Wait until the stalled layer is half in the store's ingest area, then kill.
      const ingest = join(root, 'ingest');
      for (const until = Date.now() + 20_000; Date.now() < until; ) {
        if (existsSync(ingest) && readdirSync(ingest).some((n) => n.endsWith('.partial'))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      expect((await done).code).toBe(null);
    } finally {
      proxy.clearRules();
    }
    expect(existsSync(join(root, 'blobs', 'sha256', big.slice(7)))).toBe(false);
    const again = await runCli(['pull', '-q', ref]);
    expect(again.code, again.stderr).toBe(0);
    await expectClean(root);
    expect((await runCli(['history', '-q', `strata:${ref}`])).code).toBe(0);
  });

  test('two processes pulling images that share layers at once: both succeed, shared blobs fetched once', async () => {
    const root = freshRoot();
    const a = via(deletes.registryRef);
    const b = via(opaque.registryRef);
    const inB = new Set(await layerDigests(b));
    const shared = (await layerDigests(a)).filter((d) => inB.has(d));
    expect(shared.length).toBeGreaterThan(0);
    proxy.log.length = 0;
    const [ra, rb] = await Promise.all([
      exitOf(strataProcess(['pull', '-q', a], root)),
      exitOf(strataProcess(['pull', '-q', b], root)),
    ]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    for (const d of shared) {
      expect(proxy.log.filter((e) => e.method === 'GET' && e.path.endsWith(`/blobs/${d}`)).length, d).toBe(1);
    }
    await expectClean(root);
    expect((await runCli(['images', '-q'])).stdout.trim().split('\n')).toHaveLength(2);
  });

  test('a full disk gives a clear error and leaves nothing half-written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-tmpfs-'));
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    try {
      process.env.STRATA_ROOT = join(dir, 'store');
      const r = await runCli(['pull', '-q', via(large.registryRef)]);
      expect(r.code).toBe(EXIT_CODES.io);
      expect(r.stderr.split('\n')[0]).toMatch(/^strata: .*no space left on device/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      await expectClean(join(dir, 'store'));
      expect((await runCli(['images', '-q'])).stdout).toBe('');
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});
