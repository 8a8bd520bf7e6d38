import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isStrataError } from '../../src/errors.js';
import { SafeRoot } from '../../src/flatten/safe-fs.js';
import { unpackImage } from '../../src/flatten/unpack.js';
import { openImage } from '../../src/image/image.js';
import { run } from '../helpers/docker.js';
import {
  type EntrySpec,
  legacyArchiveFiles,
  makeImage,
  makeLayer,
  makeLayerTar,
  writeTarFile,
} from '../helpers/make-image.js';
import { FIXTURE_NAMES, peerImage } from '../setup/peers.js';
import { treeListing } from './listing.js';

const work = mkdtempSync(join(tmpdir(), 'strata-unpack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function unpackArchive(archive: string, dir: string) {
  const { image, source } = await openImage(`docker-archive:${archive}`);
  try {
    return await unpackImage(source, image, dir);
  } finally {
    await source.close();
  }
}

describe('unpackImage equals umoci unpack --rootless', () => {
  for (const name of FIXTURE_NAMES) {
    test(name, async () => {
      const img = peerImage(name);
      const ours = join(work, `${name}-strata`);
      const bundle = join(work, `${name}-umoci`);
      const result = await unpackArchive(img.archive, ours);
      expect(result.skipped.filter((s) => s.kind !== 'char' && s.kind !== 'block')).toEqual([]);
      await run('umoci', ['unpack', '--rootless', '--image', `${img.ociConvertedDir}:${img.ociTag}`, bundle]);
      const rows = await treeListing(ours);
      expect(rows.length).toBeGreaterThan(100); // busybox and the fixture's own files
      expect(rows).toEqual(await treeListing(join(bundle, 'rootfs')));
    });
  }
});

/** Every path under `base`, relative, not descending into `inside` nor through symlinks. */
function pathsOutside(base: string, inside: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      out.push(path);
      const abs = join(dir, entry.name);
      if (entry.isDirectory() && abs !== inside) walk(abs, path);
    }
  };
  walk(base, '');
  return out.sort();
}

async function hostileArchive(name: string, layers: EntrySpec[][]): Promise<string> {
  const built = await Promise.all(layers.map(async (l) => makeLayer(await makeLayerTar(l))));
  const path = join(work, `${name}.tar`);
  await writeTarFile(path, legacyArchiveFiles([makeImage(built)]));
  return path;
}

describe('hostile layers never write outside the target', () => {
  test('escaping names, symlinks to outside, hard links out, devices', async () => {
    const archive = await hostileArchive('hostile', [
      [
        { name: '../evil', content: 'evil' },
        { name: '/abs/evil', content: 'abs' },
        { name: 'link', type: 'symlink', linkname: '/' },
        { name: 'link/etc/evil', content: 'through link' },
        { name: 'up', type: 'symlink', linkname: '../../outside' },
        { name: 'up/evil', content: 'through up' },
        { name: 'hl', type: 'link', linkname: '../../etc/passwd' },
        { name: 'null', type: 'character-device' },
        { name: 'kept', type: 'symlink', linkname: '../../../outside' },
      ],
      [{ name: 'kept/evil', content: 'through a lower symlink' }],
    ]);
    const base = mkdtempSync(join(work, 'h-'));
    const dir = join(base, 'a', 'b', 'root');
    mkdirSync(dir, { recursive: true });
    const result = await unpackArchive(archive, dir);

    expect(pathsOutside(base, dir)).toEqual(['a', 'a/b', 'a/b/root']);
    expect(existsSync('/abs/evil')).toBe(false);
    const skipped = Object.fromEntries(result.skipped.map((s) => [s.path, s.reason]));
    expect(skipped['/../evil']).toBe('path escapes the root');
    expect(skipped['/hl']).toMatch(/hard link target \/\.\.\/\.\.\/etc\/passwd escapes the root/);
    expect(skipped['/null']).toMatch(/not created/);
    // Absolute names are rooted at the target; a path under a symlink makes a directory of it.
    expect(await readFile(join(dir, 'abs/evil'), 'utf8')).toBe('abs');
    expect(await readFile(join(dir, 'link/etc/evil'), 'utf8')).toBe('through link');
    expect((await lstat(join(dir, 'up'))).isDirectory()).toBe(true);
    expect((await lstat(join(dir, 'kept'))).isDirectory()).toBe(true);
    expect(existsSync(join(dir, 'hl'))).toBe(false);
  });

  test('a symlink already in the target is never written through', async () => {
    const archive = await hostileArchive('through', [[{ name: 'pre/evil', content: 'evil' }]]);
    const base = mkdtempSync(join(work, 'p-'));
    const outside = join(base, 'outside');
    const dir = join(base, 'root');
    mkdirSync(outside);
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'pre'));
    await unpackArchive(archive, dir);
    // The symlink is replaced by the directory the image holds, never followed.
    expect((await lstat(join(dir, 'pre'))).isDirectory()).toBe(true);
    expect(await readFile(join(dir, 'pre/evil'), 'utf8')).toBe('evil');
    expect(readdirSync(outside)).toEqual([]);
  });

  test('SafeRoot refuses a parent that is a symlink', async () => {
    const base = mkdtempSync(join(work, 's-'));
    const outside = join(base, 'outside');
    const dir = join(base, 'root');
    mkdirSync(outside);
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'pre'));
    const err = await new SafeRoot(dir).place('/pre/evil').catch((e: unknown) => e);
    expect(isStrataError(err) && err.kind).toBe('invalid');
    expect((err as Error).message).toMatch(/is a symlink/);
    await expect(new SafeRoot(dir).place('/../x')).rejects.toThrow(/not a path inside/);
    expect(readdirSync(outside)).toEqual([]);
  });
});
