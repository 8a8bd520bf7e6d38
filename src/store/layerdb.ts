/**
 * The Docker-shaped layer database: layerdb/sha256/<chainID hex>/{diff,size,cache-id,parent}, each
 * file exactly as the engine writes it (no trailing newline). Entries appear whole: built in a temp
 * directory, then renamed into place.
 */
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { digestHex, isDigest } from '../oci/digest.js';
import { type StorePaths, ensureDir, fsyncDir, randomHex } from './layout.js';
import { isProcessAlive } from './lock.js';

export interface LayerEntry {
  chainID: string;
  diffID: string;
  /** Unpacked size, as the engine's `size` file. */
  size: number;
  cacheID: string;
  /** Parent chain ID; undefined for a base layer. */
  parent?: string;
}

/** Docker's stringid.GenerateRandomID: 64 hex, rerolled while the first 12 are all digits. */
export function randomCacheID(random: () => string = () => randomHex(32)): string {
  for (;;) {
    const id = random();
    if (!/^\d{12}/.test(id)) return id;
  }
}

/** The files of one entry and their exact contents, in the order the engine writes them. Pure. */
export function entryFiles(entry: LayerEntry): Array<[string, string]> {
  const files: Array<[string, string]> = [
    ['diff', entry.diffID],
    ['size', String(entry.size)],
    ['cache-id', entry.cacheID],
  ];
  if (entry.parent !== undefined) files.push(['parent', entry.parent]);
  return files;
}

async function writeSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Read one entry, or undefined when it is absent or incomplete. */
export async function readLayerEntry(paths: StorePaths, chainID: string): Promise<LayerEntry | undefined> {
  const dir = paths.layer(chainID);
  const read = (name: string) => readFile(join(dir, name), 'utf8').then((t) => t.trim());
  try {
    const [diffID, size, cacheID] = await Promise.all([read('diff'), read('size'), read('cache-id')]);
    const parent = await read('parent').catch(() => undefined);
    const entry: LayerEntry = { chainID, diffID, size: Number(size), cacheID };
    if (parent !== undefined) entry.parent = parent;
    return entry;
  } catch {
    return undefined;
  }
}

/**
 * Record a layer unless its chain is already recorded (a chain ID names the same layer stack
 * everywhere, so the first entry stands). Returns the entry as stored.
 */
export async function writeLayerEntry(
  paths: StorePaths,
  layer: Omit<LayerEntry, 'cacheID'>,
): Promise<LayerEntry> {
  const existing = await readLayerEntry(paths, layer.chainID);
  if (existing !== undefined) return existing;
  const entry: LayerEntry = { ...layer, cacheID: randomCacheID() };
  const what = `the store ${paths.root}: layerdb entry ${layer.chainID}`;
  await ensureDir(paths.layerdbTmpDir, what);
  await ensureDir(paths.layerdbDir, what);
  const tmp = join(paths.layerdbTmpDir, `write-set-${process.pid}-${randomHex(8)}`);
  try {
    await mkdir(tmp);
    for (const [name, text] of entryFiles(entry)) await writeSynced(join(tmp, name), text);
    await fsyncDir(tmp);
    await rename(tmp, paths.layer(layer.chainID));
    await fsyncDir(paths.layerdbDir);
    return entry;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Another process recorded the same chain first: theirs stands.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      const theirs = await readLayerEntry(paths, layer.chainID);
      if (theirs !== undefined) return theirs;
    }
    throw fromSystemError(err, what);
  }
}

/** Every chain ID with a directory in the layer database. */
export async function listLayerEntries(paths: StorePaths): Promise<string[]> {
  try {
    const names = await readdir(paths.layerdbDir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, `the store ${paths.root}: layerdb`);
  }
}

/** Remove an entry as the engine does: rename it aside first, so a half-removed entry is never read. */
export async function removeLayerEntry(paths: StorePaths, chainID: string): Promise<void> {
  const aside = join(paths.layerdbTmpDir, `${digestHex(chainID)}-${randomHex(8)}-removing`);
  try {
    await ensureDir(paths.layerdbTmpDir, paths.root);
    await rename(paths.layer(chainID), aside);
    await rm(aside, { recursive: true, force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fromSystemError(err, `the store ${paths.root}: layerdb entry ${chainID}`);
  }
}

/** Leftover write-sets and removals from killed processes. */
export async function cleanLayerdbTmp(paths: StorePaths): Promise<void> {
  let names: string[];
  try {
    names = await readdir(paths.layerdbTmpDir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^write-set-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && isProcessAlive(Number(pid))) continue;
    if (pid === undefined && !name.endsWith('-removing')) continue;
    await rm(join(paths.layerdbTmpDir, name), { recursive: true, force: true });
  }
}

/** Problems with one entry against what the images say it should be. Pure. */
export function entryProblems(
  entry: LayerEntry | undefined,
  want: { chainID: string; diffID: string; parent?: string },
): string[] {
  const at = `layerdb entry ${want.chainID}`;
  if (entry === undefined) return [`${at} is missing or incomplete`];
  const problems: string[] = [];
  if (entry.diffID !== want.diffID) problems.push(`${at}: diff is ${entry.diffID}, want ${want.diffID}`);
  if (entry.parent !== want.parent)
    problems.push(`${at}: parent is ${entry.parent ?? '(none)'}, want ${want.parent ?? '(none)'}`);
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) problems.push(`${at}: size is not a number`);
  if (!/^[a-f0-9]{64}$/.test(entry.cacheID)) problems.push(`${at}: cache-id is not 64 hex`);
  if (!isDigest(entry.diffID)) problems.push(`${at}: diff is not a digest`);
  return problems;
}
