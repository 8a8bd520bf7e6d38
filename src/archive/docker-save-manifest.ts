/**
 * Pure parsing of the documents `docker save` writes (manifest.json, index.json, oci-layout) and
 * the choice of one image among several. Bytes in, typed items out; no I/O, so the docker-daemon
 * transport can use the same functions on a streamed save.
 */
import { StrataError, invalid, notFound, unsupported } from '../errors.js';
import {
  type Descriptor,
  type ImageIndex,
  parseDescriptor,
  parseJSON,
  parseManifest,
} from '../oci/manifest.js';
import { MediaType } from '../oci/mediatypes.js';
import { formatReference, parseReference } from '../reference/reference.js';

/** One image of a docker save archive, as its manifest.json lists it. */
export interface DockerSaveItem {
  /** Archive path of the config (`<hex>.json` in the legacy shape, `blobs/sha256/<hex>` in 25+). */
  config: string;
  /** Tags in familiar form; [] when the image was saved by ID (RepoTags null). */
  repoTags: string[];
  /** Archive paths of the layer files, base first. */
  layers: string[];
  /** Parent image ID, only when the parent was saved too. */
  parent?: string;
  /** Descriptors by diffID: foreign layers before 25, every layer in 25+. */
  layerSources?: Record<string, Descriptor>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalid(`${what} is not a list of strings`);
  return value as string[];
}

function parseItem(value: unknown, what: string): DockerSaveItem {
  if (!isObject(value)) throw invalid(`${what} is not an object`);
  if (typeof value.Config !== 'string' || value.Config === '') throw invalid(`${what} has no Config`);
  const item: DockerSaveItem = {
    config: value.Config,
    repoTags:
      value.RepoTags === null || value.RepoTags === undefined
        ? []
        : stringList(value.RepoTags, `${what} RepoTags`),
    layers: stringList(value.Layers, `${what} Layers`),
  };
  if (typeof value.Parent === 'string' && value.Parent !== '') item.parent = value.Parent;
  if (value.LayerSources !== undefined && value.LayerSources !== null) {
    if (!isObject(value.LayerSources)) throw invalid(`${what} LayerSources is not an object`);
    item.layerSources = Object.fromEntries(
      Object.entries(value.LayerSources).map(([diffID, d]) => [
        diffID,
        parseDescriptor(d, `${what} LayerSources[${diffID}]`),
      ]),
    );
  }
  return item;
}

/** Parse manifest.json. Docker refuses `null` ("manifest cannot be null"); so does strata. */
export function parseDockerSaveManifest(bytes: Uint8Array, what = 'manifest.json'): DockerSaveItem[] {
  const json = parseJSON(bytes, what);
  if (json === null) throw invalid(`${what} is null`);
  if (!Array.isArray(json)) throw invalid(`${what} is not a list of images`);
  return json.map((v, i) => parseItem(v, `${what} item ${i}`));
}

/** Parse an OCI layout's index.json, which is always an image index. */
export function parseLayoutIndex(bytes: Uint8Array, what = 'index.json'): ImageIndex {
  const parsed = parseManifest(bytes, MediaType.ociIndex, what);
  if (parsed.kind !== 'index') throw invalid(`${what} is not an image index`);
  return parsed.index;
}

/** Check an `oci-layout` file; strata reads layout version 1.x. Returns the version. */
export function parseLayoutHeader(bytes: Uint8Array, what = 'oci-layout'): string {
  const json = parseJSON(bytes, what);
  const version = isObject(json) ? json.imageLayoutVersion : undefined;
  if (typeof version !== 'string') throw invalid(`${what} has no imageLayoutVersion`);
  if (!/^1\.\d+\.\d+$/.test(version))
    throw unsupported(`${what} has imageLayoutVersion ${version}; strata reads 1.x`);
  return version;
}

/** The digest a `blobs/sha256/<hex>` path names, if it is one. */
export function digestFromBlobPath(path: string): string | undefined {
  const m = /(?:^|\/)blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

/** The digest a config file name carries: `<hex>.json` (legacy) or `blobs/sha256/<hex>` (25+). */
export function digestFromConfigPath(path: string): string | undefined {
  const m = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

/** A tag in Docker's full form, or the text itself when it does not parse. */
function normaliseTag(tag: string): string {
  try {
    return formatReference(parseReference(tag));
  } catch {
    return tag;
  }
}

/** busybox:latest, busybox and docker.io/library/busybox:latest all name the same image. */
export function sameTag(a: string, b: string): boolean {
  return normaliseTag(a) === normaliseTag(b);
}

function describeItems(items: readonly DockerSaveItem[]): string {
  return items
    .map((item, i) => `@${i} ${item.repoTags.length > 0 ? item.repoTags.join(' ') : '<untagged>'}`)
    .join(', ');
}

export interface ItemSelector {
  tag?: string;
  index?: number;
}

/**
 * Choose the image a selector names: `:TAG` (normalised), `:@N`, or the only one. Several images and
 * no selector is a 'usage' error; an unknown tag or index is 'not-found'. Both list what is there.
 */
export function selectDockerSaveItem(
  items: readonly DockerSaveItem[],
  selector: ItemSelector,
  archive: string,
): { item: DockerSaveItem; index: number } {
  if (items.length === 0) throw invalid(`${archive} holds no images (its manifest.json is empty)`);
  if (selector.index !== undefined) {
    const item = items[selector.index];
    if (item === undefined) {
      throw notFound(
        `${archive} has no image @${selector.index}; it holds ${items.length}: ${describeItems(items)}`,
      );
    }
    return { item, index: selector.index };
  }
  if (selector.tag !== undefined) {
    const wanted = normaliseTag(selector.tag);
    const index = items.findIndex((item) => item.repoTags.some((t) => normaliseTag(t) === wanted));
    if (index < 0)
      throw notFound(`${archive} has no image tagged ${selector.tag}; it holds: ${describeItems(items)}`);
    return { item: items[index] as DockerSaveItem, index };
  }
  if (items.length > 1) {
    throw new StrataError('usage', `${archive} holds ${items.length} images: ${describeItems(items)}`, {
      hint: `choose one with docker-archive:${archive}:TAG or docker-archive:${archive}:@N`,
    });
  }
  return { item: items[0] as DockerSaveItem, index: 0 };
}
