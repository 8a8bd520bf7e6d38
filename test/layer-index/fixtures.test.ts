import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LayerFactsCache } from '../../src/cache/layer-facts.js';
import { LayerIndexCache } from '../../src/cache/layer-index-cache.js';
import { isStrataError } from '../../src/errors.js';
import { type Image, openImage } from '../../src/image/image.js';
import { layerIndexes } from '../../src/image/layer-indexes.js';
import { decodeLayerIndex } from '../../src/layer/index-codec.js';
import type { EntryKind, IndexEntry, LayerIndex } from '../../src/layer/index-types.js';
import type { ImageSource } from '../../src/transports/types.js';
import { contentHashOf } from '../helpers/content-hash.js';
import { peers } from '../setup/peers.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'strata-layer-index-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The source with openLayer calls counted. */
function counting(source: ImageSource): { source: ImageSource; opens: () => number } {
  let n = 0;
  const wrapped: ImageSource = {
    name: source.name,
    resolve: (o) => source.resolve(o),
    openLayer: (blob, i) => {
      n++;
      return source.openLayer(blob, i);
    },
    close: () => source.close(),
  };
  return { source: wrapped, opens: () => n };
}

/** One line of GNU `tar -tv`: type letter, permissions, owner, name, link target. */
interface Listed {
  type: string;
  perms: string;
  uid: number;
  gid: number;
  size: number;
  name: string;
  link?: string;
}

const LINE = /^(.)(.{9}) (\d+)\/(\d+)\s+(\d+|\d+,\s*\d+) \d{4}-\d\d-\d\d \d\d:\d\d (.*)$/;

function listLayer(archive: string, member: string): Listed[] {
  const script = 'tar -xOf "$1" "$2" | LC_ALL=C.UTF-8 tar --numeric-owner --quoting-style=literal -tvf -';
  const out = execFileSync('sh', ['-c', script, 'sh', archive, member], { maxBuffer: 1 << 26 }).toString();
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const m = LINE.exec(line);
      if (!m) throw new Error(`unparsed tar -tv line: ${line}`);
      const [, type, perms, uid, gid, size, rest] = m as unknown as string[];
      const sep = type === 'l' ? ' -> ' : type === 'h' ? ' link to ' : undefined;
      const cut = sep ? (rest as string).indexOf(sep) : -1;
      return {
        type: type as string,
        perms: perms as string,
        uid: Number(uid),
        gid: Number(gid),
        size: /,/.test(size as string) ? 0 : Number(size),
        name: cut >= 0 ? (rest as string).slice(0, cut) : (rest as string),
        link: cut >= 0 ? (rest as string).slice(cut + (sep as string).length) : undefined,
      };
    });
}

const clean = (name: string) => {
  const out: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..' && out.length > 0) out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
};

const TYPE_KIND: Record<string, EntryKind> = {
  '-': 'file',
  d: 'dir',
  l: 'symlink',
  h: 'hardlink',
  c: 'char',
  b: 'block',
  p: 'fifo',
};

/** What the index should say for a `tar -tv` line (undefined: left out). */
function expectedOf(l: Listed): { path: string; kind: EntryKind } | undefined {
  const path = clean(l.name);
  const base = path.slice(path.lastIndexOf('/') + 1);
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  if (base === '.wh..wh..opq') return { path: parent, kind: 'opaque' };
  if (base.startsWith('.wh..wh.')) return undefined;
  if (base.startsWith('.wh.'))
    return { path: `${parent === '/' ? '' : parent}/${base.slice(4)}`, kind: 'whiteout' };
  return { path, kind: TYPE_KIND[l.type] as EntryKind };
}

