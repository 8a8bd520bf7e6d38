/**
 * strata's own image store: an OCI image layout (what skopeo and umoci read) with a Docker-shaped
 * layer database beside it. Every change to index.json or the layer database happens under the
 * store-wide lock; blobs are written lock-free (atomic renames of verified files), with a per-blob
 * claim so that two processes wanting the same blob fetch it once.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Readable, pipeline } from 'node:stream';
import { READ_CHUNK } from '../archive/file-range.js';
import { LayerFactsCache } from '../cache/layer-facts.js';
import { strataRoot } from '../cache/paths.js';
import { StrataError, fromSystemError, invalid, notFound } from '../errors.js';
import { chainIDs } from '../oci/chainid.js';
import { type ImageConfig, parseImageConfig } from '../oci/config.js';
import { VerifyingStream, parseDigest, verifyBytes } from '../oci/digest.js';
import { type ImageManifest, expectImageManifest, parseManifest } from '../oci/manifest.js';
import { MediaType, layerTypeInfo } from '../oci/mediatypes.js';
import { formatReference, parseReference } from '../reference/reference.js';
import type { BlobFile, BlobInfo, BlobInput, BlobProgress, ImageToCommit } from '../transports/types.js';
import { blobFile, blobSize, cleanIngest, listBlobs, writeBlob, writeSmallBlob } from './blobs.js';
import { type GcResult, imageBlobs, sweep } from './gc.js';
import { OCI_LAYOUT_BYTES, StorePaths, ensureDir, writeFileAtomic } from './layout.js';
import { cleanLayerdbTmp, readLayerEntry, writeLayerEntry } from './layerdb.js';
import { acquireLock, withLock } from './lock.js';
import {
  type StoredImage,
  addImage,
  normalizeRepoDigest,
  normalizeTag,
  parseStoreIndex,
  removeImageRecord,
  removeTag,
  repositoryOf,
  serializeStoreIndex,
} from './refs.js';
import { type StoreProblem, verifyStore } from './verify.js';
import { needsView, ociView } from './view.js';

/** An image of the store with its documents read and checked. */
export interface StoreImage {
  record: StoredImage;
  /** Image ID: the config digest. */
  id: string;
  manifestDigest: string;
  manifestBytes: Buffer;
  manifest: ImageManifest;
  configBytes: Buffer;
  config: ImageConfig;
  diffIDs: string[];
  chainIDs: string[];
}

export interface ImageSummary {
  id: string;
  manifestDigest: string;
  /** Familiar, as Docker lists them (busybox:latest). */
  repoTags: string[];
  repoDigests: string[];
  /** The config's created time. */
  created?: string;
  /** Sum of the layers' unpacked sizes (layerdb). */
  size: number;
  /** Unpacked bytes of layers that other images use too. */
  sharedSize: number;
}

export interface RemoveResult {
  /** Familiar references removed, as `docker rmi` prints "Untagged:". */
  untagged: string[];
  /** Image ID then the chain IDs freed, as `docker rmi` prints "Deleted:". */
  deleted: string[];
}

export interface StoreUsage {
  images: number;
  /** Layer database entries in use. */
  layers: number;
  blobs: number;
  /** Bytes of every file under blobs/. */
  blobBytes: number;
  /** Layer blob bytes used by exactly one image. */
  uniqueBytes: number;
  /** Layer blob bytes used by several images (counted once). */
  sharedBytes: number;
  /** What sharing saves: bytes the shared layers would take again if each image had its own copy. */
  savedBytes: number;
  /** Bytes of blobs no image reaches (what gc would free). */
  reclaimableBytes: number;
}

export type BlobClaim = { present: true } | { present: false; release(): Promise<void> };

const HEX_PREFIX = /^(?:sha256:)?([a-f0-9]{4,64})$/;
const MIN_PREFIX = 4;

function familiar(ref: string): string {
  return formatReference(parseReference(ref), true);
}

export class Store {
  readonly paths: StorePaths;
  readonly what: string;

  /** What scans learned of layers, by diffID: where the layer database's sizes come from. */
  readonly facts: LayerFactsCache;

  private constructor(readonly root: string) {
    this.paths = new StorePaths(root);
    this.what = `the store ${root}`;
    this.facts = new LayerFactsCache(this.paths.factsDir);
  }

