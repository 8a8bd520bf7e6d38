/**
 * The store's index.json as a list of images, and the pure operations on it (tag, untag, record a
 * repository digest, delete). One descriptor per tag; an image without tags keeps one descriptor
 * without a ref name (Docker's dangling <none> image).
 */
import { invalid } from '../errors.js';
import { parseDigest } from '../oci/digest.js';
import { type Descriptor, parseDescriptor, parseJSON } from '../oci/manifest.js';
import { MediaType } from '../oci/mediatypes.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { Annotation } from './layout.js';

export interface StoredTag {
  /** Fully qualified: docker.io/library/busybox:latest. */
  ref: string;
  /** When the tag was set (RFC 3339). */
  created: string;
}

export interface StoredImage {
  /** The manifest as received: strata's truth, and the image's identity in the store. */
  manifest: { mediaType: string; digest: string; size: number };
  /** The OCI view index.json points at instead, when the manifest is Docker-typed (see view.ts). */
  view?: { digest: string; size: number };
  tags: StoredTag[];
  /** Familiar repo@sha256:… as Docker lists RepoDigests. */
  repoDigests: string[];
  /** Digest of the index the manifest was chosen from, if any. */
  index?: string;
}

/** A tag reference, fully qualified; digests are refused. */
export function normalizeTag(text: string): string {
  const ref = parseReference(text);
  if (ref.digest !== undefined) throw invalid(`"${text}" is a digest reference, not a tag`);
  return formatReference(ref);
}

/** A repo@digest in the familiar form Docker lists. */
export function normalizeRepoDigest(text: string): string {
  const ref = parseReference(text);
  if (ref.digest === undefined) throw invalid(`"${text}" is not a repo@digest reference`);
  return formatReference({ ...ref, tag: undefined }, true);
}

function parseRepoDigests(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The image a descriptor stands for. A view's descriptor names its original by annotation; only Docker
 * schema 2 manifests get views, so that is the original's media type.
 */
function imageOf(d: Descriptor, what: string): StoredImage {
  const a = d.annotations ?? {};
  const original = a[Annotation.manifest];
  const size = Number(a[Annotation.manifestSize]);
  if (original === undefined) {
    return {
      manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size },
      tags: [],
      repoDigests: [],
    };
  }
  parseDigest(original, `${what} ${Annotation.manifest}`);
  if (!Number.isSafeInteger(size) || size < 0)
    throw invalid(`${what} has no valid ${Annotation.manifestSize}`);
  return {
    manifest: { mediaType: MediaType.dockerManifest, digest: original, size },
    view: { digest: d.digest, size: d.size },
    tags: [],
    repoDigests: [],
  };
}

/** Group index.json descriptors into images (by the original manifest), in order of first appearance. */
export function parseStoreIndex(bytes: Uint8Array | undefined, what: string): StoredImage[] {
  if (bytes === undefined) return [];
  const json = parseJSON(bytes, what) as { manifests?: unknown };
  if (!Array.isArray(json.manifests)) throw invalid(`${what} has no manifests list`);
  const byDigest = new Map<string, StoredImage>();
  json.manifests.forEach((value, i) => {
    const d: Descriptor = parseDescriptor(value, `${what}: entry ${i}`);
    const a = d.annotations ?? {};
    const key = a[Annotation.manifest] ?? d.digest;
    let image = byDigest.get(key);
    if (image === undefined) {
      image = imageOf(d, `${what}: entry ${i}`);
      byDigest.set(key, image);
    }
    const ref = a[Annotation.refName];
    if (ref !== undefined && !image.tags.some((t) => t.ref === ref)) {
      image.tags.push({ ref, created: a[Annotation.created] ?? '' });
    }
    for (const rd of parseRepoDigests(a[Annotation.repoDigests]))
      if (!image.repoDigests.includes(rd)) image.repoDigests.push(rd);
    if (a[Annotation.index] !== undefined) image.index = a[Annotation.index];
  });
  return [...byDigest.values()];
}

