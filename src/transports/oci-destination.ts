import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BlobDir } from '../archive/blob-dir.js';
import { parseLayoutHeader, parseLayoutIndex } from '../archive/docker-save-manifest.js';
import { StagedTarget } from '../archive/target-file.js';
import { type TarWriteEntry, tarStream } from '../archive/tar-writer.js';
import { StrataError, fromSystemError, invalid } from '../errors.js';
import { expectImageManifest, parseJSON, parseManifest } from '../oci/manifest.js';
import { MediaType, layerTypeInfo } from '../oci/mediatypes.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { REF_NAME } from './oci-common.js';
import type { ImageDestination, ImageToCommit, SourceOptions } from './types.js';

const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

type IndexEntry = Record<string, unknown> & { annotations?: Record<string, string>; digest?: string };

/** The index.json entries of a layout as stored, so fields strata does not model survive an update. */
async function readIndexEntries(root: string, what: string): Promise<IndexEntry[] | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(root, 'index.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, `${what}: index.json`);
  }
  parseLayoutIndex(bytes, `${what}: index.json`);
  return (parseJSON(bytes, `${what}: index.json`) as { manifests: IndexEntry[] }).manifests;
}

/** An OCI image layout directory being written: blobs verified and renamed in, index.json replaced whole. */
class LayoutWriter {
  readonly blobs: BlobDir;

  private constructor(
    readonly root: string,
    readonly what: string,
    private entries: IndexEntry[],
  ) {
    this.blobs = new BlobDir(root, what);
  }

