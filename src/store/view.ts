/**
 * The OCI view of a Docker schema 2 manifest: the same document with OCI media types. skopeo and umoci
 * only follow OCI-typed index.json entries, so the store points index.json at the view while the
 * manifest as received stays the truth. Same config and layer blobs, so the same image.
 */
import { sha256 } from '../oci/digest.js';
import { type ImageManifest, parseJSON } from '../oci/manifest.js';
import { MediaType } from '../oci/mediatypes.js';

/** Docker media types and their OCI equivalents; any other type is kept as it is. */
const OCI_EQUIVALENT: Readonly<Record<string, string>> = {
  [MediaType.dockerManifest]: MediaType.ociManifest,
  [MediaType.dockerConfig]: MediaType.ociConfig,
  [MediaType.dockerLayer]: MediaType.ociLayer,
  [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip,
  [MediaType.dockerForeignLayerGzip]: MediaType.ociForeignLayerGzip,
};

/** Whether a manifest of this media type gets a view. */
export function needsView(mediaType: string): boolean {
  return mediaType === MediaType.dockerManifest;
}

function ociType(mediaType: unknown): unknown {
  return typeof mediaType === 'string' ? (OCI_EQUIVALENT[mediaType] ?? mediaType) : mediaType;
}

type Json = Record<string, unknown>;

function withOciType(desc: unknown): unknown {
  if (typeof desc !== 'object' || desc === null) return desc;
  const d = desc as Json;
  return { ...d, mediaType: ociType(d.mediaType) };
}

/**
 * The view's bytes. Every other field (digests, sizes, urls, annotations) is kept and key order is
 * preserved, so the same manifest always gives the same view (commits stay idempotent).
 */
export function ociView(original: Uint8Array, what: string): { bytes: Buffer; digest: string } {
  const doc = parseJSON(original, what) as Json;
  const view: Json = { ...doc, mediaType: MediaType.ociManifest };
  view.config = withOciType(doc.config);
  if (Array.isArray(doc.layers)) view.layers = doc.layers.map(withOciType);
  const bytes = Buffer.from(JSON.stringify(view));
  return { bytes, digest: sha256(bytes) };
}

/** Where a view disagrees with its original: it must name the same config and layer blobs. Pure. */
export function viewMismatches(view: ImageManifest, original: ImageManifest): string[] {
  const problems: string[] = [];
  if (view.mediaType !== MediaType.ociManifest)
    problems.push(`its media type is ${String(view.mediaType)}, not ${MediaType.ociManifest}`);
  if (view.config.digest !== original.config.digest || view.config.size !== original.config.size)
    problems.push(`its config ${view.config.digest} is not ${original.config.digest}`);
  if (view.layers.length !== original.layers.length)
    problems.push(`it has ${view.layers.length} layers, the original ${original.layers.length}`);
  for (const [i, layer] of view.layers.entries()) {
    const want = original.layers[i];
    if (want !== undefined && (layer.digest !== want.digest || layer.size !== want.size))
      problems.push(`its layer ${i} ${layer.digest} is not ${want.digest}`);
  }
  return problems;
}