function descriptorsOf(image: StoredImage): Descriptor[] {
  const shared: Record<string, string> = {};
  if (image.repoDigests.length > 0) shared[Annotation.repoDigests] = JSON.stringify(image.repoDigests);
  if (image.index !== undefined) shared[Annotation.index] = image.index;
  // A Docker manifest is listed through its OCI view, which names the original.
  const base =
    image.view === undefined ? { ...image.manifest } : { mediaType: MediaType.ociManifest, ...image.view };
  if (image.view !== undefined) {
    shared[Annotation.manifest] = image.manifest.digest;
    shared[Annotation.manifestSize] = String(image.manifest.size);
  }
  if (image.tags.length === 0) {
    return [Object.keys(shared).length > 0 ? { ...base, annotations: shared } : base];
  }
  return image.tags.map((t) => ({
    ...base,
    annotations: {
      [Annotation.refName]: t.ref,
      [Annotation.containerdName]: t.ref,
      ...shared,
      [Annotation.created]: t.created,
    },
  }));
}

/** index.json bytes for a list of images. Deterministic, so an unchanged list rewrites the same bytes. */
export function serializeStoreIndex(images: readonly StoredImage[]): Buffer {
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: images.flatMap(descriptorsOf),
  };
  return Buffer.from(`${JSON.stringify(index)}\n`);
}

const clone = (images: readonly StoredImage[]): StoredImage[] =>
  images.map((i) => {
    const copy = { ...i, tags: [...i.tags], repoDigests: [...i.repoDigests] };
    if (i.view !== undefined) copy.view = { ...i.view };
    return copy;
  });

/** The image a tag points at, if any. */
export function findByTag(images: readonly StoredImage[], ref: string): StoredImage | undefined {
  return images.find((i) => i.tags.some((t) => t.ref === ref));
}

/** Take a tag off whatever image holds it; that image stays, dangling if it was its last tag. */
export function removeTag(images: readonly StoredImage[], ref: string): StoredImage[] {
  return clone(images).map((i) => ({ ...i, tags: i.tags.filter((t) => t.ref !== ref) }));
}

/**
 * Make sure an image for this manifest exists (appended when new), then point `ref` at it (moving it
 * off another image). A tag already there keeps its time, so doing the same twice changes nothing.
 */
export function addImage(
  images: readonly StoredImage[],
  manifest: StoredImage['manifest'],
  options: { tag?: string; repoDigest?: string; index?: string; view?: StoredImage['view']; now: string },
): StoredImage[] {
  let out = clone(images);
  const { tag, repoDigest } = options;
  if (tag !== undefined && findByTag(out, tag)?.manifest.digest !== manifest.digest) {
    out = removeTag(out, tag);
  }
  if (repoDigest !== undefined) {
    out = out.map((i) =>
      i.manifest.digest === manifest.digest
        ? i
        : { ...i, repoDigests: i.repoDigests.filter((d) => d !== repoDigest) },
    );
  }
  let image = out.find((i) => i.manifest.digest === manifest.digest);
  if (image === undefined) {
    image = { manifest: { ...manifest }, tags: [], repoDigests: [] };
    out.push(image);
  }
  if (tag !== undefined && !image.tags.some((t) => t.ref === tag))
    image.tags.push({ ref: tag, created: options.now });
  if (repoDigest !== undefined && !image.repoDigests.includes(repoDigest)) image.repoDigests.push(repoDigest);
  if (options.index !== undefined) image.index = options.index;
  // An image committed before views existed gains one when committed again.
  if (options.view !== undefined) image.view = { ...options.view };
  return out;
}

export function removeImageRecord(images: readonly StoredImage[], manifestDigest: string): StoredImage[] {
  return clone(images).filter((i) => i.manifest.digest !== manifestDigest);
}

/** The repository part of a tag or repo@digest (familiar or not), fully qualified. */
export function repositoryOf(text: string): string {
  const ref = parseReference(text);
  return `${ref.domain}/${ref.path}`;
}