  /**
   * Open a layout to add to, or make one. The parent must exist; an existing directory must be a
   * layout or empty, so strata never scatters blobs into an unrelated directory.
   */
  static async open(root: string, what: string): Promise<LayoutWriter> {
    const parent = dirname(resolve(root));
    const parentOk = await stat(parent).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!parentOk)
      throw new StrataError('not-found', `cannot write ${what}: directory ${parent} does not exist`);
    try {
      await mkdir(root, { recursive: true });
    } catch (err) {
      throw fromSystemError(err, `cannot write ${what}`);
    }
    const header = await readFile(join(root, 'oci-layout')).catch(() => undefined);
    if (header === undefined) {
      const names = await readdir(root).catch((err) => {
        throw fromSystemError(err, `cannot write ${what}`);
      });
      if (names.length > 0)
        throw invalid(
          `cannot write ${what}: the directory is not empty and is not an OCI layout (no oci-layout file)`,
        );
    } else {
      parseLayoutHeader(header, `${what}: oci-layout`);
    }
    const layout = new LayoutWriter(root, what, (await readIndexEntries(root, what)) ?? []);
    await layout.blobs.init();
    if (header === undefined) await layout.writeRootFile('oci-layout', Buffer.from(OCI_LAYOUT));
    return layout;
  }

  /** Write a root file through a temp name, so readers see the old or the new one, never half. */
  private async writeRootFile(name: string, bytes: Buffer): Promise<void> {
    const temp = join(this.root, `.${name}.strata-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(temp, bytes, { flag: 'wx' });
      await rename(temp, join(this.root, name));
    } catch (err) {
      await rm(temp, { force: true });
      throw fromSystemError(err, `${this.what}: ${name}`);
    }
  }

  /** Store config and manifest (layers are already in) and name the manifest in index.json. */
  async commit(image: ImageToCommit, tag: string | undefined): Promise<{ digest: string }> {
    const what = `${this.what}: manifest ${image.manifest.digest}`;
    const parsed = parseManifest(image.manifest.bytes, image.manifest.mediaType, what);
    const manifest = expectImageManifest(parsed, what);
    if (manifest.config.digest !== image.config.digest)
      throw invalid(`${what} names config ${manifest.config.digest}, not ${image.config.digest}`);
    for (const [i, layer] of manifest.layers.entries()) {
      if (layerTypeInfo(layer.mediaType)?.foreign) continue;
      if (!(await this.blobs.has(layer)))
        throw invalid(`${this.what}: layer ${i} (${layer.digest}) of the manifest was never written`);
    }
    await this.blobs.putBytes(image.config, 'config');
    const stored = await this.blobs.putBytes({ ...image.manifest, mediaType: parsed.mediaType }, 'manifest');
    const desc: IndexEntry = { mediaType: parsed.mediaType, digest: stored.digest, size: stored.size };
    if (tag !== undefined) desc.annotations = { [REF_NAME]: tag };
    // A name points at one image: an entry that had it loses it, as skopeo does.
    const kept = this.entries.filter((e) =>
      tag === undefined
        ? e.digest !== stored.digest || e.annotations !== undefined
        : e.annotations?.[REF_NAME] !== tag,
    );
    this.entries = [...kept, desc];
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.entries };
    await this.writeRootFile('index.json', Buffer.from(JSON.stringify(index)));
    return { digest: stored.digest };
  }

  /** The layout as tar entries, in lexical order: blobs first, then index.json and oci-layout. */
  async tarEntries(): Promise<TarWriteEntry[]> {
    const dir = join(this.root, 'blobs', 'sha256');
    const names = (await readdir(dir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).sort();
    const blobs: TarWriteEntry[] = [];
    for (const hex of names) {
      const digest = `sha256:${hex}`;
      blobs.push({
        name: `blobs/sha256/${hex}`,
        type: 'file',
        path: this.blobs.path(digest),
        size: (await this.blobs.sizeOf(digest)) as number,
      });
    }
    return [
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/', type: 'directory' },
      ...blobs,
      { name: 'index.json', type: 'file', data: await readFile(join(this.root, 'index.json')) },
      { name: 'oci-layout', type: 'file', data: await readFile(join(this.root, 'oci-layout')) },
    ];
  }
}

function layoutDestination(
  name: string,
  layout: LayoutWriter,
  tag: string | undefined,
  finish: (write: boolean) => Promise<void>,
): ImageDestination {
  return {
    name,
    layerCompression: 'keep',
    hasBlob: (blob) => layout.blobs.has(blob),
    putBlob: (blob, content, onProgress) => layout.blobs.put(blob, content, onProgress),
    commitImage: (image) => layout.commit(image, tag),
    close: () => finish(true),
    abort: () => finish(false),
  };
}

function refuseDigest(loc: { transport: string; path: string; digest?: string }): void {
  if (loc.digest !== undefined) {
    throw new StrataError('usage', `${loc.transport}:${loc.path}@${loc.digest} selects an image to read`, {
      hint: `write with ${loc.transport}:${loc.path}:NAME`,
    });
  }
}

/**
 * Write images into an OCI image layout directory (`oci:DIR[:NAME]`), blobs as they come (compressed
 * or not). Each blob appears only once verified; index.json names the image NAME.
 */
export async function createOciLayoutDestination(
  loc: Extract<ImageLocation, { transport: 'oci' }>,
  _options: SourceOptions = {},
): Promise<ImageDestination> {
  refuseDigest(loc);
  const layout = await LayoutWriter.open(loc.path, loc.path);
  // Blobs already in place are complete and verified; only temp files need removing on abort.
  return layoutDestination(formatLocation(loc), layout, loc.tag, () => layout.blobs.removeTemps());
}

/**
 * Write images into an OCI layout inside a tar file (`oci-archive:FILE[:NAME]`). The layout is built
 * in a stage beside FILE and archived at close; abort or a failure leaves no FILE.
 */
export async function createOciArchiveDestination(
  loc: Extract<ImageLocation, { transport: 'oci-archive' }>,
  _options: SourceOptions = {},
): Promise<ImageDestination> {
  refuseDigest(loc);
  const staged = await StagedTarget.beside(loc.path, loc.path);
  let layout: LayoutWriter;
  try {
    layout = await LayoutWriter.open(join(staged.dir, 'layout'), loc.path);
  } catch (err) {
    await staged.remove();
    throw err;
  }
  let committed = 0;
  let finished = false;
  const finish = async (write: boolean) => {
    if (finished) return;
    finished = true;
    try {
      if (write && committed > 0) await staged.commitStream(tarStream(await layout.tarEntries()));
    } finally {
      await staged.remove();
    }
  };
  const dest = layoutDestination(formatLocation(loc), layout, loc.tag, finish);
  return {
    ...dest,
    async commitImage(image) {
      const result = await layout.commit(image, loc.tag);
      committed++;
      return result;
    },
  };
}
