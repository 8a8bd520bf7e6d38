import type { Readable } from 'node:stream';
import type { Compression } from '../oci/mediatypes.js';
import type { RawBlob } from '../oci/manifest.js';
import type { Platform } from '../oci/platform.js';

/** A layer as the source stores it: the blob, possibly compressed, that holds one diff. */
export interface LayerBlob {
  /** Media type as declared by the manifest, or as strata inferred it for archives without one. */
  mediaType: string;
  /**
   * Digest of the stored blob (compressed bytes). For an uncompressed layer this equals its diffID.
   * Undefined only when the source holds no digest and strata has not hashed the blob.
   */
  digest?: string;
  /** Size in bytes of the stored blob, when known without reading it. */
  size?: number;
  /** Compression declared by the media type (or sniffed where no type is declared). */
  compression: Compression;
  /** A non-distributable layer, fetched from its URLs rather than from the source. */
  foreign: boolean;
  urls?: string[];
  annotations?: Record<string, string>;
}

/** Facts about an image that only some sources know, used to answer exactly as Docker would. */
export interface SourceFacts {
  /** Docker's RepoTags as the source records them, familiar form (busybox:latest). */
  repoTags: string[];
  /** Docker's RepoDigests (repo@sha256:…) as the source records them. */
  repoDigests: string[];
  /** The engine's parent image ID (legacy builds only). */
  parent?: string;
  /**
   * Image IDs per config.history entry, oldest first, as `docker history` shows them ('<missing>'
   * where the engine has none). Only the docker-daemon source knows these.
   */
  historyIds?: string[];
  /** Unpacked sizes per layer (the layer database's `size`), when the source already knows them. */
  layerSizes?: number[];
}

/** An image resolved from a source: the raw documents and the layer blobs, nothing unpacked. */
export interface ResolvedImage {
  /**
   * The image manifest exactly as the source holds it. For a docker save archive in the legacy shape,
   * which has no image manifest, this is the archive's manifest.json.
   */
  manifest: RawBlob;
  /** The index or manifest list the manifest was chosen from, if there was one. */
  index?: RawBlob;
  /** The image config, exactly as stored; its digest is the image ID and has been verified. */
  config: RawBlob;
  /** One per rootfs.diff_ids entry, base first. */
  layers: LayerBlob[];
  facts: SourceFacts;
}

export interface ResolveOptions {
  /** Platform to pick from an index; default: the host's. */
  platform?: Platform;
}

/** A byte range of a local file that holds one blob, for readers that can seek. */
export interface FileRange {
  path: string;
  offset: number;
  length: number;
}

export interface OpenLayerOptions {
  /**
   * The caller checks the decompressed bytes against the layer's diffID (from the verified config), which
   * proves the content; a local source may then skip hashing the stored bytes. Their length is still
   * checked. Never for bytes that will be stored under their digest.
   */
  diffIDChecked?: boolean;
  /**
   * The caller checks the stored bytes against the blob digest itself (on a stream worker, before it
   * keeps them), so the source need not hash them too. Their length is still checked.
   */
  digestChecked?: boolean;
}

/** Whether a source must hash a layer's stored bytes, given what its caller checks. */
export function sourceHashes(options: OpenLayerOptions | undefined): boolean {
  return options?.diffIDChecked !== true && options?.digestChecked !== true;
}

export interface DownloadOptions {
  /** Bytes of the blob received so far. */
  onProgress?: BlobProgress;
  signal?: AbortSignal;
}

/** A destination's file for one blob, written by someone else (see ImageDestination.blobFile). */
export interface BlobFile {
  path: string;
  commit(): Promise<BlobInfo>;
  discard(): Promise<void>;
}

/** Every place an image can live offers this face for reading. */
export interface ImageSource {
  /** How the user named it, e.g. docker://127.0.0.1:5000/app:1 or docker-archive:app.tar. */
  readonly name: string;
  /**
   * Every layer of the image last resolved was checked against its diffID when it was stored (strata's
   * store, once its layers are registered), so a layer whose blob digest verifies needs no second diffID
   * check when decompressed. Read after resolve().
   */
  readonly diffIDsVerified?: boolean;
  resolve(options?: ResolveOptions): Promise<ResolvedImage>;
  /**
   * Told each layer's unpacked size once a scan measured them all (their tars matched their diffIDs):
   * strata's store registers them in its layer database.
   */
  recordLayerSizes?(sizes: readonly number[]): Promise<void>;
  /**
   * Stream a layer blob as stored (compressed if it is). The stream fails with a digest-mismatch
   * error at its end if the bytes do not match the blob's digest.
   */
  openLayer(layer: LayerBlob, index: number, options?: OpenLayerOptions): Promise<Readable>;
  /**
   * Write a layer blob into a new file, verified against its digest and size and synced, without its
   * bytes passing through this thread (a registry downloads it on a worker). The caller removes the file
   * when this fails.
   */
  downloadLayer?(layer: LayerBlob, index: number, file: string, options?: DownloadOptions): Promise<void>;
  /** Where the blob sits in a local file, if it does and is stored uncompressed; lets readers seek. */
  layerFile?(layer: LayerBlob, index: number): Promise<FileRange | undefined>;
  /**
   * Where the blob sits, as stored (compressed or not), in a local file: for a reader that checks the
   * content itself (the diffID) and reads the bytes without a stream. Undefined where it is not local.
   */
  storedFile?(layer: LayerBlob, index: number): Promise<FileRange | undefined>;
  close(): Promise<void>;
}