  /** Open (creating if needed) the store at root; removes what killed writers left behind. */
  static async open(root: string = strataRoot()): Promise<Store> {
    const store = new Store(root);
    const { paths } = store;
    await ensureDir(paths.blobDir, store.what);
    await ensureDir(paths.lockDir, store.what);
    await store.locked(async () => {
      const layout = await readFile(paths.layoutFile).catch(() => undefined);
      if (layout === undefined) await writeFileAtomic(paths.layoutFile, OCI_LAYOUT_BYTES, store.what);
      const index = await readFile(paths.indexFile).catch(() => undefined);
      if (index === undefined) await writeFileAtomic(paths.indexFile, serializeStoreIndex([]), store.what);
      await cleanIngest(paths);
      await cleanLayerdbTmp(paths);
    });
    return store;
  }

  /** Run fn under the store-wide lock (index.json, layer database, GC). */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.paths.storeLock, { what: this.what }, fn);
  }

  // ---- blobs ----

  async hasBlob(digest: string, size?: number): Promise<boolean> {
    const have = await blobSize(this.paths, digest);
    return have !== undefined && (size === undefined || have === size);
  }

  putBlob(input: BlobInput, content: Readable, onProgress?: BlobProgress): Promise<BlobInfo> {
    return writeBlob(this.paths, input, content, onProgress);
  }

  /** A partial file for a blob written elsewhere, renamed into blobs/ by its commit(). */
  blobFile(blob: BlobInfo): Promise<BlobFile> {
    return blobFile(this.paths, blob);
  }

  /**
   * Claim a blob before fetching it. When another process is fetching the same blob this waits for
   * it, then finds the blob present. Otherwise the caller holds the claim until release().
   */
  async claimBlob(digest: string, options: { timeoutMs?: number } = {}): Promise<BlobClaim> {
    parseDigest(digest, 'blob digest');
    if (await this.hasBlob(digest)) return { present: true };
    const lock = await acquireLock(this.paths.blobLock(digest), {
      timeoutMs: options.timeoutMs ?? 30 * 60_000,
      what: `blob ${digest} in ${this.what}`,
    });
    if (await this.hasBlob(digest)) {
      await lock.release();
      return { present: true };
    }
    return { present: false, release: () => lock.release() };
  }

  /** A small blob, read whole and checked against its digest. */
  async readBlob(digest: string, what = `blob ${digest}`): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.paths.blob(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`${this.what} has no ${what}`);
      throw fromSystemError(err, `${this.what}: ${what}`);
    }
    verifyBytes(bytes, digest, `${this.what}: ${what}`);
    return bytes;
  }

  /**
   * Stream a blob; the stream fails at its end if the bytes do not hash to the digest (with `hash: false`,
   * for a reader that hashes them itself, only if their length is wrong).
   */
  async openBlob(
    digest: string,
    what = `blob ${digest}`,
    options: { hash?: boolean } = {},
  ): Promise<Readable> {
    const size = await blobSize(this.paths, digest);
    if (size === undefined) throw notFound(`${this.what} has no ${what}`);
    const verifier = new VerifyingStream(digest, size, `${this.what}: ${what}`, options);
    pipeline(createReadStream(this.paths.blob(digest), { highWaterMark: READ_CHUNK }), verifier, () => {});
    return verifier;
  }

  // ---- images ----

  async records(): Promise<StoredImage[]> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(this.paths.indexFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, this.what);
    }
    return parseStoreIndex(bytes, `${this.what}: index.json`);
  }

  private async writeRecords(before: StoredImage[], after: StoredImage[]): Promise<void> {
    const bytes = serializeStoreIndex(after);
    if (bytes.equals(serializeStoreIndex(before))) return;
    await writeFileAtomic(this.paths.indexFile, bytes, `${this.what}: index.json`);
  }

  /** Read an image's manifest and config (verified). */
  async load(record: StoredImage): Promise<StoreImage> {
    const d = record.manifest.digest;
    const manifestBytes = await this.readBlob(d, `manifest ${d}`);
    const manifest = expectImageManifest(
      parseManifest(manifestBytes, record.manifest.mediaType, `${this.what}: manifest ${d}`),
      `${this.what}: manifest ${d}`,
    );
    const configBytes = await this.readBlob(manifest.config.digest, `config ${manifest.config.digest}`);
    const config = parseImageConfig(configBytes, `${this.what}: config ${manifest.config.digest}`);
    const diffIDs = config.rootfs.diff_ids;
    return {
      record,
      id: manifest.config.digest,
      manifestDigest: d,
      manifestBytes,
      manifest,
      configBytes,
      config,
      diffIDs,
      chainIDs: chainIDs(diffIDs),
    };
  }

  async images(): Promise<StoreImage[]> {
    return Promise.all((await this.records()).map((r) => this.load(r)));
  }

  /** Find an image by reference, repo@digest, image ID or unambiguous ID prefix. */
  async resolveImage(name: string): Promise<StoreImage> {
    return (await this.lookup(name)).image;
  }

  private async lookup(
    name: string,
  ): Promise<{ image: StoreImage; via: 'tag' | 'digest' | 'id'; ref?: string }> {
    const records = await this.records();
    let ref: ReturnType<typeof parseReference> | undefined;
    try {
      ref = parseReference(name);
    } catch {
      ref = undefined;
    }
    if (ref?.digest !== undefined) {
      const wanted = normalizeRepoDigest(name);
      const repo = repositoryOf(name);
      const hit =
        records.find((r) => r.repoDigests.includes(wanted)) ??
        records.find(
          (r) => r.manifest.digest === ref.digest && r.tags.some((t) => repositoryOf(t.ref) === repo),
        );
      if (hit) return { image: await this.load(hit), via: 'digest', ref: wanted };
    } else if (ref !== undefined) {
      const tag = formatReference(ref);
      const hit = records.find((r) => r.tags.some((t) => t.ref === tag));
      if (hit) return { image: await this.load(hit), via: 'tag', ref: tag };
    }
    const prefix = HEX_PREFIX.exec(name)?.[1];
    if (prefix !== undefined && prefix.length >= MIN_PREFIX) {
      const images = await Promise.all(records.map((r) => this.load(r)));
      const ids = new Set(images.filter((i) => i.id.slice(7).startsWith(prefix)).map((i) => i.id));
      if (ids.size > 1)
        throw new StrataError(
          'usage',
          `image ID prefix "${name}" is ambiguous: it matches ${ids.size} images`,
        );
      const image = images.find((i) => ids.has(i.id));
      if (image) return { image, via: 'id' };
    }
    throw notFound(`no image ${name} in ${this.what}`);
  }

  async listImages(): Promise<ImageSummary[]> {
    const images = await this.images();
    const users = new Map<string, number>();
    for (const image of images)
      for (const c of new Set(image.chainIDs)) users.set(c, (users.get(c) ?? 0) + 1);
    const sizes = new Map<string, number>();
    for (const c of users.keys()) sizes.set(c, (await readLayerEntry(this.paths, c))?.size ?? 0);
    return images.map((image) => {
      const chains = [...new Set(image.chainIDs)];
      const summary: ImageSummary = {
        id: image.id,
        manifestDigest: image.manifestDigest,
        repoTags: image.record.tags.map((t) => familiar(t.ref)),
        repoDigests: [...image.record.repoDigests],
        size: chains.reduce((sum, c) => sum + (sizes.get(c) ?? 0), 0),
        sharedSize: chains
          .filter((c) => (users.get(c) ?? 0) > 1)
          .reduce((sum, c) => sum + (sizes.get(c) ?? 0), 0),
      };
      if (image.config.created !== undefined) summary.created = image.config.created;
      return summary;
    });
  }

  /**
   * Unpacked sizes per layer from the layer database, or undefined while a layer is unregistered. A layer
   * whose tar some scan has read since (its facts are cached by diffID) is registered on the way.
   */
  async layerSizes(image: StoreImage): Promise<number[] | undefined> {
    const { sizes, registered } = await this.sizesOf(image);
    if (sizes.some((s) => s === undefined)) return undefined;
    if (!registered) await this.locked(() => this.writeEntries(image, sizes));
    return sizes as number[];
  }

  /** Each layer's unpacked size from its layer database entry or the facts cache; undefined if neither. */
  async knownSizes(image: StoreImage): Promise<Array<number | undefined>> {
    return (await this.sizesOf(image)).sizes;
  }

  /** knownSizes, and whether every layer already has its entry (nothing to register). */
  private async sizesOf(
    image: StoreImage,
  ): Promise<{ sizes: Array<number | undefined>; registered: boolean }> {
    const entries = await Promise.all(image.chainIDs.map((c) => readLayerEntry(this.paths, c)));
    const sizes = await Promise.all(
      entries.map(
        async (entry, i) => entry?.size ?? (await this.facts.get(image.diffIDs[i] as string))?.unpackedSize,
      ),
    );
    return { sizes, registered: entries.every((e) => e !== undefined) };
  }

  /**
   * Write the layer database entries an image lacks, from the base up, for as long as its layers' sizes
   * are known (an entry's parent is always recorded). A size is known only once the layer's tar was read
   * and matched its diffID.
   */
  async register(
    image: Pick<StoreImage, 'diffIDs' | 'chainIDs'>,
    sizes: ReadonlyArray<number | undefined>,
  ): Promise<void> {
    // Callers (registerLayers, a source told its sizes) may find nothing missing: no lock then.
    const entries = await Promise.all(image.chainIDs.map((c) => readLayerEntry(this.paths, c)));
    if (entries.every((e) => e !== undefined)) return;
    await this.locked(() => this.writeEntries(image, sizes));
  }

  /** register()'s work; the caller holds the lock. */
  private async writeEntries(
    { diffIDs, chainIDs: chains }: Pick<StoreImage, 'diffIDs' | 'chainIDs'>,
    sizes: ReadonlyArray<number | undefined>,
  ): Promise<void> {
    for (const [i, chainID] of chains.entries()) {
      const size = sizes[i];
      if (size === undefined) return;
      const entry = { chainID, diffID: diffIDs[i] as string, size };
      await writeLayerEntry(this.paths, i > 0 ? { ...entry, parent: chains[i - 1] } : entry);
    }
  }

  /** Point newRef (a tag) at an image; the image it pointed at before may become dangling. */
  async tag(nameOrId: string, newRef: string): Promise<void> {
    const tag = normalizeTag(newRef);
    await this.locked(async () => {
      const image = await this.resolveImage(nameOrId);
      const before = await this.records();
      const { manifest, view } = image.record;
      const after = addImage(before, manifest, { tag, view, now: new Date().toISOString() });
      await this.writeRecords(before, after);
    });
  }

  /** Remove a tag; its image stays, dangling if it was the last tag. */
  async untag(ref: string): Promise<void> {
    const tag = normalizeTag(ref);
    await this.locked(async () => {
      const before = await this.records();
      if (!before.some((r) => r.tags.some((t) => t.ref === tag)))
        throw notFound(`no image tagged ${familiar(tag)} in ${this.what}`);
      await this.writeRecords(before, removeTag(before, tag));
    });
  }

  /** Docker's rmi: a reference untags; an image left without references is deleted with its blobs. */
  async removeImage(nameOrId: string, options: { force?: boolean } = {}): Promise<RemoveResult> {
    return this.locked(async () => {
      const { image, via, ref } = await this.lookup(nameOrId);
      const before = await this.records();
      const record = before.find((r) => r.manifest.digest === image.manifestDigest) as StoredImage;
      const plan = planRemoval(record, image.id, via, ref, options.force === true);
      let after = before.map((r) => (r === record ? plan.record : r));
      const result: RemoveResult = { untagged: plan.untagged, deleted: [] };
      if (plan.delete) {
        after = removeImageRecord(after, record.manifest.digest);
        await this.writeRecords(before, after);
        const freed = await this.sweepAfter(after, imageBlobs([image]), image.chainIDs);
        result.deleted = [image.id, ...freed.layers];
      } else {
        await this.writeRecords(before, after);
      }
      return result;
    });
  }

  /** Free what no image reaches any more, among candidates (all when undefined). Caller holds the lock. */
  private async sweepAfter(
    records: StoredImage[],
    blobCandidates?: Iterable<string>,
    chainCandidates?: Iterable<string>,
  ): Promise<GcResult> {
    const keep = await Promise.all(records.map((r) => this.load(r)));
    return sweep(this.paths, keep, { blobs: blobCandidates, chains: chainCandidates });
  }

  /** Delete every blob and layer database entry no image in index.json reaches. */
  async gc(): Promise<GcResult> {
    return this.locked(async () => {
      await cleanIngest(this.paths);
      return this.sweepAfter(await this.records());
    });
  }

  async df(): Promise<StoreUsage> {
    const images = await this.images();
    const blobs = await listBlobs(this.paths);
    const sizeOf = new Map<string, number>();
    for (const d of blobs) sizeOf.set(d, (await blobSize(this.paths, d)) ?? 0);
    const layerUsers = new Map<string, number>();
    for (const image of images)
      for (const d of new Set(image.manifest.layers.map((l) => l.digest)))
        layerUsers.set(d, (layerUsers.get(d) ?? 0) + 1);
    const reachable = imageBlobs(images);
    const usage: StoreUsage = {
      images: images.length,
      layers: new Set(images.flatMap((i) => i.chainIDs)).size,
      blobs: blobs.length,
      blobBytes: 0,
      uniqueBytes: 0,
      sharedBytes: 0,
      savedBytes: 0,
      reclaimableBytes: 0,
    };
    for (const [d, size] of sizeOf) {
      usage.blobBytes += size;
      if (!reachable.has(d)) usage.reclaimableBytes += size;
      const n = layerUsers.get(d) ?? 0;
      if (n === 1) usage.uniqueBytes += size;
      if (n > 1) {
        usage.sharedBytes += size;
        usage.savedBytes += size * (n - 1);
      }
    }
    return usage;
  }

  /** Check every blob, every image's documents and every layer database entry. Empty when clean. */
  async verify(): Promise<StoreProblem[]> {
    return verifyStore(this);
  }

  // ---- commit ----

  /**
   * Record an image whose layer blobs are in place: write manifest (and its OCI view when it is
   * Docker-typed), config and index blobs, the layer database entries of the layers whose sizes are
   * known (see register), then (under the store lock) point its tags at it. Idempotent. Returns the
   * digest of the manifest as received.
   */
  async commitImage(image: ImageToCommit): Promise<{ digest: string }> {
    const what = `${this.what}: new manifest`;
    const parsed = parseManifest(image.manifest.bytes, image.manifest.mediaType, what);
    const manifest = expectImageManifest(parsed, what);
    if (manifest.config.digest !== image.config.digest)
      throw invalid(
        `${this.what}: the manifest's config ${manifest.config.digest} is not ${image.config.digest}`,
      );
    const view = needsView(parsed.mediaType) ? ociView(image.manifest.bytes, what) : undefined;
    const blobs = [
      image.config,
      image.manifest,
      ...(view ? [{ ...view, mediaType: MediaType.ociManifest }] : []),
      ...(image.index ? [image.index] : []),
    ];
    for (const b of blobs) {
      verifyBytes(b.bytes, b.digest, `${this.what}: ${b.mediaType} ${b.digest}`);
      await writeSmallBlob(this.paths, b.mediaType, b.bytes);
    }
    const diffIDs = image.layers.map((l) => l.diffID);
    const layers = { diffIDs, chainIDs: chainIDs(diffIDs) };
    const sizes = await Promise.all(
      image.layers.map(async (l) => l.unpackedSize ?? (await this.facts.get(l.diffID))?.unpackedSize),
    );
    const tags = image.tags.map(normalizeTag);
    const repoDigest = image.repoDigest === undefined ? undefined : normalizeRepoDigest(image.repoDigest);
    await this.locked(async () => {
      // A GC that ran since the blobs were written may have taken them: check under the lock.
      for (const [i, d] of manifest.layers.entries()) {
        if (!(await this.hasBlob(d.digest)) && !layerTypeInfo(d.mediaType)?.foreign)
          throw invalid(`${this.what}: layer ${i} (${d.digest}) is missing; copy it again`);
      }
      for (const b of blobs)
        if (!(await this.hasBlob(b.digest)))
          throw invalid(`${this.what}: ${b.digest} vanished; copy it again`);
      await this.writeEntries(layers, sizes);
      const before = await this.records();
      const desc = {
        mediaType: parsed.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
      };
      const now = new Date().toISOString();
      const viewDesc = view && { digest: view.digest, size: view.bytes.length };
      const common = { repoDigest, index: image.index?.digest, view: viewDesc, now };
      let after = addImage(before, desc, common);
      for (const tag of tags) after = addImage(after, desc, { ...common, tag });
      await this.writeRecords(before, after);
    });
    return { digest: image.manifest.digest };
  }
}

