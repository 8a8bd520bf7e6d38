import { isProcessAlive } from '../../src/store/lock.js';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { sha256 } from '../../src/oci/digest.js';
import { Store } from '../../src/store/store.js';
import { peerImage } from '../setup/peers.js';

const CHILD = join(import.meta.dirname, 'child-writer.ts');
const dirs: string[] = [];

async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-store-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('putBlob', () => {
  it('makes a blob visible only once it matches, and a wrong digest leaves nothing', async () => {
    const store = await Store.open(await tempRoot());
    const bytes = randomBytes(100_000);
    const digest = sha256(bytes);
    const wrong = sha256('something else');
    const err = await store
      .putBlob({ mediaType: 'x', digest: wrong }, Readable.from([bytes]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).kind).toBe('digest-mismatch');
    expect((err as StrataError).message).toContain(wrong);
    expect(ls(store.paths.blobDir)).toEqual([]);
    expect(ls(store.paths.ingestDir)).toEqual([]);

    const info = await store.putBlob({ mediaType: 'x', digest, size: bytes.length }, Readable.from([bytes]));
    expect(info).toEqual({ mediaType: 'x', digest, size: bytes.length });
    expect(await store.hasBlob(digest)).toBe(true);
    expect((await store.readBlob(digest)).equals(bytes)).toBe(true);
    expect(ls(store.paths.ingestDir)).toEqual([]);
  });

  it('refuses a blob longer than its declared size, leaving nothing', async () => {
    const store = await Store.open(await tempRoot());
    const bytes = randomBytes(1000);
    const err = await store
      .putBlob({ mediaType: 'x', size: 999 }, Readable.from([bytes]))
      .catch((e: unknown) => e as StrataError);
    expect((err as StrataError).kind).toBe('invalid');
    expect(ls(store.paths.blobDir)).toEqual([]);
    expect(ls(store.paths.ingestDir)).toEqual([]);
  });

  it('fails a full disk with an io error naming the store and leaves no partial blob', async () => {
    const root = await tempRoot();
    const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root]);
    expect(mnt.status, mnt.stderr.toString()).toBe(0);
    try {
      const store = await Store.open(root);
      const bytes = randomBytes(2 * 1024 * 1024);
      const err = await store
        .putBlob(
          { mediaType: 'x', digest: sha256(bytes) },
          Readable.from([bytes.subarray(0, 1 << 20), bytes.subarray(1 << 20)]),
        )
        .catch((e: unknown) => e as StrataError);
      expect(err).toBeInstanceOf(StrataError);
      expect((err as StrataError).kind).toBe('io');
      expect((err as StrataError).message).toBe(`the store ${root}: no space left on device`);
      expect(ls(store.paths.blobDir)).toEqual([]);
      expect(ls(store.paths.ingestDir)).toEqual([]);
    } finally {
      spawnSync('umount', [root]);
    }
  });
});

describe('concurrent processes', () => {
  it('two processes loading the same image both succeed and write each blob once', async () => {
    const root = await tempRoot();
    const image = peerImage('large');
    const [a, b] = await Promise.all([
      runChild(['fill', root, image.ociDir, image.ociTag, 'example.com/a:1']),
      runChild(['fill', root, image.ociDir, image.ociTag, 'example.com/b:1']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const written = [...JSON.parse(a.stdout), ...JSON.parse(b.stdout)] as string[];
    const store = await Store.open(root);
    const stored = await store.resolveImage('example.com/a:1');
    const layerDigests = stored.manifest.layers.map((l) => l.digest);
    expect(written.sort()).toEqual([...new Set(layerDigests)].sort());
    expect((await store.resolveImage('example.com/b:1')).id).toBe(stored.id);
    expect(await store.verify()).toEqual([]);
    expect(ls(store.paths.ingestDir)).toEqual([]);
  }, 60_000);

  it('a writer killed mid-blob leaves a store that verifies clean, and the next write completes', async () => {
    const root = await tempRoot();
    await Store.open(root);
    const bytes = randomBytes(300_000);
    const digest = sha256(bytes);
    const child = spawn('npx', ['tsx', CHILD, 'hang', root, digest], { stdio: 'ignore', detached: false });
    const ingest = join(root, 'ingest');
    const deadline = Date.now() + 20_000;
    while (!ls(ingest).some((n) => statSync(join(ingest, n)).size > 0)) {
      if (Date.now() > deadline) throw new Error('the child never started writing');
      await new Promise((r) => setTimeout(r, 50));
    }
    const exited = new Promise((r) => child.on('exit', r));
    // npx runs tsx, which runs node: kill the whole process group's writer, the deepest node.
    const writer = ls(ingest)[0]?.split('.')[0] as string;
    process.kill(Number(writer), 'SIGKILL');
    child.kill('SIGKILL');
    await exited;
    // SIGKILL is delivered asynchronously: wait until the writer is really gone before reopening.
    for (const until = Date.now() + 10_000; isProcessAlive(Number(writer)) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ls(join(root, 'blobs', 'sha256'))).toEqual([]);

    const store = await Store.open(root);
    expect(ls(ingest)).toEqual([]);
    expect(await store.verify()).toEqual([]);
    const claim = await store.claimBlob(digest, { timeoutMs: 5000 });
    expect(claim.present).toBe(false);
    await store.putBlob({ mediaType: 'x', digest, size: bytes.length }, Readable.from([bytes]));
    if (!claim.present) await claim.release();
    expect(await store.claimBlob(digest)).toEqual({ present: true });
    expect(await store.verify()).toEqual([]);
  }, 30_000);
});