/** Options every source factory takes; each uses the ones that concern it. */
export interface SourceOptions {
  /** Allow plain HTTP (and unverified TLS) for registries that are not on loopback. */
  insecure?: boolean;
  /** Docker client config with credentials; default $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
  authFile?: string;
  /** Explicit credentials, overriding the auth file. */
  username?: string;
  password?: string;
  /** Engine endpoint for docker-daemon:, overriding DOCKER_HOST and the current context. */
  dockerHost?: string;
  /** Called after every HTTP request a source makes (to count or log them). */
  onRequest?: (info: { method: string; url: string; status: number }) => void;
}

/** A blob as a destination receives it. digest/size are unknown when copy re-encodes a layer. */
export interface BlobInput {
  mediaType: string;
  digest?: string;
  size?: number;
  /**
   * The stream itself fails at its end unless its bytes hash to `digest` (it comes from a verifying
   * source), so the destination need not hash it again; it must still not publish a failed stream.
   */
  verified?: boolean;
}

/** A blob as written: digest and size are always known once it is stored. */
export interface BlobInfo {
  mediaType: string;
  digest: string;
  size: number;
}

/** Progress of one blob being written, in bytes of the stream handed to putBlob. */
export type BlobProgress = (bytesSoFar: number) => void;

/** One layer of the image being committed, as the destination now holds it. */
export interface CommittedLayer {
  blob: BlobInfo;
  diffID: string;
  /** Unpacked size, when copy measured it on the way (stores record it in the layer database). */
  unpackedSize?: number;
}

/** What copy hands a destination once every blob is in place. */
export interface ImageToCommit {
  /**
   * The manifest to write. Its bytes are the source's own unless copy changed the layers (re-encoding
   * or decompressing), in which case copy wrote a new manifest of the same media type.
   */
  manifest: RawBlob;
  config: RawBlob;
  layers: CommittedLayer[];
  /** The index the manifest was chosen from, when the source had one (recorded, not required). */
  index?: RawBlob;
  /** Tags to record, fully qualified (docker.io/library/busybox:latest). May be empty. */
  tags: string[];
  /** The repository digest Docker would record (repo@sha256:… of the manifest or index), if any. */
  repoDigest?: string;
}

/**
 * Every place an image can be written offers this face. pull, push, save, load and copy are all
 * copy(source, destination).
 */
export interface ImageDestination {
  /** How the user named it, e.g. strata:busybox:latest or docker-archive:out.tar. */
  readonly name: string;
  /** 'keep': stores layer blobs as they come (compressed). 'none': wants uncompressed tars. */
  readonly layerCompression: 'keep' | 'none';
  /** Whether the destination already holds this blob, so copy can skip it ("Already exists"). */
  hasBlob(blob: BlobInfo): Promise<boolean>;
  /**
   * Reserve a blob before fetching it, so two processes copying images that share a layer fetch it once:
   * either the blob is present (perhaps after waiting for another process), or the caller holds the claim
   * until it calls release() after putBlob.
   */
  claimBlob?(blob: BlobInfo): Promise<{ present: true } | { present: false; release(): Promise<void> }>;
  /**
   * The destination records layers' unpacked sizes (a store's layer database): copy measures the layers
   * whose tars pass by anyway (uncompressed blobs); the destination learns the others' later.
   */
  readonly recordsUnpackedSizes?: boolean;
  /** Make the blob present without sending it (a registry's cross-repository mount). */
  mountBlob?(blob: BlobInfo, fromRepository: string): Promise<boolean>;
  /**
   * Write a blob from a stream. The destination hashes what it receives and makes the blob visible only
   * after it matches blob.digest/size when those are given; it returns the digest and size it stored.
   */
  putBlob(blob: BlobInput, content: Readable, onProgress?: BlobProgress): Promise<BlobInfo>;
  /**
   * A file to write a blob into directly (a source's downloadLayer), made visible as the blob by
   * commit(); the writer has verified and synced it. discard() removes it.
   */
  blobFile?(blob: BlobInfo): Promise<BlobFile>;
  /** Record the image (manifest, config, tags). Returns the digest of the manifest as written. */
  commitImage(image: ImageToCommit): Promise<{ digest: string }>;
  /** Finish (archives are written here) and release resources. */
  close(): Promise<void>;
  /** Give up: remove anything half-written. */
  abort?(): Promise<void>;
}