/** ls-style permissions of a mode, as tar -tv prints them. */
function perms(mode: number): string {
  const rwx = (bits: number, special: boolean, ch: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return (
    rwx(mode >> 6, (mode & 0o4000) !== 0, 's') +
    rwx(mode >> 3, (mode & 0o2000) !== 0, 's') +
    rwx(mode, (mode & 0o1000) !== 0, 't')
  );
}

describe.each(peers().images.map((i) => [i.name, i] as const))(
  'fixture %s (docker save tar)',
  (_name, img) => {
    let image: Image;
    let indexes: LayerIndex[];
    let members: string[];
    const cacheDir = () => join(work, img.name);

    beforeAll(async () => {
      const opened = await openImage(`docker-archive:${img.archive}`);
      image = opened.image;
      try {
        indexes = await layerIndexes(opened.source, image, { cache: new LayerIndexCache(cacheDir()) });
      } finally {
        await opened.source.close();
      }
      const manifest = JSON.parse(execFileSync('tar', ['-xOf', img.archive, 'manifest.json']).toString());
      members = manifest[0].Layers;
    });

    test("unpacked size per layer equals the engine's layerdb size", () => {
      const root = join(peers().dockerDataRoot, 'image', 'overlay2', 'layerdb', 'sha256');
      for (const layer of image.layers) {
        const recorded = Number(readFileSync(join(root, layer.chainID.slice(7), 'size'), 'utf8'));
        expect(indexes[layer.index]?.unpackedSize, `layer ${layer.index}`).toBe(recorded);
        expect(indexes[layer.index]?.diffID).toBe(layer.diffID);
      }
    });

    test('entries match tar -tv of each layer: paths, kinds, permissions, owners, sizes, links', () => {
      for (const layer of image.layers) {
        const listed = listLayer(img.archive, members[layer.index] as string);
        const kept = listed.flatMap((l) => {
          const e = expectedOf(l);
          return e ? [{ l, e }] : [];
        });
        const entries = indexes[layer.index]?.entries as IndexEntry[];
        expect(entries.map((x) => [x.path, x.kind])).toEqual(kept.map(({ e }) => [e.path, e.kind]));
        kept.forEach(({ l }, i) => {
          const entry = entries[i] as IndexEntry;
          expect(perms(entry.mode), entry.path).toBe(l.perms);
          expect([entry.uid, entry.gid]).toEqual([l.uid, l.gid]);
          if (entry.kind === 'file') expect(entry.size).toBe(l.size);
          if (entry.kind === 'symlink') expect(entry.link).toBe(l.link);
          if (entry.kind === 'hardlink') expect(entry.link).toBe(clean(l.link as string));
        });
      }
    });

    test('file hashes match the files GNU tar extracts', () => {
      let checked = 0; // some layers hold no regular file (whiteouts only, WORKDIR)
      for (const layer of image.layers) {
        const dest = join(work, `${img.name}-x${layer.index}`);
        execFileSync('sh', [
          '-c',
          'mkdir -p "$3" && tar -xOf "$1" "$2" | tar -xf - -C "$3"',
          'sh',
          img.archive,
          members[layer.index] as string,
          dest,
        ]);
        const last = new Map<string, IndexEntry>();
        for (const e of indexes[layer.index]?.entries ?? []) last.set(e.path, e);
        for (const e of last.values()) {
          if (e.kind !== 'file' && !(e.kind === 'hardlink' && e.hash)) continue;
          const on = join(dest, e.path);
          if (!existsSync(on) || !lstatSync(on).isFile()) continue;
          expect(e.hash, e.path).toBe(contentHashOf(readFileSync(on)));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });

    test('a second call reads no layer; facts cache has the sizes', async () => {
      const opened = await openImage(`docker-archive:${img.archive}`);
      const { source, opens } = counting(opened.source);
      try {
        const again = await layerIndexes(source, image, { cache: new LayerIndexCache(cacheDir()) });
        expect(opens()).toBe(0);
        expect(again).toEqual(indexes);
      } finally {
        await source.close();
      }
      const facts = new LayerFactsCache(cacheDir());
      for (const layer of image.layers) {
        expect((await facts.get(layer.diffID))?.unpackedSize).toBe(indexes[layer.index]?.unpackedSize);
      }
    });
  },
);

describe('cache faults, progress and verification', () => {
  const img = () => peers().images.find((i) => i.name === 'links') ?? (peers().images[0] as never);

  test('a corrupt cache file is ignored and rewritten', async () => {
    const cache = new LayerIndexCache(join(work, 'corrupt'));
    const opened = await openImage(`docker-archive:${img().archive}`);
    const { source, opens } = counting(opened.source);
    try {
      const first = await layerIndexes(source, opened.image, { cache });
      const top = opened.image.layers.at(-1)!;
      writeFileSync(cache.file(top.diffID), 'garbage');
      const second = await layerIndexes(source, opened.image, { cache });
      expect(opens()).toBe(opened.image.layers.length + 1);
      expect(second).toEqual(first);
      expect(decodeLayerIndex(readFileSync(cache.file(top.diffID)))).toEqual(first.at(-1));
    } finally {
      await source.close();
    }
  });

  test('an unwritable cache is skipped, never fatal', async () => {
    const blocker = join(work, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const opened = await openImage(`docker-archive:${img().archive}`);
    try {
      const got = await layerIndexes(opened.source, opened.image, {
        cache: new LayerIndexCache(join(blocker, 'c')),
      });
      expect(got).toHaveLength(opened.image.layers.length);
    } finally {
      await opened.source.close();
    }
  });

  test('onProgress reports stored bytes up to the blob size', async () => {
    const opened = await openImage(`docker-archive:${img().archive}`);
    const last = new Map<number, [number, number | undefined]>();
    try {
      await layerIndexes(opened.source, opened.image, {
        cache: new LayerIndexCache(join(work, 'progress')),
        concurrency: 3,
        onProgress: (i, bytes, total) => last.set(i, [bytes, total]),
      });
    } finally {
      await opened.source.close();
    }
    for (const layer of opened.image.layers) {
      const [bytes, total] = last.get(layer.index) ?? [0, 0];
      expect(bytes).toBeGreaterThan(0);
      if (layer.blob.size !== undefined) expect([bytes, total]).toEqual([layer.blob.size, layer.blob.size]);
    }
  });

  test('a layer whose content does not hash to its diffID is a digest-mismatch naming it', async () => {
    const opened = await openImage(`docker-archive:${img().archive}`);
    const image = opened.image;
    const wrong = `sha256:${'0'.repeat(64)}`;
    const bad: Image = {
      ...image,
      layers: image.layers.map((l, i) => (i === 1 ? { ...l, diffID: wrong } : l)),
    };
    const cache = new LayerIndexCache(join(work, 'mismatch'));
    try {
      const err = await layerIndexes(opened.source, bad, { cache, concurrency: 1 }).catch((e: unknown) => e);
      expect(isStrataError(err) && err.kind === 'digest-mismatch').toBe(true);
      expect((err as Error).message).toContain(`layer 1 (${wrong})`);
      expect(await cache.get(wrong)).toBeUndefined();
    } finally {
      await opened.source.close();
    }
  });
});
