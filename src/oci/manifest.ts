import { StrataError, invalid, unsupported } from '../errors.js';
import { parseDigest } from './digest.js';
import { INDEX_TYPES, MANIFEST_TYPES, MediaType, SCHEMA1_TYPES } from './mediatypes.js';
import type { Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** Bytes exactly as received, with the digest they hash to and the media type they were served as. */
export interface RawBlob {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

export function parseJSON(bytes: Uint8Array, what: string): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  if (text.trim() === '') throw invalid(`${what} is empty`);
  try {
    return JSON.parse(text);
  } catch (err) {
    // Node words a cut-off document either way: "Unexpected end" or an error at the very last position.
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const truncated =
      /Unexpected end of JSON input|Unterminated/.test(message) ||
      (at !== null && Number(at[1]) >= text.length);
    throw invalid(`${what} is ${truncated ? 'truncated' : 'not valid JSON'}: ${(err as Error).message}`, err);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) throw invalid(`${what} is not an object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string') throw invalid(`${what} has no mediaType`);
  if (typeof digest !== 'string') throw invalid(`${what} has no digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${what} has no valid size`);
  }
  parseDigest(digest, `${what} digest`);
  const d: Descriptor = { mediaType, digest, size };
  if (Array.isArray(value.urls)) d.urls = value.urls.filter((u): u is string => typeof u === 'string');
  if (isObject(value.annotations)) d.annotations = value.annotations as Record<string, string>;
  if (isObject(value.platform)) d.platform = value.platform as unknown as Platform;
  if (typeof value.artifactType === 'string') d.artifactType = value.artifactType;
  return d;
}

/**
 * Parse a manifest or index. The served media type (Content-Type, or the descriptor that pointed at
 * it) wins over the body's own mediaType field; when neither is useful, the shape decides.
 */
export function parseManifest(
  bytes: Uint8Array,
  servedType: string | undefined,
  what = 'manifest',
): ParsedManifest {
  const json = parseJSON(bytes, what);
  if (!isObject(json)) throw invalid(`${what} is not a JSON object`);
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const served = servedType?.split(';')[0]?.trim();
  if (
    json.schemaVersion === 1 ||
    (served !== undefined && SCHEMA1_TYPES.includes(served) && json.schemaVersion !== 2)
  ) {
    throw unsupported(
      `${what} is a Docker schema 1 manifest, which strata does not read`,
      'schema 1 was deprecated in 2017; push the image again with a current Docker or skopeo',
    );
  }
  if (json.schemaVersion !== 2)
    throw invalid(`${what} has schemaVersion ${String(json.schemaVersion)}, want 2`);

  let mediaType = [served, bodyType].find(
    (t) => t !== undefined && (INDEX_TYPES.includes(t) || MANIFEST_TYPES.includes(t)),
  );
  if (mediaType === undefined) {
    if (
      served !== undefined &&
      served !== 'application/json' &&
      served !== 'application/octet-stream' &&
      served !== ''
    ) {
      throw unsupported(`${what} has media type ${served}, which is not an image manifest or index`);
    }
    if (Array.isArray(json.manifests)) mediaType = MediaType.ociIndex;
    else if (isObject(json.config)) mediaType = MediaType.ociManifest;
    else throw invalid(`${what} is neither an image manifest nor an index`);
  }
  if (
    bodyType !== undefined &&
    served !== undefined &&
    bodyType !== served &&
    MANIFEST_TYPES.concat(INDEX_TYPES).includes(served)
  ) {
    throw invalid(`${what} was served as ${served} but says it is ${bodyType}`);
  }

  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(json.manifests)) throw invalid(`${what} (an index) has no manifests list`);
    const manifests = json.manifests.map((m, i) => parseDescriptor(m, `${what} entry ${i}`));
    const index: ImageIndex = { schemaVersion: 2, mediaType: bodyType, manifests };
    if (isObject(json.annotations)) index.annotations = json.annotations as Record<string, string>;
    return { kind: 'index', mediaType, index };
  }
  if (!isObject(json.config)) throw invalid(`${what} has no config descriptor`);
  if (!Array.isArray(json.layers)) throw invalid(`${what} has no layers list`);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: bodyType,
    config: parseDescriptor(json.config, `${what} config`),
    layers: json.layers.map((l, i) => parseDescriptor(l, `${what} layer ${i}`)),
  };
  if (typeof json.artifactType === 'string') manifest.artifactType = json.artifactType;
  if (isObject(json.annotations)) manifest.annotations = json.annotations as Record<string, string>;
  if (json.subject !== undefined) manifest.subject = parseDescriptor(json.subject, `${what} subject`);
  return { kind: 'manifest', mediaType, manifest };
}

export function expectImageManifest(parsed: ParsedManifest, what: string): ImageManifest {
  if (parsed.kind !== 'manifest')
    throw new StrataError('invalid', `${what} is an index where an image manifest was expected`);
  return parsed.manifest;
}