/** Docker's rmi rules for one image: what is untagged, and whether the image goes. Pure. */
export function planRemoval(
  record: StoredImage,
  id: string,
  via: 'tag' | 'digest' | 'id',
  ref: string | undefined,
  force: boolean,
): { record: StoredImage; untagged: string[]; delete: boolean } {
  const allRefs = [...record.tags.map((t) => t.ref), ...record.repoDigests];
  if (via === 'id') {
    const repos = new Set(allRefs.map(repositoryOf));
    if (repos.size > 1 && !force) {
      throw new StrataError(
        'usage',
        `unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    return {
      record: { ...record, tags: [], repoDigests: [] },
      untagged: allRefs.map(familiar),
      delete: true,
    };
  }
  const removed = ref as string;
  const repo = repositoryOf(removed);
  const tags = record.tags.filter((t) => t.ref !== removed);
  let repoDigests = record.repoDigests.filter((d) => d !== removed);
  const untagged = [familiar(removed)];
  // As Docker: once a repository has no tag left, its digest references go too.
  if (via === 'tag' && !tags.some((t) => repositoryOf(t.ref) === repo)) {
    untagged.push(...repoDigests.filter((d) => repositoryOf(d) === repo));
    repoDigests = repoDigests.filter((d) => repositoryOf(d) !== repo);
  }
  return {
    record: { ...record, tags, repoDigests },
    untagged,
    delete: tags.length === 0 && repoDigests.length === 0,
  };
}
