// strata tree, diff and cat against the engine-built fixtures.
import { describe, expect, test } from 'vitest';
import { modeString } from '../../src/format/mode.js';
import { EXIT_CODES } from '../../src/errors.js';
import { expectCleanError, runCli } from '../helpers/cli.js';
import { type FixtureName, peerImage } from '../setup/peers.js';

/** The real program, in-process. */
const run = runCli;

const ref = (name: FixtureName) => `docker-archive:${peerImage(name).archive}`;

interface Node {
  path: string;
  kind: string;
  size: number;
  link: string | null;
  layer: number | null;
  change: string | null;
  fields: string[];
}

async function treeJson(args: string[]): Promise<Node[]> {
  const r = await run(['tree', '--format', 'json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Node);
}

const paths = (nodes: Node[]) => nodes.map((n) => n.path);

/** The index of the top layer: the fixtures' last RUN. */
async function topLayer(name: FixtureName): Promise<number> {
  const nodes = await treeJson([ref(name)]);
  return Math.max(...nodes.map((n) => n.layer ?? -1));
}

describe('modeString', () => {
  test('permission, type and special bits', () => {
    expect(modeString('dir', 0o755)).toBe('drwxr-xr-x');
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('dir', 0o1776)).toBe('drwxrwxrwT');
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx');
  });
});

describe('strata tree', () => {
  test('the merged tree keeps /data/kept and not what the last layer deleted', async () => {
    const nodes = await treeJson([ref('deletes')]);
    const p = paths(nodes);
    expect(p).toContain('/data/kept');
    expect(p).not.toContain('/data/file');
    expect(p).not.toContain('/data/dir');
    const kept = nodes.find((n) => n.path === '/data/kept');
    expect(kept).toMatchObject({ kind: 'file', size: 5, change: 'added' });
    const data = nodes.find((n) => n.path === '/data');
    // The last RUN rewrote /data (its entries went away), so that layer is the last to write it.
    expect(data?.size).toBe(5);
  });

  test('--layer N before the rm still shows the deleted files', async () => {
    const top = await topLayer('deletes');
    const p = paths(await treeJson(['--layer', String(top - 1), ref('deletes')]));
    expect(p).toEqual(expect.arrayContaining(['/data/file', '/data/dir/sub/x', '/data/kept']));
  });

  test('--changes at the rm layer marks /data/file and /data/dir as removed', async () => {
    const top = await topLayer('deletes');
    const nodes = await treeJson(['--changes', '--layer', String(top), ref('deletes')]);
    const change = new Map(nodes.map((n) => [n.path, n.change]));
    expect(change.get('/data/file')).toBe('removed');
    expect(change.get('/data/dir')).toBe('removed');
    expect(change.get('/data/dir/sub/x')).toBe('removed');
    expect(change.has('/data/kept')).toBe(false);
    const table = await run([
      'tree',
      '--changes',
      '--layer',
      String(top),
      '--color',
      'never',
      ref('deletes'),
    ]);
    expect(table.stdout).toMatch(/^D\s+-rw-r--r--\s+0:0\s+7B\s+[│ ]*[├└]── file\s+\d+$/m);
    expect(table.stdout).not.toContain('\x1b[');
    const onlyAdded = await treeJson(['--changes', '--only', 'added', ref('deletes')]);
    expect(onlyAdded.some((n) => n.change === 'removed')).toBe(false);
  });

  test('colour only when asked (stdout here is no TTY)', async () => {
    const plain = await run(['tree', '--changes', ref('deletes')]);
    expect(plain.stdout).not.toContain('\x1b[');
    const coloured = await run(['tree', '--changes', '--color', 'always', ref('deletes')]);
    expect(coloured.stdout).toMatch(/\x1b\[31mD\s.*file/);
  });

  test('an opaque directory shows only its re-created children', async () => {
    const nodes = await treeJson(['--filter', '^/opq', ref('opaque')]);
    expect(paths(nodes).filter((p) => p.startsWith('/opq'))).toEqual(['/opq', '/opq/fresh']);
  });

  test('links are drawn as name → target', async () => {
    const r = await run(['tree', '--filter', '^/links/', ref('links')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/── abs-symlink → \/links\/a/);
    expect(r.stdout).toMatch(/── rel-symlink → a/);
    expect(r.stdout).toMatch(/── dangling → \/does\/not\/exist/);
    expect(r.stdout).toMatch(/── b → \/links\/a/);
  });

  test('--filter keeps matches and their ancestors only', async () => {
    const p = paths(await treeJson(['--filter', 'kept$', ref('deletes')]));
    expect(p).toEqual(['/', '/data', '/data/kept']);
  });

  test('--depth cuts the levels below /', async () => {
    const nodes = await treeJson(['--depth', '1', ref('deletes')]);
    expect(nodes.every((n) => n.path.split('/').length <= 2)).toBe(true);
    expect(paths(nodes)).toContain('/data');
  });

  test('--sort size puts the largest first in each directory', async () => {
    const nodes = await treeJson(['--sort', 'size', '--depth', '1', ref('names')]);
    const top = nodes.slice(1).map((n) => n.size);
    expect(top).toEqual([...top].sort((a, b) => b - a));
    expect(top[0]).toBeGreaterThan(top.at(-1) ?? 0);
  });

  test('bad flags are usage errors', async () => {
    expectCleanError(await run(['tree', '--only', 'added', ref('deletes')]), EXIT_CODES.usage, /--changes/);
    expectCleanError(await run(['tree', '--layer', '99', ref('deletes')]), EXIT_CODES.usage, /--layer 99/);
  });
});

describe('strata diff', () => {
  test('two fixtures: what one has and the other does not', async () => {
    const r = await run(['diff', '--format', 'json', ref('deletes'), ref('opaque')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    const byPath = new Map(lines.map((d: { path: string; change: string }) => [d.path, d.change]));
    expect(byPath.get('/data/kept')).toBe('removed');
    expect(byPath.get('/data')).toBe('removed');
    expect(byPath.get('/opq/fresh')).toBe('added');
    expect(byPath.get('/opq')).toBe('added');
    expect(summary.added).toBe(lines.filter((d: { change: string }) => d.change === 'added').length);
    expect(summary.removed).toBe(lines.filter((d: { change: string }) => d.change === 'removed').length);
    expect(summary.addedBytes).toBeGreaterThanOrEqual('fresh\n'.length);
    const table = await run(['diff', ref('deletes'), ref('opaque')]);
    expect(table.stdout).toMatch(
      new RegExp(`^${summary.added} added \\(.*\\), ${summary.removed} removed`, 'm'),
    );
  });

  test('an image against itself differs in nothing', async () => {
    const r = await run(['diff', ref('deletes'), ref('deletes')]);
    expect(r.stdout).toBe('0 added (0B), 0 removed (0B), 0 modified (+0B)\n');
  });

  test('--layers N M: the tree before and after the rm', async () => {
    const top = await topLayer('deletes');
    const r = await run([
      'diff',
      ref('deletes'),
      '--layers',
      String(top - 1),
      String(top),
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    const removed = lines
      .filter((d: { change: string }) => d.change === 'removed')
      .map((d: { path: string }) => d.path);
    expect(removed.sort()).toEqual(['/data/dir', '/data/dir/sub', '/data/dir/sub/x', '/data/file']);
    expect(summary.removedBytes).toBe('doomed\n'.length + 'nested\n'.length);
    expect(summary.added).toBe(0);
  });
});

describe('strata cat', () => {
  test('prints a file as the top layer shows it', async () => {
    const r = await run(['cat', ref('deletes'), '/data/kept']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('kept\n');
  });

  test('a deleted file is there at the layer before its removal', async () => {
    const top = await topLayer('deletes');
    expect((await run(['cat', '--layer', String(top - 1), ref('deletes'), '/data/file'])).stdout).toBe(
      'doomed\n',
    );
  });

  test('hardlinks and symlinks give their target content', async () => {
    expect((await run(['cat', ref('links'), '/links/b'])).stdout).toBe('shared\n');
    expect((await run(['cat', ref('links'), '/links/sub/c'])).stdout).toBe('shared\n');
    expect((await run(['cat', ref('links'), '/links/lower-hardlink'])).stdout).toBe('lower\n');
    expect((await run(['cat', ref('links'), '/links/lower.txt'])).stdout).toBe('lower\n');
    expect((await run(['cat', ref('links'), '/links/rel-symlink'])).stdout).toBe('shared\n');
  });

  test('non-ASCII names', async () => {
    expect((await run(['cat', ref('names'), '/names/日本語.txt'])).stdout).toBe('kanji\n');
  });

  test('deleted, missing and directory paths are clean errors', async () => {
    expectCleanError(
      await run(['cat', ref('deletes'), '/data/file']),
      EXIT_CODES['not-found'],
      /removed in layer/,
    );
    expectCleanError(await run(['cat', ref('deletes'), '/nope']), EXIT_CODES['not-found'], /no such file/);
    expectCleanError(await run(['cat', ref('deletes'), '/data']), EXIT_CODES.invalid, /is a directory/);
    expectCleanError(
      await run(['cat', ref('links'), '/links/dangling']),
      EXIT_CODES['not-found'],
      /no such file/,
    );
  });
});
