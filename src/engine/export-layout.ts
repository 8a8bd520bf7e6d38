/**
 * What a scanned `docker save` export holds for one image: the config, the manifest and each layer's
 * entry. Pure: works on the entries export-scan.ts collected. Handles the legacy shape (Engine ≤ 24:
 * <id>.json, <v1id>/layer.tar, symlinks for repeated layers) and the OCI-style shape (Engine 25+:
 * blobs/sha256/…, index.json, an OCI manifest blob per image); both carry manifest.json.
 */
import { posix } from 'node:path';
import {
  type DockerSaveItem,
  parseDockerSaveManifest,
  parseLayoutIndex,
} from '../archive/docker-save-manifest.js';
import { invalid } from '../errors.js';
import { parseImageConfig } from '../oci/config.js';
import { digestMismatch, sha256 } from '../oci/digest.js';
import { parseManifest, type RawBlob } from '../oci/manifest.js';
import { MediaType, isManifestType } from '../oci/mediatypes.js';
import type { ExportEntry } from './export-scan.js';

export interface ExportLayer {
  /** Entry that holds the layer tar, links already followed. */
  path: string;
  digest: string;
  size: number;
}

export interface ExportLayout {
  config: RawBlob;
  manifest: RawBlob;
  layers: ExportLayer[];
}

/** The file entry a path names, following symlinks (relative to their dir) and hard links. */
export function resolveEntry(
  entries: ReadonlyMap<string, ExportEntry>,
  path: string,
): ExportEntry | undefined {
  let name = posix.normalize(path).replace(/^\.\//, '');
  for (let hops = 0; hops < 16; hops++) {
    const entry = entries.get(name);
    if (entry === undefined || entry.linkname === undefined)
      return entry?.type === 'file' ? entry : undefined;
    name =
      entry.type === 'symlink'
        ? posix.normalize(posix.join(posix.dirname(name), entry.linkname))
        : posix.normalize(entry.linkname).replace(/^\.\//, '');
  }
  return undefined;
}

function pickItem(
  items: DockerSaveItem[],
  entries: ReadonlyMap<string, ExportEntry>,
  imageId: string,
  what: string,
): { item: DockerSaveItem; config: ExportEntry } {
  const candidates = items.map((item) => ({ item, config: resolveEntry(entries, item.config) }));
  for (const c of candidates) {
    if (c.config?.digest === imageId) return { item: c.item, config: c.config };
  }
  const only = candidates.length === 1 ? candidates[0]?.config : undefined;
  if (only?.digest !== undefined) throw digestMismatch(`${what}: image config`, imageId, only.digest);
  throw invalid(`${what}: no image in it has the config ${imageId}`);
}

/** The OCI manifest blob (25+ shape) whose config is the image, from index.json; undefined if none. */
function ociManifest(entries: ReadonlyMap<string, ExportEntry>, imageId: string, what: string) {
  const indexBytes = entries.get('index.json')?.bytes;
  if (indexBytes === undefined) return undefined;
  const index = parseLayoutIndex(indexBytes, `${what}: index.json`);
  for (const desc of index.manifests) {
    if (!isManifestType(desc.mediaType)) continue;
    const [alg, hex] = desc.digest.split(':');
    const blob = entries.get(`blobs/${alg}/${hex}`);
    if (blob?.bytes === undefined) continue;
    if (blob.digest !== desc.digest)
      throw digestMismatch(`${what}: manifest blob`, desc.digest, blob.digest ?? '');
    const parsed = parseManifest(blob.bytes, desc.mediaType, `${what}: manifest ${desc.digest}`);
    if (parsed.kind === 'manifest' && parsed.manifest.config.digest === imageId) {
      return {
        blob: { bytes: blob.bytes, digest: desc.digest, mediaType: desc.mediaType },
        configType: parsed.manifest.config.mediaType,
      };
    }
  }
  return undefined;
}

/**
 * Locate the image in the export and check it: the config must hash to the image ID, and each layer
 * entry to the config's diffID at its position.
 */
export function readExportLayout(
  entries: ReadonlyMap<string, ExportEntry>,
  imageId: string,
  what: string,
): ExportLayout {
  const manifestBytes = entries.get('manifest.json')?.bytes;
  if (manifestBytes === undefined) throw invalid(`${what} has no manifest.json`);
  const items = parseDockerSaveManifest(manifestBytes, `${what}: manifest.json`);
  const { item, config } = pickItem(items, entries, imageId, what);
  if (config.bytes === undefined)
    throw invalid(`${what}: the image config ${item.config} is not a JSON document`);
  const diffIDs = parseImageConfig(config.bytes, `${what}: image config`).rootfs.diff_ids;
  if (item.layers.length !== diffIDs.length) {
    throw invalid(
      `${what}: manifest.json lists ${item.layers.length} layers but the config has ${diffIDs.length}`,
    );
  }
  const layers = item.layers.map((path, i): ExportLayer => {
    const entry = resolveEntry(entries, path);
    if (entry?.digest === undefined) throw invalid(`${what}: layer ${i} (${path}) is not in the export`);
    if (entry.digest !== diffIDs[i])
      throw digestMismatch(`${what}: layer ${i} (${path})`, diffIDs[i]!, entry.digest);
    return { path: entry.name, digest: entry.digest, size: entry.size };
  });
  const oci = ociManifest(entries, imageId, what);
  const manifest: RawBlob = oci?.blob ?? {
    bytes: manifestBytes,
    digest: sha256(manifestBytes),
    mediaType: 'application/json',
  };
  const configType = oci?.configType ?? MediaType.dockerConfig;
  return { config: { bytes: config.bytes, digest: imageId, mediaType: configType }, manifest, layers };
}
