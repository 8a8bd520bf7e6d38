/**
 * Where things live in a store directory, and the one way strata writes a small file there: a temp
 * file, fsync, rename, fsync of the directory, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { digestHex, parseDigest } from '../oci/digest.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_LAYOUT_BYTES = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

/** Annotations on index.json descriptors. */
export const Annotation = {
  refName: 'org.opencontainers.image.ref.name',
  containerdName: 'io.containerd.image.name',
  repoDigests: 'dev.strata.repo-digests',
  created: 'dev.strata.created',
  /** The index (manifest list) the image was chosen from, kept so GC keeps its blob. */
  index: 'dev.strata.index',
  /** On a descriptor of an OCI view: the digest of the Docker manifest as received (the truth). */
  manifest: 'dev.strata.manifest',
  /** Its size, so index.json alone still describes the original. */
  manifestSize: 'dev.strata.manifest.size',
} as const;

/** Paths inside one store root. Pure. */
export class StorePaths {
  constructor(readonly root: string) {}

  get layoutFile(): string {
    return join(this.root, OCI_LAYOUT_FILE);
  }
  get indexFile(): string {
    return join(this.root, 'index.json');
  }
  get blobDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }
  get ingestDir(): string {
    return join(this.root, 'ingest');
  }
  get layerdbDir(): string {
    return join(this.root, 'layerdb', 'sha256');
  }
  get layerdbTmpDir(): string {
    return join(this.root, 'layerdb', 'tmp');
  }
  /** The layer facts cache (LayerFactsCache's default place when this is $STRATA_ROOT). */
  get factsDir(): string {
    return join(this.root, 'cache', 'layers', 'sha256');
  }
  get lockDir(): string {
    return join(this.root, 'locks');
  }
  get storeLock(): string {
    return join(this.lockDir, 'store.lock');
  }
  blob(digest: string): string {
    return join(this.blobDir, digestHex(parseDigest(digest)));
  }
  blobLock(digest: string): string {
    return join(this.lockDir, `blob-${digestHex(parseDigest(digest))}.lock`);
  }
  layer(chainID: string): string {
    return join(this.layerdbDir, digestHex(parseDigest(chainID)));
  }
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Make a directory's entries (a rename, a create, an unlink) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write a small file so that readers see the old content or the new, never a mix. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, what: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomHex(4)}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (err) {
    await rm(tmp, { force: true });
    throw fromSystemError(err, what);
  }
}

export async function ensureDir(path: string, what: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, what);
  }
}
