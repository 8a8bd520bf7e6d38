/** Listings of a tar or a directory tree, normalised so two ways of writing one filesystem compare equal. */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { IndexEntry } from '../../src/layer/index-types.js';
import { scanLayerIndex } from '../../src/layer/index-scan.js';

export interface Row {
  path: string;
  kind: string;
  mode: number;
  uid?: number;
  gid?: number;
  size: number;
  link?: string;
  hash?: string;
}

/** The container's own files, which docker export adds to the image's. */
const CONTAINER_FILES = ['/.dockerenv', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab'];
const CONTAINER_TREES = ['/dev', '/proc', '/sys'];

export function isContainerPath(path: string): boolean {
  if (CONTAINER_FILES.includes(path)) return true;
  return CONTAINER_TREES.some((t) => path === t || path.startsWith(`${t}/`));
}

/** Rows of a tar (hard links shown as the file they share), plus its hard-link groups. */
export async function tarListing(tar: Readable): Promise<{ rows: Row[]; groups: string[][] }> {
  const scan = await scanLayerIndex(tar, 'listing');
  const byPath = new Map<string, IndexEntry>();
  for (const e of scan.entries) byPath.set(e.path, e);
  const groups = new Map<string, string[]>();
  const rows: Row[] = [];
  for (const e of byPath.values()) {
    if (e.path === '/' || isContainerPath(e.path)) continue;
    const target = e.kind === 'hardlink' ? byPath.get(e.link ?? '') : undefined;
    if (target) {
      const group = groups.get(target.path) ?? [target.path];
      group.push(e.path);
      groups.set(target.path, group);
    }
    const meta = target ?? e;
    rows.push({
      path: e.path,
      kind: target ? 'file' : e.kind,
      mode: meta.mode,
      uid: meta.uid,
      gid: meta.gid,
      size: meta.size,
      link: e.kind === 'symlink' ? e.link : undefined,
      hash: meta.hash,
    });
  }
  return { rows: sortRows(rows), groups: [...groups.values()].map((g) => g.sort()).sort() };
}

export function sortRows(rows: Row[]): Row[] {
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Rows of a directory tree, walked with lstat (links never followed); ownership left out. */
export async function treeListing(root: string, skip: (path: string) => boolean = () => false) {
  const rows: Row[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const abs = join(dir, name);
      const path = `${rel}/${name}`;
      if (skip(path)) continue;
      const st = await lstat(abs);
      const mode = st.mode & 0o777;
      if (st.isDirectory()) {
        rows.push({ path, kind: 'dir', mode, size: 0 });
        await walk(abs, path);
      } else if (st.isSymbolicLink()) {
        rows.push({ path, kind: 'symlink', mode: 0, size: 0, link: await readlink(abs) });
      } else if (st.isFile()) {
        rows.push({ path, kind: 'file', mode, size: st.size, hash: await sha256File(abs) });
      } else rows.push({ path, kind: 'other', mode, size: 0 });
    }
  };
  await walk(root, '');
  return sortRows(rows);
}
