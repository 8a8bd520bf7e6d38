/** Small builders for synthetic LayerIndex stacks. */
import type { IndexEntry, LayerIndex } from '../../src/layer/index-types.js';

type Extra = Partial<Omit<IndexEntry, 'path' | 'kind'>>;

const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1 };

export function file(path: string, size: number, extra: Extra = {}): IndexEntry {
  return { ...base, path, kind: 'file', size, hash: `sha256:${path}:${size}`, ...extra };
}
export function dir(path: string, extra: Extra = {}): IndexEntry {
  return { ...base, mode: 0o755, path, kind: 'dir', ...extra };
}
export function symlink(path: string, target: string, extra: Extra = {}): IndexEntry {
  return { ...base, mode: 0o777, path, kind: 'symlink', link: target, ...extra };
}
export function hardlink(path: string, target: string): IndexEntry {
  return { ...base, path, kind: 'hardlink', link: target };
}
export function whiteout(path: string): IndexEntry {
  return { ...base, path, kind: 'whiteout' };
}
export function opaque(path: string): IndexEntry {
  return { ...base, mode: 0o755, path, kind: 'opaque' };
}
export function layer(...entries: IndexEntry[]): LayerIndex {
  return { diffID: `sha256:${entries.map((e) => e.path).join(',')}`, entries, unpackedSize: 0 };
}

/**
 * A large stack for scale tests and the union bench: 3,334 files per layer under 500 directories, each
 * later layer overwriting 1,000 files of the one below and deleting 300 of the one two below.
 */
export function syntheticStack(count: number): LayerIndex[] {
  const pathOf = (l: number, i: number) => `/d${(l * 3334 + i) % 500}/sub${i % 7}/f${l}-${i}`;
  const layers: LayerIndex[] = [];
  for (let l = 0; l < count; l++) {
    const entries = [];
    for (let i = 0; i < 3334; i++) {
      if (i % 100 === 0) entries.push(dir(`/d${(l * 3334 + i) % 500}`));
      entries.push(file(pathOf(l, i), i));
    }
    if (l > 0) for (let i = 0; i < 1000; i++) entries.push(file(pathOf(l - 1, i), 1));
    if (l > 1) for (let i = 0; i < 300; i++) entries.push(whiteout(pathOf(l - 2, i + 1000)));
    layers.push(layer(...entries));
  }
  // Paths a scanner decodes are flat strings; template-built ones are ropes that every lookup flattens.
  return JSON.parse(JSON.stringify(layers)) as LayerIndex[];
}
